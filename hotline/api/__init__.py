"""The REST API under /api/v1: thin routers that parse, call a service, shape the answer."""
