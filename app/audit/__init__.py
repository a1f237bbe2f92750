"""The append-only audit trail (BIO 8.15)."""
