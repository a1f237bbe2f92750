"""Departments (organisatieonderdelen): the municipality's units, keyed by the intranet's code."""
