"""Insights (inzichten): lessons tracked until they become the normal way of working."""
