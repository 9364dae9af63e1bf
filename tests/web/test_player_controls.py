"""The player page under host controls and failures: pause, end, kick and a dropped connection."""

import json
import re
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import httpx
from playwright.sync_api import Page, Route, WebSocketRoute, expect

from livequiz.ids import GameId
from livequiz.local.runtime import RuntimeThread
from livequiz.services import game_store, play
from tests.conftest import scaled
from tests.web.conftest import GameClient, RestClient, User
from tests.web.test_player_game import (
    TIME_LIMIT_S,
    expect_question,
    expect_verdict,
    join_by_link,
    mixed_quiz,
)


def two_question_quiz() -> dict[str, Any]:
    quiz = mixed_quiz()
    quiz["questions"] = quiz["questions"][:2]
    return quiz


def stored_session(page: Page, game_id: str) -> dict[str, Any]:
    raw = page.evaluate("key => localStorage.getItem(key)", f"livequiz.player.{game_id}")
    assert raw is not None, f"no session of game {game_id} in localStorage"
    session: dict[str, Any] = json.loads(raw)
    return session


def drop_connection(runtime: RuntimeThread, game_id: str, player_id: str) -> None:
    """Close the player's WebSocket from the server side, as a lost network would."""
    connections = game_store().connections(GameId(game_id))
    [connection_id] = [conn for conn, viewer in connections.items() if viewer == player_id]
    response = httpx.delete(
        f"{runtime.management_url}/@connections/{quote(connection_id, safe='')}"
    )
    assert response.status_code == 204, response.text


def test_pause_freezes_countdown(
    open_user: Callable[..., User],
    rest: RestClient,
    game_client: Callable[[str], GameClient],
    screenshot: Callable[[Page, str], Any],
) -> None:
    quiz = two_question_quiz()
    game = rest.host_game(quiz)
    host = game_client(game.host_token)
    page = open_user("player").page
    join_by_link(page, game.pin, "Patient")

    assert host.send("start")["type"] == "ok"
    expect_question(page, quiz["questions"][0]["text"])
    assert host.send("pause")["type"] == "ok"
    expect(page.locator("#paused-title")).to_have_text("Paused")
    expect(page.get_by_text("The host paused the game.")).to_be_visible()
    expect(page.locator(".countdown")).to_have_attribute("data-paused", "true")
    screenshot(page, "player-paused-phone")

    assert host.send("resume")["type"] == "ok"
    expect_question(page, quiz["questions"][0]["text"])
    expect(page.locator(".countdown")).to_have_attribute("data-paused", "false")
    page.get_by_role("button", name=re.compile("Mercury")).click()
    expect_verdict(page, "Right!")


def test_host_ends_game_early(
    open_user: Callable[..., User],
    rest: RestClient,
    game_client: Callable[[str], GameClient],
) -> None:
    quiz = two_question_quiz()
    game = rest.host_game(quiz)
    host = game_client(game.host_token)
    page = open_user("player").page
    join_by_link(page, game.pin, "Early End")

    assert host.send("start")["type"] == "ok"
    expect_question(page, quiz["questions"][0]["text"])
    page.get_by_role("button", name=re.compile("Mercury")).click()
    expect_verdict(page, "Right!")
    assert host.send("end")["type"] == "ok"
    expect(page.locator("#podium-title")).to_have_text("Game over")
    expect(page.get_by_text("The host ended the game.")).to_be_visible()
    expect(page.locator("#podium .name")).to_have_text(["Early End"])

    # After a reload the podium comes from the results in MySQL.
    ended = host.wait_for("game_ended")
    score = ended["top"][0]["score"]
    page.reload()
    expect(page.locator("#podium .name")).to_have_text(["Early End"])
    expect(page.get_by_text(f"You finished 1st of 1 with {score} points.")).to_be_visible()
    results = rest.results(game.game_id)
    assert results["status"] == "ended"
    assert [player["nickname"] for player in results["players"]] == ["Early End"]
    assert results["players"][0]["score"] == score


def test_kicked_player_sees_removal(
    open_user: Callable[..., User],
    rest: RestClient,
    game_client: Callable[[str], GameClient],
) -> None:
    game = rest.host_game(two_question_quiz())
    host = game_client(game.host_token)
    page = open_user("player").page
    join_by_link(page, game.pin, "Rowdy")
    player_id = stored_session(page, game.game_id)["playerId"]

    assert host.send("kick", player_id=player_id)["type"] == "ok"
    expect(page.locator("#message-title")).to_have_text("You were removed")
    expect(page.locator("#player-name")).to_have_text("")
    assert page.evaluate("() => Object.keys(localStorage)") == []

    # The stored seat is gone, so a reload offers the join form again with the PIN.
    page.reload()
    expect(page.get_by_label("Game PIN")).to_have_value(game.pin)
    expect(page.get_by_label("Nickname")).to_be_focused()


def test_dropped_connection_resumes(
    open_user: Callable[..., User],
    rest: RestClient,
    game_client: Callable[[str], GameClient],
    web_runtime: RuntimeThread,
) -> None:
    quiz = two_question_quiz()
    game = rest.host_game(quiz)
    host = game_client(game.host_token)
    page = open_user("player").page
    offline = {"on": False}

    def network(route: WebSocketRoute) -> None:
        if offline["on"]:
            route.close()
        else:
            route.connect_to_server()

    page.route_web_socket(re.compile(r"^ws://"), network)
    join_by_link(page, game.pin, "Roamer")
    session = stored_session(page, game.game_id)

    # The network goes away: the connection drops and every reconnect fails.
    offline["on"] = True
    drop_connection(web_runtime, game.game_id, session["playerId"])
    expect(page.locator(".connection")).to_have_text("Reconnecting\u2026")

    # The question opens while the player is away, so its frame never reaches the page.
    assert host.send("start")["type"] == "ok"
    host.wait_for("question", question=0)
    expect(page.locator("#lobby-title")).to_have_text("You're in!")

    offline["on"] = False
    expect(page.locator(".connection")).to_have_text("Online")
    expect_question(page, quiz["questions"][0]["text"])
    page.get_by_role("button", name=re.compile("Mercury")).click()
    expect_verdict(page, "Right!")
    assert stored_session(page, game.game_id) == session
    assert host.send("sync")["players"] == 1


def copy_session(source: Page, target: User) -> None:
    """Give ``target``'s browser the player's stored seat, as a second device of theirs."""
    entries = source.evaluate("() => Object.entries(localStorage)")
    target.context.add_init_script(
        "for (const [key, value] of " + json.dumps(entries) + ") localStorage.setItem(key, value);"
    )


def test_second_device_takes_seat_and_back(
    open_user: Callable[..., User],
    rest: RestClient,
    game_client: Callable[[str], GameClient],
    screenshot: Callable[[Page, str], Any],
) -> None:
    quiz = two_question_quiz()
    game = rest.host_game(quiz)
    host = game_client(game.host_token)
    first = open_user("first device").page
    join_by_link(first, game.pin, "Twice")
    player_id = stored_session(first, game.game_id)["playerId"]
    second_user = open_user("second device")
    copy_session(first, second_user)
    second = second_user.page

    second.goto(f"/play?pin={game.pin}")
    expect(second.locator("#lobby-title")).to_have_text("You're in!")
    expect(first.locator("#message-title")).to_have_text("Playing in another tab")
    expect(first.locator(".connection")).to_have_text("Playing elsewhere")
    screenshot(first, "player-replaced-phone")

    # The first page no longer reconnects, so the question reaches only the second.
    assert host.send("start")["type"] == "ok"
    expect_question(second, quiz["questions"][0]["text"])
    expect(first.locator("#message-title")).to_have_text("Playing in another tab")
    connections = game_store().connections(GameId(game.game_id))
    assert sorted(connections.values()) == sorted(["host", player_id])

    first.get_by_role("button", name="Play here").click()
    expect_question(first, quiz["questions"][0]["text"])
    expect(second.locator("#message-title")).to_have_text("Playing in another tab")
    first.get_by_role("button", name=re.compile("Mercury")).click()
    expect_verdict(first, "Right!")
    assert host.send("sync")["online"] == 1


def test_options_close_at_zero(
    open_user: Callable[..., User],
    rest: RestClient,
    game_client: Callable[[str], GameClient],
) -> None:
    quiz = two_question_quiz()
    game = rest.host_game(quiz)
    host = game_client(game.host_token)
    page = open_user("player").page
    # The page's clock runs ahead of the server's here, so its countdown reaches zero while
    # the server still takes answers: the page must close the options by its own countdown.
    page.clock.install()
    join_by_link(page, game.pin, "Slowpoke")
    assert host.send("start")["type"] == "ok"
    expect_question(page, quiz["questions"][0]["text"])
    expect(page.locator(".option").first).to_be_enabled()

    page.clock.run_for(TIME_LIMIT_S * 1000 + 1000)
    expect(page.locator(".countdown .seconds")).to_have_text("0")
    expect(page.locator("#time-up")).to_have_text(
        "Time's up. Waiting for the question to close\u2026"
    )
    for option in page.locator(".option").all():
        expect(option).to_be_disabled()
    page.keyboard.press("2")
    assert host.send("sync")["phase"] == "question_open"
    assert host.send("sync")["answered"] == 0
    expect(page.locator(".option[aria-pressed=true]")).to_have_count(0)


def test_failed_results_read_retries(
    open_user: Callable[..., User],
    rest: RestClient,
    game_client: Callable[[str], GameClient],
) -> None:
    quiz = two_question_quiz()
    game = rest.host_game(quiz)
    host = game_client(game.host_token)
    page = open_user("player").page
    join_by_link(page, game.pin, "Patient End")
    assert host.send("start")["type"] == "ok"
    expect_question(page, quiz["questions"][0]["text"])
    page.get_by_role("button", name=re.compile("Mercury")).click()
    expect_verdict(page, "Right!")
    assert host.send("end")["type"] == "ok"
    expect(page.locator("#podium .name")).to_have_text(["Patient End"])
    assert rest.results(game.game_id)["status"] == "ended"

    # After a reload the podium comes from GET /results, which fails until the test lets it.
    reads = {"failing": True, "count": 0}

    def results(route: Route) -> None:
        reads["count"] += 1
        if reads["failing"]:
            route.abort()
        else:
            route.continue_()

    page.route(re.compile(r"/games/[^/?]+/results$"), results)
    page.reload()
    expect(page.get_by_text("The final ranking could not be loaded.", exact=False)).to_be_visible()
    expect(page.get_by_text("The page tries again in 1 s.")).to_be_visible()
    # The page retries by itself, with a longer delay after each failure.
    expect(page.get_by_text("The page tries again in 2 s.")).to_be_visible()
    assert reads["count"] >= 2

    # "Try again now" reads at once.
    reads["failing"] = False
    page.get_by_role("button", name="Try again now").click()
    expect(page.locator("#podium .name")).to_have_text(["Patient End"])
    assert reads["count"] >= 3

    # A read that succeeds later, after the page's own retry, also shows the podium.
    reads["failing"] = True
    page.reload()
    expect(page.get_by_text("The page tries again in 1 s.")).to_be_visible()
    reads["failing"] = False
    expect(page.locator("#podium .name")).to_have_text(["Patient End"])
    expect(page.get_by_role("button", name="Try again now")).to_have_count(0)


def test_pause_wording_matches_server(
    open_user: Callable[..., User],
    rest: RestClient,
    game_client: Callable[[str], GameClient],
) -> None:
    quiz = two_question_quiz()
    game = rest.host_game(quiz)
    host = game_client(game.host_token)
    page = open_user("player").page
    join_by_link(page, game.pin, "Reader")
    assert host.send("start")["type"] == "ok"
    expect_question(page, quiz["questions"][0]["text"])

    # A pause while the question is open keeps its time left.
    assert host.send("pause")["type"] == "ok"
    paused = page.locator("#screen p")
    expect(paused).to_have_text(
        [
            "The host paused the game.",
            "It goes on when the host resumes it.",
            "The time left for this question is kept until then.",
        ]
    )
    assert host.send("resume")["type"] == "ok"
    page.get_by_role("button", name=re.compile("Mercury")).click()
    expect_verdict(page, "Right!")

    # After the reveal no time runs, so the paused screen mentions none.
    assert host.send("pause")["type"] == "ok"
    expect(paused).to_have_text(
        ["The host paused the game.", "It goes on when the host resumes it."]
    )
    assert host.send("resume")["type"] == "ok"
    expect_verdict(page, "Right!")

    # The host's connection drops, and the grace period runs out (its timer is fired early
    # here): the game stays paused until the host is back and presses Resume.
    assert host.send("next")["type"] == "ok"
    expect_question(page, quiz["questions"][1]["text"])
    host.close()
    store = game_store()
    deadline = time.monotonic() + scaled(15)
    while store.state(GameId(game.game_id)).host_gone_at_ms == 0:
        assert time.monotonic() < deadline, "the server did not notice that the host left"
        time.sleep(0.05)
    gone_at_ms = store.state(GameId(game.game_id)).host_gone_at_ms
    outcome = play().check_host(GameId(game.game_id), gone_at_ms, "pause", int(time.time() * 1000))
    assert outcome == "paused"
    expect(page.locator("#paused-title")).to_have_text("Paused")
    expect(paused).to_have_text(
        [
            "The host lost their connection.",
            "The game stays paused until the host is back and resumes it. "
            "It ends if the host does not come back.",
            "The time left for this question is kept until then.",
        ]
    )

    # The host is back, and the game is still paused until they resume it.
    returned = game_client(game.host_token)
    assert returned.send("sync")["phase"] == "paused"
    expect(page.locator("#paused-title")).to_have_text("Paused")
    assert returned.send("resume")["type"] == "ok"
    expect_question(page, quiz["questions"][1]["text"])


def test_podium_offers_next_game(
    open_user: Callable[..., User],
    rest: RestClient,
    game_client: Callable[[str], GameClient],
) -> None:
    quiz = two_question_quiz()
    game = rest.host_game(quiz)
    host = game_client(game.host_token)
    page = open_user("player").page
    join_by_link(page, game.pin, "Finisher")
    assert host.send("start")["type"] == "ok"
    expect_question(page, quiz["questions"][0]["text"])
    assert host.send("end")["type"] == "ok"
    expect(page.locator("#podium-title")).to_have_text("Game over")

    # /play without a PIN no longer reopens the ended game, but its PIN link still does.
    page.goto("/play")
    expect(page.get_by_label("Game PIN")).to_have_value("")
    expect(page.locator("#player-name")).to_have_text("")
    page.goto(f"/play?pin={game.pin}")
    expect(page.locator("#podium-title")).to_have_text("Game over")

    page.get_by_role("button", name="Join another game").click()
    expect(page.get_by_label("Game PIN")).to_have_value("")
    expect(page.get_by_label("Game PIN")).to_be_focused()
    expect(page.locator("#player-name")).to_have_text("")
    assert page.evaluate("() => new URL(location.href).search") == ""


def test_play_without_pin_after_end(
    open_user: Callable[..., User],
    rest: RestClient,
    game_client: Callable[[str], GameClient],
) -> None:
    quiz = two_question_quiz()
    game = rest.host_game(quiz)
    host = game_client(game.host_token)
    page = open_user("player").page
    join_by_link(page, game.pin, "Returner")

    # While the game runs, /play without a PIN resumes it.
    page.goto("/play")
    expect(page.locator("#lobby-title")).to_have_text("You're in!")
    expect(page.locator("#player-name")).to_have_text("Returner")

    # The game ends while no page of the player is open, so only the reply to sync shows it.
    page.goto("about:blank")
    assert host.send("end")["type"] == "ok"
    page.goto("/play")
    expect(page.get_by_label("Game PIN")).to_have_value("")
    expect(page.locator("#player-name")).to_have_text("")
    page.goto("/play")
    expect(page.get_by_label("Game PIN")).to_have_value("")
