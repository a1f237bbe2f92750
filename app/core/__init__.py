"""Shared mechanisms every domain uses: configuration, database, errors, auth, HTTP contract."""
