"""Hooks of the core tests."""

from tests.replica_clusters import skip_unless_installed


def pytest_runtest_setup(item):
    """Without the PostgreSQL server binaries every replica test that needs clusters skips here,
    before any fixture starts; raised from this one line, `-ra` folds the skips into one."""
    if "pair" in item.fixturenames:
        skip_unless_installed()
