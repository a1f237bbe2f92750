"""Small pure-ASGI middlewares, one job each. Their order is set in app/main.py."""
