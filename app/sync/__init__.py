"""Declarative member sync: an intranet or HR export states who is in which department."""
