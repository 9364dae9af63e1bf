"""The Grafana dashboard, its provisioning files, and scripts/render_dashboard.py."""

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from matplotlib import image

from scripts.render_dashboard import (
    DASHBOARD,
    GRID_COLUMNS,
    INCHES_PER_ROW,
    ROW_TITLE_HEIGHT,
    TITLE_INCHES,
    Panel,
    Series,
    expand_variables,
    legend_text,
    load_panels,
    rate_interval_s,
    render,
)

GRAFANA = Path(__file__).resolve().parents[2] / "monitoring" / "grafana"
DATASOURCES = GRAFANA / "provisioning" / "datasources" / "prometheus.yml"
PROVIDERS = GRAFANA / "provisioning" / "dashboards" / "livequiz.yml"


def dashboard() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(DASHBOARD.read_text())
    return document


def test_panels_fit_the_grid_without_overlap() -> None:
    occupied: dict[tuple[int, int], str] = {}
    for panel in dashboard()["panels"]:
        grid = panel["gridPos"]
        assert grid["x"] >= 0, panel["title"]
        assert grid["w"] > 0, panel["title"]
        assert grid["h"] > 0, panel["title"]
        assert grid["x"] + grid["w"] <= GRID_COLUMNS, panel["title"]
        for x in range(grid["x"], grid["x"] + grid["w"]):
            for y in range(grid["y"], grid["y"] + grid["h"]):
                cell = (x, y)
                assert cell not in occupied, f"{panel['title']} overlaps {occupied.get(cell)}"
                occupied[cell] = panel["title"]


def test_panel_ids_are_unique() -> None:
    ids = [panel["id"] for panel in dashboard()["panels"]]
    assert len(ids) == len(set(ids))


def test_panels_use_provisioned_datasource() -> None:
    (datasource,) = yaml.safe_load(DATASOURCES.read_text())["datasources"]
    assert datasource["type"] == "prometheus"
    for panel in dashboard()["panels"]:
        if panel["type"] == "row":
            continue
        assert panel["datasource"] == {"type": "prometheus", "uid": datasource["uid"]}
        for target in panel["targets"]:
            assert target["datasource"] == panel["datasource"], panel["title"]


def test_datasource_interval_is_compose_scrape_interval() -> None:
    (datasource,) = yaml.safe_load(DATASOURCES.read_text())["datasources"]
    compose = yaml.safe_load((GRAFANA.parent / "prometheus" / "compose.yml").read_text())
    assert datasource["jsonData"]["timeInterval"] == compose["global"]["scrape_interval"]
    assert datasource["url"] == "http://prometheus:9090"


def test_provider_reads_the_dashboard_folder() -> None:
    (provider,) = yaml.safe_load(PROVIDERS.read_text())["providers"]
    assert provider["type"] == "file"
    assert provider["options"]["path"] == "/var/lib/grafana/dashboards/livequiz"


def test_renderer_reads_every_panel() -> None:
    title, panels = load_panels(DASHBOARD)
    assert title == dashboard()["title"]
    assert len(panels) == len(dashboard()["panels"])
    assert [(panel.y, panel.x) for panel in panels] == sorted((p.y, p.x) for p in panels)


def test_renderer_rejects_unknown_panel_kind(tmp_path: Path) -> None:
    document = dashboard()
    document["panels"][1]["type"] = "piechart"
    path = tmp_path / "dashboard.json"
    path.write_text(json.dumps(document))
    with pytest.raises(ValueError, match="is a piechart panel"):
        load_panels(path)


def test_rate_interval_as_grafana() -> None:
    # Four scrape intervals at least, and one more than the step.
    assert rate_interval_s(step_s=5, scrape_interval_s=15) == 60
    assert rate_interval_s(step_s=60, scrape_interval_s=15) == 75


def test_variables_expanded() -> None:
    expression = "rate(x[$__rate_interval]) + rate(y[$__interval])"
    assert expand_variables(expression, step_s=2, scrape_interval_s=2) == (
        "rate(x[8000ms]) + rate(y[2000ms])"
    )


def test_unknown_variable_raises() -> None:
    with pytest.raises(ValueError, match=r"uses the variable \$game"):
        expand_variables('x{game="$game"}', step_s=2, scrape_interval_s=2)


def test_legend_filled_from_labels() -> None:
    labels = {"result": "accepted", "queue": "persist"}
    assert legend_text("{{result}} {{reason}}", labels) == "accepted"
    assert legend_text("{{ queue }}", labels) == "persist"
    assert legend_text("", {"queue": "persist"}) == '{queue="persist"}'


def test_render_writes_png_of_the_grid(tmp_path: Path) -> None:
    start = 1_800_000_000.0
    panels = [
        Panel("row", "Answers", 0, 0, 24, 1),
        Panel("timeseries", "Latency", 0, 1, 12, 8, unit="s", minimum=0),
        Panel("timeseries", "Empty", 12, 1, 12, 8, unit="ops"),
    ]
    times = [start + second for second in range(0, 60, 5)]
    latency = Series("p99", times, [0.01 * index for index in range(len(times))])
    output = tmp_path / "dashboard.png"
    render("test", panels, [[], [latency], []], start, start + 60, 5, output)
    picture = image.imread(output)
    height, width = picture.shape[:2]
    assert width == 1920
    # A row title's grid row, eight grid rows of panels, and the title.
    assert height == round(((ROW_TITLE_HEIGHT + 8) * INCHES_PER_ROW + TITLE_INCHES) * 100)
