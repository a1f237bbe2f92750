"""Notifications: a per-member inbox, written by the domains in the transaction of their cause."""
