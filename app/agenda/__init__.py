"""The learning agenda (leeragenda): numbered revisions; published ones never change."""
