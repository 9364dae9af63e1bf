"""Helpers that read the metrics registry and the EMF documents of a test."""

import json
from typing import Any

from livequiz import metrics


def sample(name: str, labels: dict[str, str] | None = None) -> float:
    """Return a sample of ``metrics.REGISTRY``, or 0 for a series that has no sample yet.

    ``name`` is the sample's name without the ``livequiz_`` prefix, as in ``METRICS``.
    """
    value = metrics.REGISTRY.get_sample_value(f"{metrics.NAMESPACE}_{name}", labels or {})
    return 0.0 if value is None else value


def emf_documents(output: str) -> list[dict[str, Any]]:
    """Parse the EMF documents among the lines printed to standard output."""
    return [
        json.loads(line)
        for line in output.splitlines()
        if line.startswith("{") and '"_aws"' in line
    ]
