"""Draw a Grafana dashboard's panels as one PNG, from a real Prometheus, with matplotlib.

    python scripts/render_dashboard.py --prometheus-url http://127.0.0.1:9090 \\
        --last 15 --output docs/images/dashboard.png

Grafana is not packaged for this machine, so this script takes the place of its screenshot:
it reads
monitoring/grafana/dashboards/livequiz.json (or ``--dashboard``), runs each panel's queries
with the HTTP API's query_range over the time range, and lays the panels out on Grafana's grid
of 24 columns. It draws row and time series panels, the two kinds the dashboard uses, and
expands the Grafana variables ``$__interval`` and ``$__rate_interval`` as Grafana does.
"""

import argparse
import json
import logging
import math
import re
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.gridspec import GridSpec
from matplotlib.ticker import FuncFormatter, MaxNLocator

logger = logging.getLogger("livequiz.render_dashboard")

REPOSITORY = Path(__file__).resolve().parents[1]
DASHBOARD = REPOSITORY / "monitoring" / "grafana" / "dashboards" / "livequiz.json"
GRID_COLUMNS = 24
# Grafana's grid cell is 30 px high; at the figure's width this keeps its proportions.
INCHES_PER_COLUMN = 0.8
INCHES_PER_ROW = 0.34
# Room for the figure's title at the top.
TITLE_INCHES = 0.6
VARIABLE = re.compile(r"\$(__\w+|\w+)|\$\{(\w+)\}|\[\[(\w+)\]\]")
LEGEND_LABEL = re.compile(r"\{\{\s*(\w+)\s*\}\}")
PANEL_KINDS = frozenset({"row", "timeseries"})
# The space above a panel's highest point that its legend may take, as a fraction of it.
LEGEND_HEADROOM = 0.35
# Height of a grid row that contains a row panel's title, relative to the other grid rows.
ROW_TITLE_HEIGHT = 3.0
# Legend entries of 7 pt that fit side by side: about 10 characters per grid column, and
# the line sample before each entry takes about 5.
LEGEND_CHARACTERS_PER_COLUMN = 10
LEGEND_HANDLE_CHARACTERS = 5


def format_seconds(value: float, _position: float | None = None) -> str:
    if value == 0:
        return "0"
    if abs(value) < 1:
        return f"{value * 1000:.3g} ms"
    return f"{value:.3g} s"


def format_rate(value: float, _position: float | None = None) -> str:
    return f"{value:.3g}/s"


def format_time(value: float, _position: float | None = None) -> str:
    return datetime.fromtimestamp(value, UTC).strftime("%H:%M:%S")


def format_number(value: float, _position: float | None = None) -> str:
    return f"{value:.3g}"


# Grafana unit ids of the dashboard's panels, to the axis formatter of each.
UNITS: dict[str, Callable[[float, float | None], str]] = {
    "s": format_seconds,
    "ops": format_rate,
    "short": format_number,
}


@dataclass(frozen=True)
class Target:
    expression: str
    legend: str


@dataclass(frozen=True)
class Panel:
    """One panel: its kind, title, place on the grid (x, y, width, height), unit and queries."""

    kind: str
    title: str
    x: int
    y: int
    width: int
    height: int
    unit: str = "short"
    minimum: float | None = None
    targets: tuple[Target, ...] = ()


@dataclass
class Series:
    legend: str
    # Unix time in seconds.
    times: list[float] = field(default_factory=list)
    values: list[float] = field(default_factory=list)


def load_panels(path: Path) -> tuple[str, list[Panel]]:
    """Read a dashboard JSON file; return its title and its panels, top to bottom.

    Raises:
        ValueError: a panel is of a kind this script does not draw, or has an unknown unit.
    """
    document = json.loads(path.read_text())
    panels = []
    for item in document["panels"]:
        kind = item["type"]
        if kind not in PANEL_KINDS:
            raise ValueError(
                f"panel {item.get('title')!r} is a {kind} panel: expected one of "
                f"{sorted(PANEL_KINDS)}"
            )
        grid = item["gridPos"]
        defaults = item.get("fieldConfig", {}).get("defaults", {})
        unit = defaults.get("unit", "short")
        if kind != "row" and unit not in UNITS:
            raise ValueError(
                f"panel {item['title']!r} has unit {unit!r}: expected one of {sorted(UNITS)}"
            )
        targets = tuple(
            Target(target["expr"], target.get("legendFormat", ""))
            for target in item.get("targets", [])
        )
        panels.append(
            Panel(
                kind,
                item["title"],
                grid["x"],
                grid["y"],
                grid["w"],
                grid["h"],
                unit,
                defaults.get("min"),
                targets,
            )
        )
    panels.sort(key=lambda panel: (panel.y, panel.x))
    return document["title"], panels


def rate_interval_s(step_s: float, scrape_interval_s: float) -> float:
    """Return Grafana's ``$__rate_interval``: the larger of step plus one scrape interval and
    four scrape intervals, so that every window contains enough samples for rate()."""
    return max(step_s + scrape_interval_s, 4 * scrape_interval_s)


def expand_variables(expression: str, step_s: float, scrape_interval_s: float) -> str:
    """Replace the Grafana variables ``$__interval`` and ``$__rate_interval``.

    Raises:
        ValueError: the expression uses another variable, which this script cannot know.
    """
    values = {
        "__interval": f"{round(step_s * 1000)}ms",
        "__rate_interval": f"{round(rate_interval_s(step_s, scrape_interval_s) * 1000)}ms",
    }

    def replace(match: re.Match[str]) -> str:
        name = next(group for group in match.groups() if group is not None)
        if name not in values:
            raise ValueError(
                f"{expression!r} uses the variable {match.group(0)}: expected only "
                f"{', '.join('$' + known for known in values)}"
            )
        return values[name]

    return VARIABLE.sub(replace, expression)


def legend_text(legend: str, labels: dict[str, str]) -> str:
    """Fill a Grafana legend format such as ``{{queue}}`` with a series' labels."""
    if not legend:
        inner = ", ".join(f'{name}="{value}"' for name, value in sorted(labels.items()))
        return f"{{{inner}}}"
    filled = LEGEND_LABEL.sub(lambda match: labels.get(match.group(1), ""), legend)
    return " ".join(filled.split())


def query_range(
    client: httpx.Client, url: str, expression: str, start: float, end: float, step_s: float
) -> list[dict[str, Any]]:
    """Run one range query; return Prometheus's matrix.

    Raises:
        RuntimeError: the request failed or Prometheus returned an error.
    """
    params: dict[str, str | float] = {
        "query": expression,
        "start": start,
        "end": end,
        "step": step_s,
    }
    try:
        response = client.get(f"{url}/api/v1/query_range", params=params)
    except httpx.HTTPError as error:
        raise RuntimeError(f"query_range of {expression!r} failed: {error}") from error
    body = response.json()
    if response.status_code != 200 or body.get("status") != "success":
        raise RuntimeError(
            f"query_range of {expression!r} returned {response.status_code}: "
            f"{body.get('errorType')}: {body.get('error')}"
        )
    result: list[dict[str, Any]] = body["data"]["result"]
    return result


def fetch_series(
    client: httpx.Client,
    url: str,
    panel: Panel,
    start: float,
    end: float,
    step_s: float,
    scrape_interval_s: float,
) -> list[Series]:
    found = []
    for target in panel.targets:
        expression = expand_variables(target.expression, step_s, scrape_interval_s)
        for item in query_range(client, url, expression, start, end, step_s):
            series = Series(legend_text(target.legend, item["metric"]))
            for timestamp, value in item["values"]:
                series.times.append(float(timestamp))
                series.values.append(float(value))
            found.append(series)
    logger.info("panel %r: %d series", panel.title, len(found))
    return found


def draw_panel(
    axes: Axes, panel: Panel, series: Sequence[Series], start: float, end: float
) -> None:
    axes.set_title(panel.title, loc="left", fontsize=10, fontweight="bold")
    axes.grid(True, color="#dddddd", linewidth=0.6)
    axes.tick_params(labelsize=7.5)
    axes.yaxis.set_major_formatter(FuncFormatter(UNITS[panel.unit]))
    axes.xaxis.set_major_formatter(FuncFormatter(format_time))
    # Ticks 1, 2, 3 or 6 times a power of ten seconds apart, so that they fall on round times.
    axes.xaxis.set_major_locator(MaxNLocator(nbins=8, steps=[1, 2, 3, 6, 10]))
    axes.set_xlim(start, end)

    drawn = [item for item in series if any(not math.isnan(value) for value in item.values)]
    if not drawn:
        axes.text(
            0.5,
            0.5,
            "No data",
            ha="center",
            va="center",
            fontsize=11,
            color="#888888",
            transform=axes.transAxes,
        )
        axes.set_yticks([])
        return

    highest = 0.0
    for item in drawn:
        axes.plot(item.times, item.values, label=item.legend, linewidth=1.3)
        highest = max([highest, *(value for value in item.values if not math.isnan(value))])
    # Headroom above the highest point for the legend, which Grafana draws below the panel.
    top = highest * (1 + LEGEND_HEADROOM) if highest > 0 else 1
    axes.set_ylim(bottom=panel.minimum, top=top)
    longest = max(len(item.legend) for item in drawn) + LEGEND_HANDLE_CHARACTERS
    columns = max(1, min(len(drawn), 3, panel.width * LEGEND_CHARACTERS_PER_COLUMN // longest))
    axes.legend(
        loc="upper left",
        fontsize=7,
        ncol=columns,
        framealpha=0.8,
        handlelength=1.2,
        borderaxespad=0.3,
    )


def draw_row_title(axes: Axes, title: str) -> None:
    axes.axis("off")
    axes.set_ylim(0, 1)
    axes.text(0, 0.6, title, fontsize=13, fontweight="bold", color="#333333", va="center")
    axes.axhline(0.15, color="#999999", linewidth=0.8)


def render(
    title: str,
    panels: Sequence[Panel],
    series_by_panel: Sequence[Sequence[Series]],
    start: float,
    end: float,
    step_s: float,
    output: Path,
) -> None:
    """Draw the panels on Grafana's grid and write the PNG to ``output``."""
    rows = max(panel.y + panel.height for panel in panels)
    title_rows = {panel.y for panel in panels if panel.kind == "row"}
    heights = [ROW_TITLE_HEIGHT if row in title_rows else 1.0 for row in range(rows)]
    # Figure without pyplot: it draws with the Agg canvas and needs no display.
    figure = Figure(
        figsize=(GRID_COLUMNS * INCHES_PER_COLUMN, sum(heights) * INCHES_PER_ROW + TITLE_INCHES)
    )
    margin = TITLE_INCHES / figure.get_figheight()
    grid = GridSpec(
        rows,
        GRID_COLUMNS,
        figure=figure,
        height_ratios=heights,
        left=0.04,
        right=0.99,
        top=1 - margin,
        bottom=0.02,
        hspace=1.6,
        wspace=1.2,
    )

    first = datetime.fromtimestamp(start, UTC).strftime("%Y-%m-%d %H:%M:%S")
    last = datetime.fromtimestamp(end, UTC).strftime("%H:%M:%S")
    figure.suptitle(
        f"{title}: {first} to {last} UTC, step {step_s:g} s "
        "(matplotlib drawing of the Grafana panels' queries, from Prometheus)",
        x=0.04,
        y=1 - 0.25 / figure.get_figheight(),
        ha="left",
        va="center",
        fontsize=12,
    )

    for panel, series in zip(panels, series_by_panel, strict=True):
        cell = grid[panel.y : panel.y + panel.height, panel.x : panel.x + panel.width]
        axes = figure.add_subplot(cell)
        if panel.kind == "row":
            draw_row_title(axes, panel.title)
        else:
            draw_panel(axes, panel, series, start, end)

    output.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(output, dpi=100)
    logger.info("wrote %s", output)


def render_dashboard(
    prometheus_url: str,
    start: float,
    end: float,
    step_s: float,
    scrape_interval_s: float,
    output: Path,
    dashboard: Path = DASHBOARD,
) -> None:
    """Query every panel of ``dashboard`` over [start, end] and write the PNG."""
    title, panels = load_panels(dashboard)
    with httpx.Client(timeout=30) as client:
        series_by_panel = [
            fetch_series(client, prometheus_url, panel, start, end, step_s, scrape_interval_s)
            for panel in panels
        ]
    render(title, panels, series_by_panel, start, end, step_s, output)


def parse_arguments(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python scripts/render_dashboard.py", description=__doc__.split("\n")[0]
    )
    parser.add_argument(
        "--prometheus-url", required=True, help="Prometheus base URL, e.g. http://127.0.0.1:9090"
    )
    parser.add_argument("--dashboard", type=Path, default=DASHBOARD, help="dashboard JSON file")
    parser.add_argument("--output", type=Path, required=True, help="PNG file to write")
    parser.add_argument("--last", type=float, default=15, help="minutes up to now to draw")
    parser.add_argument("--step", type=float, default=5, help="seconds between points")
    parser.add_argument(
        "--scrape-interval",
        type=float,
        default=15,
        help="the scrape interval of that Prometheus in seconds, for $__rate_interval",
    )
    arguments = parser.parse_args(argv)
    if arguments.last <= 0 or arguments.step <= 0 or arguments.scrape_interval <= 0:
        parser.error("--last, --step and --scrape-interval must be positive")
    return arguments


def main(argv: list[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    end = time.time()
    try:
        render_dashboard(
            arguments.prometheus_url.rstrip("/"),
            end - arguments.last * 60,
            end,
            arguments.step,
            arguments.scrape_interval,
            arguments.output,
            arguments.dashboard,
        )
    except (RuntimeError, ValueError) as error:
        logger.error("%s", error)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
