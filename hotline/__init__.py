"""hotline: the 12345 hotline application (models, services, API, web, workers, CLI)."""

__version__ = "0.1.0"
