"""The composed pages' tests use the metrics tests' March portfolio, where every MRR movement
happens at least once."""

from tests.metrics.conftest import march_portfolio  # noqa: F401 (a fixture, for test_portfolio)
