"""Authentication: API keys, OIDC bearer tokens and the failed-authentication limit, checked
once per request at the edge (app/core/middleware/authentication.py)."""
