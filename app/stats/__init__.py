"""Community statistics: participation, growth, coverage of departments, groups, questions and
insights, computed by the database."""
