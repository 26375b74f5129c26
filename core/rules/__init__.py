"""Rules and learning: which category an entry gets from its text."""
