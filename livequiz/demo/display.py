"""The terminal view of the demo: a progress bar per question and the top players, live."""

from typing import Any

from rich.console import Console, Group
from rich.live import Live
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn
from rich.table import Table
from rich.text import Text

Frame = dict[str, Any]


def leaderboard_table(top: list[dict[str, Any]], title: str) -> Table:
    table = Table(title=title, expand=False)
    table.add_column("rank", justify="right")
    table.add_column("nickname")
    table.add_column("score", justify="right")
    for entry in top:
        # Text, not markup: a nickname such as "[bold]" or "<img ...>" shows as typed.
        table.add_row(str(entry["rank"]), Text(entry["nickname"]), str(entry["score"]))
    return table


class GameView:
    def __init__(self, console: Console, players: int) -> None:
        self.console = console
        self.players = players
        self.progress = Progress(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), console=console
        )
        self.tasks: dict[int, TaskID] = {}
        self.top: list[dict[str, Any]] = []
        self.live = Live(self._render(), console=console, refresh_per_second=8, transient=False)

    def _render(self) -> Group:
        return Group(self.progress, leaderboard_table(self.top, "Top players"))

    def __enter__(self) -> "GameView":
        self.live.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.live.__exit__(None, None, None)

    async def on_frame(self, frame: Frame) -> None:
        kind = frame["type"]
        if kind == "question":
            text = frame["text"] if len(frame["text"]) <= 40 else frame["text"][:37] + "..."
            description = f"Q{frame['question'] + 1}/{frame['count']} {text}"
            self.tasks[frame["question"]] = self.progress.add_task(description, total=self.players)
        elif kind in ("answered", "question_closed") and frame["question"] in self.tasks:
            self.progress.update(self.tasks[frame["question"]], completed=frame["answered"])
        if "top" in frame:
            self.top = frame["top"]
        self.live.update(self._render())


def podium(console: Console, frame: Frame) -> None:
    console.print(leaderboard_table(frame["top"][:3], "Podium"))
