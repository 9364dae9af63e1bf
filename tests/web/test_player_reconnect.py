"""The player page across WebSocket reconnects: the screens it keeps and the answers it resends.

Each test routes the page's WebSockets through a ``Relay``, which passes every frame on and
counts the replies to sync, so a test knows when the page has resumed. The connection is cut
from the server's side, as a lost network would, and the page reconnects by itself.
"""

import json
import re
import time
from collections.abc import Callable

from playwright.sync_api import Page, WebSocketRoute, expect

from livequiz.local.runtime import RuntimeThread
from tests.conftest import scaled
from tests.web.conftest import GameClient, RestClient, User
from tests.web.test_player_controls import drop_connection, stored_session, two_question_quiz
from tests.web.test_player_game import expect_question, expect_verdict, join_by_link


class Relay:
    """Pass the page's WebSocket traffic through the test, which can drop the page's messages.

    While ``dropping`` is set, messages from the page are kept in ``dropped`` and never reach
    the server, although the page's socket stays open: a connection that dies silently.
    """

    def __init__(self, page: Page) -> None:
        self.page = page
        self.connections = 0
        # Frames of type "state" passed to the page: one per reply to sync.
        self.states = 0
        self.dropping = False
        self.dropped: list[str | bytes] = []
        # While set, replies to sync are kept in ``held`` until ``release``.
        self.holding_states = False
        self.held: list[tuple[WebSocketRoute, str | bytes]] = []
        page.route_web_socket(re.compile(r"^ws://"), self._relay)

    def release(self) -> None:
        """Pass the held replies to sync on to the page, and hold no more."""
        self.holding_states = False
        for route, message in self.held:
            self.states += 1
            route.send(message)
        self.held.clear()

    def _relay(self, route: WebSocketRoute) -> None:
        server = route.connect_to_server()
        self.connections += 1

        def to_server(message: str | bytes) -> None:
            if self.dropping:
                self.dropped.append(message)
            else:
                server.send(message)

        def to_page(message: str | bytes) -> None:
            if json.loads(message).get("type") == "state":
                if self.holding_states:
                    self.held.append((route, message))
                    return
                self.states += 1
            route.send(message)

        route.on_message(to_server)
        server.on_message(to_page)

    def wait_for_states(self, count: int) -> None:
        """Wait until the page has received ``count`` replies to sync in all."""
        deadline = time.monotonic() + scaled(15)
        while self.states < count:
            assert time.monotonic() < deadline, f"{self.states} replies to sync, expected {count}"
            self.page.wait_for_timeout(50)

    def wait_for_dropped(self, count: int) -> None:
        """Wait until ``count`` messages of the page have been dropped in all."""
        deadline = time.monotonic() + scaled(15)
        while len(self.dropped) < count:
            assert time.monotonic() < deadline, f"{len(self.dropped)} dropped, expected {count}"
            self.page.wait_for_timeout(50)


def test_reconnect_keeps_question_screens(
    open_user: Callable[..., User],
    rest: RestClient,
    game_client: Callable[[str], GameClient],
    web_runtime: RuntimeThread,
) -> None:
    quiz = two_question_quiz()
    game = rest.host_game(quiz)
    host = game_client(game.host_token)
    # A second player keeps each question open after the page's player has answered.
    waiting = game_client(rest.join(game.pin, "Waiting")["player_token"])
    page = open_user("player").page
    relay = Relay(page)
    join_by_link(page, game.pin, "Flaky")
    player_id = stored_session(page, game.game_id)["playerId"]
    relay.wait_for_states(1)

    # An open question keeps its options and countdown.
    assert host.send("start")["type"] == "ok"
    expect_question(page, quiz["questions"][0]["text"])
    drop_connection(web_runtime, game.game_id, player_id)
    relay.wait_for_states(2)
    assert relay.connections == 2
    expect_question(page, quiz["questions"][0]["text"])
    expect(page.locator(".option")).to_have_count(3)
    expect(page.locator(".countdown")).to_be_visible()

    # "Answer received" keeps its countdown and the count of answers.
    page.get_by_role("button", name=re.compile("Mercury")).click()
    expect(page.locator("#received-title")).to_have_text("Answer received")
    expect(page.locator("#answered-count")).to_have_text("1 of 2 players have answered.")
    drop_connection(web_runtime, game.game_id, player_id)
    relay.wait_for_states(3)
    expect(page.locator("#received-title")).to_have_text("Answer received")
    expect(page.locator(".countdown")).to_be_visible()
    expect(page.locator("#answered-count")).to_have_text("1 of 2 players have answered.")
    assert waiting.send("answer", question=0, choice=0)["type"] == "answer_received"
    expect_verdict(page, "Right!")

    # A pause keeps its frozen countdown.
    assert host.send("next")["type"] == "ok"
    expect_question(page, quiz["questions"][1]["text"])
    assert host.send("pause")["type"] == "ok"
    expect(page.locator("#paused-title")).to_have_text("Paused")
    drop_connection(web_runtime, game.game_id, player_id)
    relay.wait_for_states(4)
    expect(page.locator("#paused-title")).to_have_text("Paused")
    expect(page.locator(".countdown")).to_be_visible()
    expect(page.locator(".countdown")).to_have_attribute("data-paused", "true")

    assert host.send("resume")["type"] == "ok"
    expect_question(page, quiz["questions"][1]["text"])
    expect(page.locator(".option")).to_have_count(2)
    page.keyboard.press("1")
    expect(page.locator("#received-title")).to_have_text("Answer received")


def test_lost_answer_can_be_sent_again(
    open_user: Callable[..., User],
    rest: RestClient,
    game_client: Callable[[str], GameClient],
    web_runtime: RuntimeThread,
) -> None:
    quiz = two_question_quiz()
    game = rest.host_game(quiz)
    host = game_client(game.host_token)
    page = open_user("player").page
    relay = Relay(page)
    join_by_link(page, game.pin, "Unlucky")
    player_id = stored_session(page, game.game_id)["playerId"]
    relay.wait_for_states(1)
    assert host.send("start")["type"] == "ok"
    expect_question(page, quiz["questions"][0]["text"])

    # The answer goes out on a connection that no longer delivers anything, then it drops.
    relay.dropping = True
    venus = page.get_by_role("button", name=re.compile("Venus"))
    venus.click()
    expect(venus).to_be_disabled()
    relay.wait_for_dropped(1)
    assert json.loads(relay.dropped[0])["action"] == "answer"
    relay.dropping = False
    drop_connection(web_runtime, game.game_id, player_id)
    relay.wait_for_states(2)

    # The reply to sync has no answer of the player's, so the page takes one again.
    assert host.send("sync")["answered"] == 0
    for option in page.locator(".option").all():
        expect(option).to_be_enabled()
    expect(page.locator("#notice")).to_have_text(
        "Your answer did not reach the game, because the connection was lost. Answer again."
    )
    page.keyboard.press("2")
    expect_verdict(page, "Right!")
    expect(page.locator("#your-answer")).to_have_text("Mercury")


def test_late_sync_reply_keeps_question(
    open_user: Callable[..., User],
    rest: RestClient,
    game_client: Callable[[str], GameClient],
    web_runtime: RuntimeThread,
) -> None:
    """A reply to sync that arrives after a newer question frame does not take the page back."""
    quiz = two_question_quiz()
    game = rest.host_game(quiz)
    host = game_client(game.host_token)
    page = open_user("player").page
    relay = Relay(page)
    join_by_link(page, game.pin, "Delayed")
    player_id = stored_session(page, game.game_id)["playerId"]
    relay.wait_for_states(1)

    # The page reconnects in the lobby, and the reply to its sync is still on its way when
    # the first question arrives.
    relay.holding_states = True
    drop_connection(web_runtime, game.game_id, player_id)
    deadline = time.monotonic() + scaled(15)
    while not relay.held:
        assert time.monotonic() < deadline, "the page sent no sync after reconnecting"
        page.wait_for_timeout(50)
    assert host.send("start")["type"] == "ok"
    expect_question(page, quiz["questions"][0]["text"])
    relay.release()
    # The page drops the stale reply and requests the state again. The new reply shows the
    # open question.
    relay.wait_for_states(3)
    expect_question(page, quiz["questions"][0]["text"])
    page.keyboard.press("2")
    expect_verdict(page, "Right!")
