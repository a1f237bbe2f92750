"""Load tests of the API against a bare FastAPI endpoint (`make bench`, see README.md)."""
