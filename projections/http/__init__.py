"""The HTTP surfaces of the read side: the read API, the report endpoints and the dashboard."""
