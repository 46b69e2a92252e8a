"""Reading Prometheus metrics in tests: the process's registry (prometheus-client), the same
numbers `/metrics` serves without PROMETHEUS_MULTIPROC_DIR (config/metrics.py)."""

from prometheus_client import REGISTRY


def value(name: str, **labels: str) -> float:
    """A sample's value now (0 when it was never moved)."""
    return REGISTRY.get_sample_value(name, labels) or 0.0
