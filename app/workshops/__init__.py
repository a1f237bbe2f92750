"""Workshops (werkplaatsen): gatherings where groups form and results are presented."""
