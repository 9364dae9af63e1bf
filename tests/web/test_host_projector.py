"""The host's game screen on a small projector (1366 x 768): each phase fits on one screen.

A room cannot scroll the host's laptop, so the players list in the lobby, the answered count
of an open question and the explanation and leaderboard of a reveal must all be in view.
"""

from collections.abc import Callable
from pathlib import Path
from typing import Any

from playwright.sync_api import Locator, Page, expect

from tests.web.conftest import GameClient, RestClient, User
from tests.web.test_host_game import open_game_options, open_lobby, seat

SMALL_PROJECTOR = {"width": 1366, "height": 768}

QUIZ: dict[str, Any] = {
    "title": "Projector fit",
    "questions": [
        {
            "text": "Which planet has the shortest year in our solar system?",
            "choices": ["Venus", "Mercury", "Mars", "Earth"],
            "correct": 1,
            "time_limit": 120,
            "explanation": "Mercury goes round the Sun in 88 days.",
        },
        {
            "type": "multiple",
            "text": "Which of these are planets of our solar system, as counted since 2006?",
            "choices": ["Mercury", "Pluto", "Ceres", "Neptune", "Eris", "Saturn"],
            "correct": [0, 3, 5],
            "time_limit": 120,
        },
        {
            "type": "slider",
            "text": "In which year did the first person walk on the Moon?",
            "min": 1950,
            "max": 2000,
            "step": 1,
            "correct": 1969,
            "tolerance": 2,
            "time_limit": 120,
            "explanation": "Apollo 11 landed in July 1969.",
        },
    ],
}


def assert_in_view(page: Page, locator: Locator, description: str) -> None:
    """Assert that ``locator`` is shown whole inside the viewport, with the page unscrolled."""
    expect(locator).to_be_visible()
    box = locator.bounding_box()
    assert box is not None, f"{description} has no box"
    scrolled = page.evaluate("window.scrollY")
    assert scrolled == 0, f"the page is scrolled by {scrolled} px"
    bottom = box["y"] + box["height"]
    height = SMALL_PROJECTOR["height"]
    assert bottom <= height, f"{description} ends at {bottom} px, below the screen"


def test_small_projector_fits_each_phase(
    open_user: Callable[..., User],
    rest: RestClient,
    game_client: Callable[[str], GameClient],
    screenshot: Callable[[Page, str], Path],
) -> None:
    page = open_user("host", "projector").page
    page.set_viewport_size(SMALL_PROJECTOR)
    game = open_lobby(page, rest, quiz=QUIZ)
    ada = seat(rest, game_client, game["pin"], "Ada Lovelace")
    koala = seat(rest, game_client, game["pin"], "Merry Koala")
    expect(page.locator(".player-count")).to_have_text("2 players joined, 2 connected")
    assert_in_view(page, page.locator(".players"), "the players list")
    screenshot(page, "small-projector-lobby")

    page.get_by_role("button", name="Start game").click()
    expect(page.locator(".stage .question-text")).to_have_text(QUIZ["questions"][0]["text"])
    assert_in_view(page, page.locator(".answered-count"), "the answered count")
    screenshot(page, "small-projector-question")

    assert ada.send("answer", question=0, choice=1)["type"] == "answer_received"
    assert koala.send("answer", question=0, choice=0)["type"] == "answer_received"
    expect(page.locator(".reveal-summary")).to_have_text("1 of 2 answered right")
    expect(page.locator(".game-head .phase")).to_have_text("Answer revealed")
    assert_in_view(page, page.locator(".explanation"), "the explanation")
    assert_in_view(page, page.locator(".board"), "the leaderboard")
    screenshot(page, "small-projector-reveal")

    # Six choices, paused: the options and the pause note still fit.
    page.get_by_role("button", name="Next question").click()
    expect(page.locator(".stage .question-text")).to_have_text(QUIZ["questions"][1]["text"])
    page.get_by_role("button", name="Pause").click()
    expect(page.locator(".paused-note")).to_be_visible()
    assert_in_view(page, page.locator(".host-options"), "the six options")
    assert_in_view(page, page.locator(".paused-note"), "the pause note")
    assert_in_view(page, page.locator(".answered-count"), "the paused answered count")
    screenshot(page, "small-projector-paused")
    page.get_by_role("button", name="Resume").click()
    expect(page.locator(".paused-note")).to_have_count(0)
    assert ada.send("answer", question=1, choices=[0, 3, 5])["type"] == "answer_received"
    assert koala.send("answer", question=1, choices=[1])["type"] == "answer_received"
    expect(page.locator(".reveal-summary")).to_have_text("1 of 2 answered right")

    page.get_by_role("button", name="Next question").click()
    expect(page.locator(".stage .question-text")).to_have_text(QUIZ["questions"][2]["text"])
    assert ada.send("answer", question=2, value=1970)["type"] == "answer_received"
    assert koala.send("answer", question=2, value=1990)["type"] == "answer_received"
    expect(page.locator(".reveal-summary")).to_have_text("1 of 2 answered right")
    assert_in_view(page, page.locator(".explanation"), "the slider's explanation")
    assert_in_view(page, page.locator(".board"), "the slider's leaderboard")
    assert_in_view(page, page.locator(".chart"), "the slider's chart")
    screenshot(page, "small-projector-reveal-slider")

    page.get_by_role("button", name="Finish game").click()
    expect(page.get_by_role("heading", name="Game over")).to_be_visible()
    steps = page.locator(".podium .step:not(.empty)")
    expect(steps).to_have_count(2)
    # Two players stand in the middle of the podium, with no empty place beside them.
    podium = page.locator(".podium").bounding_box()
    first = steps.nth(0).bounding_box()
    last = steps.nth(1).bounding_box()
    assert podium is not None
    assert first is not None
    assert last is not None
    left = min(first["x"], last["x"])
    right = max(first["x"] + first["width"], last["x"] + last["width"])
    podium_middle = podium["x"] + podium["width"] / 2
    assert abs((left + right) / 2 - podium_middle) <= 2
    screenshot(page, "small-projector-podium")


def test_small_projector_fits_game_options(
    open_user: Callable[..., User], rest: RestClient, screenshot: Callable[[Page, str], Path]
) -> None:
    """The game options and their "Open the lobby" button fit a 1366 x 768 screen."""
    page = open_user("host", "projector").page
    page.set_viewport_size(SMALL_PROJECTOR)
    open_game_options(page, rest, QUIZ)
    screenshot(page, "small-projector-options")
    assert_in_view(page, page.get_by_role("button", name="Open the lobby"), "Open the lobby")
