"""Learning groups (leergroepen): groups working on a theme, self-directed or facilitated."""
