"""The rule tests drive the HTTP API of the demo city: the application tests' fixtures."""

from tests.hotline.conftest import api, city, client, headers  # noqa: F401
