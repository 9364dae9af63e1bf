"""Joining over the REST API with hostile nicknames and concurrent joins."""

# The fixtures imported from the other suites are test parameters here, which F811 reports.
# ruff: noqa: F811

import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from fastapi.testclient import TestClient

from livequiz.store import GameStore
from tests.auth.conftest import game, store  # noqa: F401
from tests.robustness.conftest import delete_game


@pytest.fixture(autouse=True)
def _delete_joined_game(game: dict[str, Any], store: GameStore) -> Iterator[None]:
    yield
    delete_game(store, game["game_id"], game["pin"])


def join_raw(client: TestClient, pin: str, nickname: str) -> Any:
    """Send the nickname as raw JSON text, so escapes such as \\ud800 reach the server as typed."""
    body = f'{{"pin": "{pin}", "nickname": {json.dumps(nickname)}}}'
    return client.post("/games/join", content=body, headers={"content-type": "application/json"})


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("ß", "SS"),
        ("Straße", "STRASSE"),
        ("ﬁsh", "FISH"),
        ("ΟΔΟΣ", "οδος"),
        ("Sam", "sam\u200b"),
        ("Sam", "\ufeffSAM\u00ad"),
        ("Sam", "  sam\t"),
        ("Amélie", "Ame\u0301lie"),
        ("Ada  Lovelace", "ada\u3000lovelace"),
        ("Ada Lovelace", "ada\u00a0lovelace"),
    ],
)
def test_case_fold_variants_collide(
    client: TestClient, game: dict[str, Any], first: str, second: str
) -> None:
    assert join_raw(client, game["pin"], first).status_code == 201
    response = join_raw(client, game["pin"], second)
    assert response.status_code == 409, response.text
    assert response.json()["error"]["code"] == "nickname_taken"


@pytest.mark.parametrize(
    "nickname",
    ["\ud800", "a\udfffb", "", "   ", "\u200b\u2060", "x\x00y", "\x1b[31mred", "e" * 21, "😀" * 21],
)
def test_invalid_nicknames_rejected(
    client: TestClient, game: dict[str, Any], nickname: str
) -> None:
    response = join_raw(client, game["pin"], nickname)
    assert response.status_code == 400, (nickname, response.text)


@pytest.mark.parametrize(
    "nickname",
    ["e" * 20, "👩‍👩‍👧‍👦" * 3, "🇫🇷" * 20, "a" + "\u0301" * 62, "<script>x</script>"],
)
def test_boundary_nicknames_accepted(
    client: TestClient, game: dict[str, Any], nickname: str
) -> None:
    response = join_raw(client, game["pin"], nickname)
    assert response.status_code == 201, (nickname, response.text)


def test_concurrent_same_nickname_joins_once(
    client: TestClient, game: dict[str, Any], store: Any
) -> None:
    variants = ["Racer", "racer", "RACER", "Racer\u200b", " racer "] * 4
    with ThreadPoolExecutor(max_workers=10) as pool:
        responses = list(pool.map(lambda n: join_raw(client, game["pin"], n), variants))
    statuses = sorted(response.status_code for response in responses)
    assert statuses.count(201) == 1, statuses
    assert statuses.count(409) == len(variants) - 1, statuses
    players = store.players(game["game_id"])
    assert [p["nickname"] for p in players.values()].count("Racer") <= 1
    assert len(players) == 1


@pytest.mark.parametrize("nickname", ["\u200d", "\u200c", "\u202e", "\u2061\u2062"])
def test_invisible_nicknames_rejected(
    client: TestClient, game: dict[str, Any], nickname: str
) -> None:
    response = join_raw(client, game["pin"], nickname)
    assert response.status_code == 400, response.text


@pytest.mark.parametrize("lookalike", ["Sam\u200c", "Sam\u202c", "Sam\u2063"])
def test_invisible_suffix_counts_as_taken(
    client: TestClient, game: dict[str, Any], lookalike: str
) -> None:
    assert join_raw(client, game["pin"], "Sam").status_code == 201
    assert join_raw(client, game["pin"], lookalike).status_code == 409
