"""The demo city, loaded once per test session."""

from __future__ import annotations

import pytest

from routing import DemoCity, load_demo_city


@pytest.fixture(scope="session")
def city() -> DemoCity:
    return load_demo_city()
