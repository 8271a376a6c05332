"""Commands and queries: plain functions taking a session; one transaction per command."""
