"""Accounts: users of the three roles, logging in, secrets and lockouts."""
