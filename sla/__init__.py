"""sla package."""
