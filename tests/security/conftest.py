"""The security tests use the application fixtures (demo city, client, tokens) on both backends."""

from tests.hotline.conftest import Api, City, api, city, client, headers  # noqa: F401
