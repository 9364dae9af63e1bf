"""The host page's game screen against scripted players: a reload in the middle of a question,
a manual reveal, survey mode and ending a game early."""

import json
import time
import uuid
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

from playwright.sync_api import APIResponse, Page, Route, expect

from livequiz.questions import Slider, distribution
from livequiz.services import game_store
from livequiz.store import GameStore
from tests.conftest import scaled
from tests.web.conftest import GameClient, RestClient, User

QUIZ: dict[str, Any] = {
    "title": "Two quick ones",
    "questions": [
        {
            "text": "Which colour is the sky on a clear day?",
            "choices": ["Green", "Blue"],
            "correct": 1,
            "time_limit": 120,
            "explanation": "Air scatters blue light the most.",
        },
        {
            "type": "true_false",
            "text": "Ice floats on water.",
            "correct": True,
            "time_limit": 120,
        },
    ],
}


def open_game_options(page: Page, rest: RestClient, quiz: dict[str, Any]) -> None:
    """Register through the page, save ``quiz`` and open its game options."""
    page.goto("/host")
    page.get_by_role("button", name="Create an account").click()
    page.get_by_label("Your name").fill("Game Host")
    page.get_by_label("E-mail address").fill(f"game-{uuid.uuid4().hex[:12]}@example.com")
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", name="Your quizzes")).to_be_visible()
    login = json.loads(page.evaluate("localStorage.getItem('livequiz.host.login')"))
    rest.create_quiz(login["token"], quiz)
    page.reload()
    page.get_by_role("button", name=f"Host {quiz['title']}").click()


def open_lobby(
    page: Page,
    rest: RestClient,
    options: dict[str, str | bool] | None = None,
    quiz: dict[str, Any] = QUIZ,
) -> dict[str, Any]:
    """Register through the page, save ``quiz``, open its lobby with ``options`` and return the
    game."""
    open_game_options(page, rest, quiz)
    for label, value in (options or {}).items():
        if isinstance(value, bool):
            page.get_by_label(label).set_checked(value)
        else:
            page.get_by_label(label).select_option(value)
    page.get_by_role("button", name="Open the lobby").click()
    expect(page.get_by_role("heading", name="Waiting for players")).to_be_visible()
    # The heading says it once; the line under it says what to do.
    expect(page.locator(".player-count")).to_have_text(
        "No one has joined yet. Share the PIN or the join link."
    )
    expect(page.get_by_text("Waiting for players")).to_have_count(1)
    game: dict[str, Any] = json.loads(page.evaluate("sessionStorage.getItem('livequiz.host.game')"))
    return game


def seat(
    rest: RestClient, game_client: Callable[[str], GameClient], pin: str, name: str
) -> GameClient:
    joined = rest.join(pin, name)
    client = game_client(joined["player_token"])
    client.send("sync")
    return client


def test_host_reload_resumes_question(
    open_user: Callable[..., User],
    rest: RestClient,
    game_client: Callable[[str], GameClient],
    screenshot: Callable[[Page, str], Any],
) -> None:
    host = open_user("host", "projector")
    page = host.page
    game = open_lobby(page, rest)
    ada = seat(rest, game_client, game["pin"], "Ada")
    bob = seat(rest, game_client, game["pin"], "Bob")
    expect(page.locator(".player-count")).to_have_text("2 players joined, 2 connected")

    page.get_by_role("button", name="Start game").click()
    question = QUIZ["questions"][0]["text"]
    expect(page.locator(".stage .question-text")).to_have_text(question)
    assert ada.send("answer", question=0, choice=1)["type"] == "answer_received"

    # The host reconnects with the host token kept in the tab, and finds the question again.
    page.reload()
    expect(page.locator(".stage .question-text")).to_have_text(question)
    expect(page.locator(".connection")).to_have_text("Connected")
    expect(page.locator(".answered-count")).to_have_text("1 of 2 connected players answered")
    seconds = int(page.locator(".countdown .seconds").inner_text())
    assert 0 < seconds <= 120

    assert bob.send("answer", question=0, choice=0)["type"] == "answer_received"
    expect(page.locator(".reveal-summary")).to_have_text("1 of 2 answered right")
    expect(page.locator(".explanation")).to_contain_text("Air scatters blue light the most.")
    expect(page.locator(".board .leaderboard li")).to_have_count(2)

    # The players panel kicks during the game too.
    page.get_by_role("button", name="Players").click()
    expect(page.locator("#players-drawer .player")).to_have_count(2)
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Kick Bob").click()
    expect(page.locator("#players-drawer .player")).to_have_count(1)

    # Ending early needs a confirmation; the final ranking then comes from MySQL.
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="End game").click()
    expect(page.get_by_role("heading", name="Game over")).to_be_visible()
    expect(page.locator(".controls")).to_be_hidden()
    first = page.locator('.podium .step[data-place="1"]')
    expect(first.locator(".name")).to_have_text("Ada")
    ada.wait_for("game_ended")
    assert rest.results(game["gameId"])["players"][0]["nickname"] == "Ada"

    page.get_by_role("button", name="Back to quizzes").click()
    expect(page.get_by_role("heading", name="Your quizzes")).to_be_visible()
    assert page.evaluate("sessionStorage.getItem('livequiz.host.game')") is None

    # The report stays at hand after the podium, under "Past games".
    expect(page.get_by_role("heading", name="Past games")).to_be_visible()
    past = page.locator(f'.past-game[data-game-id="{game["gameId"]}"]')
    expect(past.locator(".quiz-title")).to_have_text(QUIZ["title"])
    expect(past).to_contain_text("1 player · won by Ada")
    screenshot(page, "host-past-games-projector")
    with page.expect_download() as download:
        past.get_by_role("button", name="CSV").click()
    assert download.value.suggested_filename == f"livequiz-report-{game['gameId']}.csv"
    report = Path(download.value.path()).read_text(encoding="utf-8")
    assert "Ada" in report


def test_host_manual_reveal_survey(
    open_user: Callable[..., User], rest: RestClient, game_client: Callable[[str], GameClient]
) -> None:
    host = open_user("host", "phone")
    page = host.page
    options: dict[str, str | bool] = {
        "Reveal the answer as soon as a question closes": False,
        "Leaderboard": "never",
    }
    game = open_lobby(page, rest, options)
    ada = seat(rest, game_client, game["pin"], "Ada")
    expect(page.locator(".player-count")).to_have_text("1 player joined, 1 connected")

    page.get_by_role("button", name="Start game").click()
    # "End game" and a disabled "Reveal answer" are in the lobby too, so the question text is
    # what shows that the question is open.
    expect(page.locator(".stage .question-text")).to_have_text(QUIZ["questions"][0]["text"])
    expect(page.get_by_role("button", name="End game")).to_be_visible()
    expect(page.get_by_role("button", name="Reveal answer")).to_be_disabled()
    assert ada.send("answer", question=0, choice=1)["type"] == "answer_received"
    expect(page.locator(".closed-note")).to_have_text(
        "Everyone has answered. Press “Reveal answer” to show it."
    )
    page.get_by_role("button", name="Reveal answer").click()
    expect(page.locator(".reveal-summary")).to_have_text("1 of 1 answered right")
    # Survey mode shows no leaderboard, not even to the host's projector.
    expect(page.locator(".board")).to_have_count(0)

    page.get_by_role("button", name="Next question").click()
    expect(page.locator(".stage .question-text")).to_have_text(QUIZ["questions"][1]["text"])
    page.get_by_role("button", name="Skip question").click()
    expect(page.locator(".closed-note")).to_contain_text("The question was skipped.")
    # The host may move on without revealing; after the last question that ends the game.
    # "Finish game" is then the one way to end it, with no "End game" beside it.
    expect(page.get_by_role("button", name="End game")).to_be_hidden()
    page.get_by_role("button", name="Finish game").click()
    expect(page.get_by_role("heading", name="Game over")).to_be_visible()
    expect(page.get_by_text("This game shows no ranking (survey mode).")).to_be_visible()


def test_host_reload_paused_after_reveal(
    open_user: Callable[..., User], rest: RestClient, game_client: Callable[[str], GameClient]
) -> None:
    page = open_user("host", "projector").page
    game = open_lobby(page, rest)
    ada = seat(rest, game_client, game["pin"], "Ada")
    expect(page.locator(".player-count")).to_have_text("1 player joined, 1 connected")

    page.get_by_role("button", name="Start game").click()
    expect(page.locator(".stage .question-text")).to_have_text(QUIZ["questions"][0]["text"])
    assert ada.send("answer", question=0, choice=1)["type"] == "answer_received"
    expect(page.locator(".reveal-summary")).to_have_text("1 of 1 answered right")
    page.get_by_role("button", name="Pause").click()
    expect(page.locator(".paused-note")).to_have_text("Paused. Press “Resume” to go on.")

    page.reload()
    expect(page.locator(".connection")).to_have_text("Connected")
    expect(page.locator(".paused-note")).to_have_text("Paused. Press “Resume” to go on.")
    expect(page.locator(".reveal-summary")).to_have_text("1 of 1 answered right")
    page.get_by_role("button", name="Resume").click()
    expect(page.locator(".paused-note")).to_have_count(0)
    expect(page.locator(".reveal-summary")).to_have_text("1 of 1 answered right")
    expect(page.get_by_role("button", name="Next question")).to_be_enabled()


def test_stale_players_reading_keeps_lock(open_user: Callable[..., User], rest: RestClient) -> None:
    """A players reading sent before the lock and received after it leaves the lock shown."""
    page = open_user("host", "projector").page
    game = open_lobby(page, rest)
    lock = page.get_by_role("button", name="Lock joining", exact=True)
    unlock = page.get_by_role("button", name="Unlock joining", exact=True)
    expect(lock).to_be_visible()

    # Hold the next players reading with the unlocked state it read, until the lock is done.
    held: list[tuple[Route, APIResponse]] = []

    def hold(route: Route) -> None:
        if held:
            route.continue_()
        else:
            held.append((route, route.fetch()))

    pattern = f"**/games/{game['gameId']}/players"
    page.route(pattern, hold)
    deadline = time.monotonic() + scaled(10)
    while not held:
        assert time.monotonic() < deadline, "no players reading went out"
        page.wait_for_timeout(100)
    assert held[0][1].json()["locked"] is False

    lock.click()
    expect(unlock).to_be_visible()
    route, response = held[0]
    route.fulfill(response=response)
    page.unroute(pattern)
    # Read the button once the page has had the held reading, with no retry: the next poll
    # reads the locked state and would hide a wrong redraw.
    page.wait_for_timeout(300)
    assert unlock.is_visible()
    assert lock.count() == 0


def test_host_resumes_after_closing_tab(
    open_user: Callable[..., User], rest: RestClient, game_client: Callable[[str], GameClient]
) -> None:
    """A host who closed the tab of a running game takes it up again from "Past games"."""
    host = open_user("host", "projector")
    page = host.page
    game = open_lobby(page, rest)
    ada = seat(rest, game_client, game["pin"], "Ada")
    expect(page.locator(".player-count")).to_have_text("1 player joined, 1 connected")
    page.get_by_role("button", name="Start game").click()
    question = QUIZ["questions"][0]["text"]
    expect(page.locator(".stage .question-text")).to_have_text(question)

    # Closing the tab loses the host token that sessionStorage kept; the login stays.
    page.close()
    page = host.context.new_page()
    page.goto("/host")
    expect(page.get_by_role("heading", name="Your quizzes")).to_be_visible()
    past = page.locator(f'.past-game[data-game-id="{game["gameId"]}"]')
    expect(past).to_contain_text("still running")
    past.get_by_role("button", name="Resume hosting").click()

    expect(page.locator(".stage .question-text")).to_have_text(question)
    expect(page.locator(".connection")).to_have_text("Connected")
    assert ada.send("answer", question=0, choice=1)["type"] == "answer_received"
    expect(page.locator(".reveal-summary")).to_have_text("1 of 1 answered right")
    resumed = json.loads(page.evaluate("sessionStorage.getItem('livequiz.host.game')"))
    assert resumed["gameId"] == game["gameId"]
    assert resumed["pin"] == game["pin"]


def test_host_resumes_lobby_after_closing_tab(
    open_user: Callable[..., User], rest: RestClient, game_client: Callable[[str], GameClient]
) -> None:
    """A host who closed the tab of a lobby with players waiting takes it up again."""
    host = open_user("host", "projector")
    page = host.page
    game = open_lobby(page, rest)
    seat(rest, game_client, game["pin"], "Ada")
    expect(page.locator(".player-count")).to_have_text("1 player joined, 1 connected")

    page.close()
    page = host.context.new_page()
    page.goto("/host")
    past = page.locator(f'.past-game[data-game-id="{game["gameId"]}"]')
    expect(past).to_contain_text("waiting in the lobby")
    # A lobby has no answers, so it offers no report.
    expect(past.get_by_role("button", name="CSV report")).to_have_count(0)
    past.get_by_role("button", name="Resume hosting").click()

    expect(page.get_by_role("heading", name="Waiting for players")).to_be_visible()
    expect(page.locator(".connection")).to_have_text("Connected")
    expect(page.locator(".player-count")).to_have_text("1 player joined, 1 connected")
    expect(page.locator(".players .nickname")).to_have_text(["Ada"])
    expect(page.get_by_role("button", name="Start game")).to_be_enabled()


def test_expired_past_game_not_resumable(
    open_user: Callable[..., User], rest: RestClient, game_client: Callable[[str], GameClient]
) -> None:
    """An expired game loses "Resume hosting" on the failed resume and after a reload."""
    host = open_user("host", "projector")
    page = host.page
    game = open_lobby(page, rest)
    seat(rest, game_client, game["pin"], "Ada")
    expect(page.locator(".player-count")).to_have_text("1 player joined, 1 connected")
    page.get_by_role("button", name="Start game").click()
    expect(page.locator(".stage .question-text")).to_have_text(QUIZ["questions"][0]["text"])
    page.close()

    page = host.context.new_page()
    page.goto("/host")
    past = page.locator(f'.past-game[data-game-id="{game["gameId"]}"]')
    resume = past.get_by_role("button", name="Resume hosting")
    expect(past).to_contain_text("still running")
    expect(resume).to_be_visible()
    # The game expires after the history was read: the button then fails with 404.
    game_store().redis.delete(GameStore.key(game["gameId"], "game"))
    resume.click()
    expect(past).to_contain_text("no longer live")
    expect(resume).to_have_count(0)
    expect(page.locator("#notice")).to_contain_text("no longer live")
    expect(past.get_by_role("button", name="CSV report")).to_be_visible()

    # A history read after the expiry shows it from the start.
    page.reload()
    expect(past).to_contain_text("no longer live")
    expect(past).not_to_contain_text("still running")
    expect(resume).to_have_count(0)


def test_answered_count_after_late_join(
    open_user: Callable[..., User], rest: RestClient, game_client: Callable[[str], GameClient]
) -> None:
    """A player who joined after the lobby's last players reading counts from the start."""
    page = open_user("host", "projector").page
    game = open_lobby(page, rest)
    # Hold every players reading from now on, as if the player joined just before Start.
    page.route(f"**/games/{game['gameId']}/players", lambda route: None)
    page.wait_for_timeout(scaled(2.5) * 1000)
    seat(rest, game_client, game["pin"], "Ada")
    expect(page.locator(".player-count")).to_have_text(
        "No one has joined yet. Share the PIN or the join link."
    )

    page.get_by_role("button", name="Start game").click()
    expect(page.locator(".stage .question-text")).to_have_text(QUIZ["questions"][0]["text"])
    expect(page.locator(".answered-count")).to_have_text("0 of 1 connected players answered")


def test_answered_count_after_join_during_question(
    open_user: Callable[..., User], rest: RestClient, game_client: Callable[[str], GameClient]
) -> None:
    """A player who joins while a question is open counts as connected before any answer."""
    page = open_user("host", "projector").page
    game = open_lobby(page, rest)
    seat(rest, game_client, game["pin"], "Ada")
    seat(rest, game_client, game["pin"], "Bob")
    expect(page.locator(".player-count")).to_have_text("2 players joined, 2 connected")
    page.get_by_role("button", name="Start game").click()
    expect(page.locator(".stage .question-text")).to_have_text(QUIZ["questions"][0]["text"])
    expect(page.locator(".answered-count")).to_have_text("0 of 2 connected players answered")

    cy = seat(rest, game_client, game["pin"], "Cy")
    expect(page.locator(".answered-count")).to_have_text("0 of 3 connected players answered")
    assert cy.send("answer", question=0, choice=1)["type"] == "answer_received"
    expect(page.locator(".answered-count")).to_have_text("1 of 3 connected players answered")


SLIDER_QUIZ: dict[str, Any] = {
    "title": "Small and large sliders",
    "questions": [
        {
            "type": "slider",
            "text": "How many metres is half a micrometre?",
            "min": 0,
            "max": 0.000001,
            "step": 0.0000001,
            "correct": 0.0000005,
            "time_limit": 120,
        },
        {
            "type": "slider",
            "text": "Pick the large number.",
            "min": 0,
            "max": 200000000000,
            "step": 0.5,
            "correct": 123456789012.5,
            "tolerance": 1.5,
            "time_limit": 120,
        },
    ],
}


def test_slider_values_in_step_decimals(
    open_user: Callable[..., User], rest: RestClient, game_client: Callable[[str], GameClient]
) -> None:
    """Slider values show every digit of the step, with no exponent and no rounding."""
    page = open_user("host", "projector").page
    game = open_lobby(page, rest, quiz=SLIDER_QUIZ)
    ada = seat(rest, game_client, game["pin"], "Ada")
    expect(page.locator(".player-count")).to_have_text("1 player joined, 1 connected")
    page.get_by_role("button", name="Start game").click()

    expect(page.locator(".stage .hint-line")).to_have_text(
        "Pick a number from 0.0000000 to 0.0000010 in steps of 0.0000001."
    )
    assert ada.send("answer", question=0, value=0.0000005)["type"] == "answer_received"
    expect(page.locator(".correct-answer")).to_have_text("Right value: 0.0000005")

    page.get_by_role("button", name="Next question").click()
    expect(page.locator(".stage .hint-line")).to_have_text(
        "Pick a number from 0.0 to 200000000000.0 in steps of 0.5."
    )
    assert ada.send("answer", question=1, value=123456789012.5)["type"] == "answer_received"
    expect(page.locator(".correct-answer")).to_contain_text("Right value: 123456789012.5")
    expect(page.locator(".correct-answer")).to_contain_text("(within ± 1.5 counts as right)")


def test_number_format_helper(open_user: Callable[..., User]) -> None:
    page = open_user("host").page
    page.goto("/host")
    formatted = page.evaluate(
        """async () => {
          const { decimals, formatDecimal } = await import("/js/lib/numbers.js");
          return {
            tiny: decimals(0.0000001),
            tinyMantissa: decimals(1.5e-7),
            whole: decimals(1e21),
            noise: formatDecimal(0.1 + 0.2),
            tinyValue: formatDecimal(5e-7, 7),
            large: formatDecimal(123456789012.5, 1),
            padded: formatDecimal(2, 2),
          };
        }"""
    )
    assert formatted["tiny"] == 7
    assert formatted["tinyMantissa"] == 8
    assert formatted["whole"] == 0
    assert formatted["noise"] == "0.3"
    assert formatted["tinyValue"] == "0.0000005"
    assert formatted["large"] == "123456789012.5"
    assert formatted["padded"] == "2.00"


def test_final_ranking_retried_after_failure(
    open_user: Callable[..., User], rest: RestClient, game_client: Callable[[str], GameClient]
) -> None:
    """A failed reading of the final ranking is retried by itself and by a button."""
    page = open_user("host", "projector").page
    game = open_lobby(page, rest)
    ada = seat(rest, game_client, game["pin"], "Ada")
    expect(page.locator(".player-count")).to_have_text("1 player joined, 1 connected")
    page.get_by_role("button", name="Start game").click()
    expect(page.locator(".stage .question-text")).to_have_text(QUIZ["questions"][0]["text"])
    assert ada.send("answer", question=0, choice=1)["type"] == "answer_received"
    expect(page.locator(".reveal-summary")).to_have_text("1 of 1 answered right")

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="End game").click()
    first = page.locator('.podium .step[data-place="1"]')
    expect(first.locator(".name")).to_have_text("Ada")

    # A reload reads the ranking from REST. The first reading fails as if the network dropped
    # it, and the retry a second later works.
    failing = {"left": 1}

    def results(route: Route) -> None:
        if failing["left"] > 0:
            failing["left"] -= 1
            route.abort()
        else:
            route.continue_()

    page.route(f"**/games/{game['gameId']}/results", results)
    page.reload()
    expect(page.locator(".results-error")).to_contain_text("The final ranking could not be loaded.")
    expect(page.locator(".results-error")).to_contain_text("Trying again in 1 s.")
    expect(first.locator(".name")).to_have_text("Ada")

    # Every reading fails until the host presses the button.
    failing["left"] = 1000
    page.reload()
    expect(page.locator(".results-error")).to_contain_text("Trying again in 1 s.")
    expect(page.locator(".results-error")).to_contain_text("Trying again in 2 s.")
    failing["left"] = 0
    page.get_by_role("button", name="Try again").click()
    expect(first.locator(".name")).to_have_text("Ada")


# Slider setups whose range labels float arithmetic got wrong: a large (value - min) / step,
# steps that do not divide the ranges, negative ranges, and ranges that hold no step. Each
# has few enough steps for the server's count to run on every one.
RANGE_CASES = [
    (1950, 2000, 1),
    (1000000, 1000000.00001, 0.0000001),
    (123456.789, 123457.789, 0.001),
    (-7.5, -7.499999, 0.0000001),
    (-7.5, 27.5, 7),
    (0.1, 0.3, 0.1),
    (0, 1, 0.25),
]


def server_range_labels(minimum: float, maximum: float, step: float) -> list[str]:
    """Label each of the server's ten ranges by the first and last step value it counts."""
    places = max(-Decimal(repr(value)).normalize().as_tuple().exponent for value in (minimum, step))
    places = max(places, 0)
    low, step_exact = Decimal(repr(minimum)), Decimal(repr(step))
    count = int((Decimal(repr(maximum)) - low) / step_exact)
    question = Slider(type="slider", text="Q", min=minimum, max=maximum, step=step, correct=minimum)
    by_range: dict[int, list[Decimal]] = {}
    for index in range(count + 1):
        value = low + index * step_exact
        counts = distribution(question, [float(value)])["counts"]
        by_range.setdefault(counts.index(1), []).append(value)
    labels = []
    for number in range(10):
        values = by_range.get(number, [])
        shown = [f"{value:.{places}f}" for value in values]
        if not shown:
            labels.append("no value on a step")
        elif len(shown) == 1:
            labels.append(shown[0])
        else:
            labels.append(f"{shown[0]} \u2013 {shown[-1]}")
    return labels


def test_slider_range_labels_match_server(open_user: Callable[..., User]) -> None:
    page = open_user("host").page
    page.goto("/host")
    views = [{"min": low, "max": high, "step": step} for low, high, step in RANGE_CASES]
    labels = page.evaluate(
        """async (views) => {
          const { rangeLabels } = await import("/js/host/chart.js");
          return views.map((view) => rangeLabels(view));
        }""",
        views,
    )
    for view, shown in zip(views, labels, strict=True):
        expected = server_range_labels(view["min"], view["max"], view["step"])
        assert shown == expected, view


def test_slider_range_labels_wide_range(open_user: Callable[..., User]) -> None:
    """Steps of 0.1 across ±1e12 label their ranges with no float noise."""
    page = open_user("host").page
    page.goto("/host")
    labels = page.evaluate(
        """async () => {
          const { rangeLabels } = await import("/js/host/chart.js");
          return rangeLabels({ min: -999999999999.9, max: 999999999999.9, step: 0.1 });
        }"""
    )
    assert labels[0] == "-999999999999.9 \u2013 -800000000000.0"
    assert labels[5] == "0.0 \u2013 199999999999.9"
    assert labels[9] == "800000000000.0 \u2013 999999999999.9"
