"""docs/monitoring.md follows METRICS and alerts.yml."""

import re
from pathlib import Path

import pytest
import yaml

from scripts.metrics_table import BEGIN, END, replace_table, table

REPOSITORY = Path(__file__).resolve().parents[2]
DOCUMENT = REPOSITORY / "docs" / "monitoring.md"
ALERTS = REPOSITORY / "monitoring" / "prometheus" / "alerts.yml"


def test_metrics_table_is_current() -> None:
    document = DOCUMENT.read_text()
    assert replace_table(document, table()) == document, (
        "docs/monitoring.md's metrics table differs from METRICS: "
        "run .venv/bin/python scripts/metrics_table.py --write"
    )


def test_table_replaced_between_markers() -> None:
    document = f"intro\n{BEGIN}\nold rows\n{END}\noutro\n"
    assert replace_table(document, "new rows") == f"intro\n{BEGIN}\nnew rows\n{END}\noutro\n"


def test_missing_marker_raises() -> None:
    with pytest.raises(ValueError, match="lacks the marker lines"):
        replace_table(f"intro\n{BEGIN}\nrows\n", "new rows")


def test_every_alert_explained() -> None:
    rules = yaml.safe_load(ALERTS.read_text())
    alerts = [rule["alert"] for group in rules["groups"] for rule in group["rules"]]
    headings = re.findall(r"^### (Livequiz\w+)$", DOCUMENT.read_text(), flags=re.MULTILINE)
    assert headings == alerts


def test_screenshot_is_committed() -> None:
    assert "![" in DOCUMENT.read_text()
    assert (REPOSITORY / "docs" / "images" / "dashboard.png").exists()
