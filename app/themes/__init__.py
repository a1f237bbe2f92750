"""Themes (thema's): the three central themes, each mapped to a transition role."""
