"""Coordination: the coordinator's room (clubs, librarians, scope by county or nation)."""
