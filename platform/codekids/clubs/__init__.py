"""Clubs: counties, clubs and the librarian's room (children, cards, lockouts)."""
