"""Learning: the child's side of the site."""
