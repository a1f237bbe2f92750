"""API keys: how scripts, intranet systems and local admins authenticate."""
