"""Me: what a member's own credential reads and changes of their own (their member, their
groups, their questions, their werkplaatsen)."""
