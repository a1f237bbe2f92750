"""Learning questions (leervragen): what the community wants to learn, with origin and lineage."""
