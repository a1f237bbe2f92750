"""Organisations (partners): facilitators such as DRIFT, market parties, initiatives, institutes."""
