"""Routes for a game's report (JSON, CSV, Excel), for its host, and for a user's history."""

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel

from functions.auth.deps import CurrentUser, EngineDep, GameStoreDep
from livequiz import db, reports, results
from livequiz.db import UtcDatetime

router = APIRouter(tags=["reports"])

CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_HISTORY_PAGE = 100

HOST_ONLY: dict[int | str, dict[str, Any]] = {
    403: {"description": "The user did not host this game"},
}


def _download(
    report: reports.GameReport, content: str | bytes, media_type: str, extension: str
) -> Response:
    """Send a rendered report as a file download."""
    # Game ids are 32 hexadecimal digits read back from MySQL, so the file name needs no escaping.
    name = f"livequiz-report-{report.game_id}.{extension}"
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    return Response(content=content, media_type=media_type, headers=headers)


@router.get("/games/{game_id}/report", responses=HOST_ONLY)
def game_report(game_id: str, user_id: CurrentUser, engine: EngineDep) -> reports.GameReport:
    """Read the game's report: every player and every question with its answer distribution."""
    return reports.game_report(engine, game_id, user_id)


@router.get(
    "/games/{game_id}/report.csv",
    response_class=Response,
    responses={
        **HOST_ONLY,
        200: {"content": {CSV_MEDIA_TYPE: {}}, "description": "The report as one CSV file"},
    },
)
def game_report_csv(game_id: str, user_id: CurrentUser, engine: EngineDep) -> Response:
    """Download the game's report as one CSV file with players, questions and distribution."""
    report = reports.game_report(engine, game_id, user_id)
    return _download(report, reports.render_csv(report), CSV_MEDIA_TYPE, "csv")


@router.get(
    "/games/{game_id}/report.xlsx",
    response_class=Response,
    responses={
        **HOST_ONLY,
        200: {"content": {XLSX_MEDIA_TYPE: {}}, "description": "The report as an Excel workbook"},
    },
)
def game_report_xlsx(game_id: str, user_id: CurrentUser, engine: EngineDep) -> Response:
    """Download the game's report as an Excel workbook with one sheet per table."""
    report = reports.game_report(engine, game_id, user_id)
    return _download(report, reports.render_xlsx(report), XLSX_MEDIA_TYPE, "xlsx")


class HostedGameOut(BaseModel):
    role: Literal["host"] = "host"
    game_id: str
    quiz_title: str
    date: UtcDatetime
    status: str
    player_count: int
    winner: str | None
    # Whether Redis still contains the game and it has not ended, so its host can resume it. A
    # lobby or running game that expired from Redis stays "lobby" or "running" in MySQL.
    live: bool = False


class PlayedGameOut(BaseModel):
    role: Literal["player"] = "player"
    game_id: str
    quiz_title: str
    date: UtcDatetime
    status: str
    nickname: str
    rank: int | None
    # None where the game's leaderboard option hides scores from its players.
    score: int | None
    player_count: int


class HistoryResponse(BaseModel):
    games: list[HostedGameOut | PlayedGameOut]
    total: int
    limit: int
    offset: int


@router.get("/users/me/history")
def user_history(
    user_id: CurrentUser,
    engine: EngineDep,
    store: GameStoreDep,
    limit: Annotated[int, Query(ge=1, le=MAX_HISTORY_PAGE)] = 20,
    # Bounded so that the value fits MySQL's OFFSET, a signed 64-bit integer.
    offset: Annotated[int, Query(ge=0, le=2**63 - 1)] = 0,
) -> HistoryResponse:
    """List the games the user hosted or played in, newest first, with which hosted games
    are still live in Redis."""
    found = results.user_history(engine, user_id, limit, offset)
    unfinished = [
        game.game_id
        for game in found.games
        if isinstance(game, results.HostedGame) and game.status != db.GameStatus.ENDED.value
    ]
    live = store.live_games(unfinished) if unfinished else set()
    games: list[HostedGameOut | PlayedGameOut] = [
        HostedGameOut.model_validate(game, from_attributes=True).model_copy(
            update={"live": game.game_id in live}
        )
        if isinstance(game, results.HostedGame)
        else PlayedGameOut.model_validate(game, from_attributes=True)
        for game in found.games
    ]
    return HistoryResponse(games=games, total=found.total, limit=limit, offset=offset)
