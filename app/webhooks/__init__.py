"""Webhooks: subscriptions of receivers to the change feed, and their signed deliveries."""
