"""A whole game through the pages: a host and three players, each in their own browser context.

The host logs in, opens the lobby of a quiz of mixed question types and runs it from the
controls bar. The players join by the link and answer through the player page. One player
reloads in the middle of a question and answers after it. The final podium on the host's
screen must match GET /games/{id}/results, and the report downloads must be the host's.
Screenshots of the lobby, a question, the distribution chart and the podium are taken on a
phone-sized and on a projector-sized viewport.
"""

import json
import re
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, expect

from tests.conftest import scaled
from tests.web.conftest import VIEWPORTS, RestClient, User

PASSWORD = "correct horse battery"
# Long enough for three browsers to answer on a loaded machine; a question closes as soon as
# every connected player has answered.
LIMIT_S = 120

QUIZ: dict[str, Any] = {
    "title": "Mixed bag",
    "questions": [
        {
            "type": "single",
            "text": "Which planet is nearest the Sun?",
            "choices": ["Venus", "Mercury", "Mars", "Earth"],
            "correct": 1,
            "time_limit": LIMIT_S,
            "explanation": "Mercury orbits at 0.39 AU.",
        },
        {
            "type": "multiple",
            "text": "Which of these are prime numbers?",
            "choices": ["2", "4", "5", "9"],
            "correct": [0, 2],
            "scoring": "partial",
            "time_limit": LIMIT_S,
        },
        {
            "type": "type_answer",
            "text": "Which city is the capital of Hungary?",
            "accepted": ["Budapest"],
            "time_limit": LIMIT_S,
        },
        {
            "type": "slider",
            "text": "In which year did people first walk on the Moon?",
            "min": 1950,
            "max": 2000,
            "step": 1,
            "correct": 1969,
            "tolerance": 2,
            "time_limit": LIMIT_S,
        },
        {
            "type": "ordering",
            "text": "Put these oceans in order of size, largest first.",
            "items": ["Pacific", "Atlantic", "Indian"],
            "time_limit": LIMIT_S,
        },
        {
            "type": "true_false",
            "text": "Sound travels faster than light.",
            "correct": False,
            "time_limit": LIMIT_S,
        },
        {
            "type": "poll",
            "text": "Which question did you like best?",
            "choices": ["The slider", "The ordering"],
            "time_limit": LIMIT_S,
        },
    ],
}
NICKNAMES = ["Ada", "Grace", "Linus"]


def login_host(page: Page, rest: RestClient) -> str:
    """Register through the host page and save QUIZ for the new account; return its token."""
    page.goto("/host")
    page.get_by_role("button", name="Create an account").click()
    page.get_by_label("Your name").fill("Quiz Master")
    page.get_by_label("E-mail address").fill(f"e2e-{uuid.uuid4().hex[:12]}@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", name="Your quizzes")).to_be_visible()
    login = json.loads(page.evaluate("localStorage.getItem('livequiz.host.login')"))
    token: str = login["token"]
    rest.create_quiz(token, QUIZ)
    page.reload()
    return token


def hosted_game(page: Page) -> dict[str, Any]:
    game: dict[str, Any] = json.loads(page.evaluate("sessionStorage.getItem('livequiz.host.game')"))
    return game


def shoot_both(page: Page, name: str, screenshot: Callable[[Page, str], Path]) -> None:
    """Save the host's screen on the projector, then on a phone, and go back to the projector."""
    screenshot(page, f"{name}-projector")
    page.set_viewport_size(VIEWPORTS["phone"])
    # Let the layout settle at the new width before the picture.
    page.wait_for_timeout(200)
    screenshot(page, f"{name}-phone")
    page.set_viewport_size(VIEWPORTS["projector"])


def join(player: User, link: str, nickname: str) -> None:
    player.page.goto(link)
    player.page.get_by_label("Nickname").fill(nickname)
    player.page.get_by_role("button", name="Join").click()
    expect(player.page.get_by_role("heading", name="You're in!")).to_be_visible()


def wait_question(player: User, text: str) -> None:
    expect(player.page.get_by_text(text, exact=True)).to_be_visible()


def answer_received(player: User) -> None:
    """Wait until the page took the answer. The last answer closes the question at once, so
    the page may show the close or the result instead of "Answer received"."""
    taken = player.page.locator("#received-title, #closed-title, #result-title")
    expect(taken.first).to_be_visible()


def order_items(page: Page, right_order: list[str], count_right: int) -> None:
    """Move the shown items until the first ``count_right`` places hold the right items."""
    for place, item in enumerate(right_order[:count_right]):
        for _ in range(len(right_order)):
            shown = page.locator("ol.ordering li .label").all_inner_texts()
            if shown.index(item) == place:
                break
            page.get_by_role("button", name=f"Move {item} up").click()


def answer(player: User, index: int, how: str) -> None:
    """Answer question ``index`` of QUIZ through the player page; ``how`` is right or wrong."""
    page = player.page
    right = how == "right"
    if index == 0:
        # Number keys choose an option: 2 is Mercury, 1 is Venus.
        page.keyboard.press("2" if right else "1")
    elif index == 1:
        for choice in ["2", "5"] if right else ["2", "9"]:
            page.get_by_role("button", name=choice, exact=True).click()
        page.get_by_role("button", name="Submit answer").click()
    elif index == 2:
        page.get_by_label("Your answer").fill(" budapest " if right else "Vienna")
        page.get_by_role("button", name="Submit answer").click()
    elif index == 3:
        page.get_by_label("Or type the number").fill("1970" if right else "1990")
        page.get_by_role("button", name="Submit answer").click()
    elif index == 4:
        order_items(page, ["Pacific", "Atlantic", "Indian"], 3 if right else 0)
        page.get_by_role("button", name="Submit order").click()
    elif index == 5:
        page.get_by_role("button", name="True" if not right else "False", exact=True).click()
    else:
        page.get_by_role("button", name="The slider" if right else "The ordering").click()
    answer_received(player)


# Who answers right (r) or wrong (w) on each question, in NICKNAMES order.
PLAN = ["rrw", "rwr", "rrw", "wrr", "rww", "rrr", "rww"]


def test_game_three_players(
    open_user: Callable[..., User],
    rest: RestClient,
    screenshot: Callable[[Page, str], Path],
) -> None:
    host = open_user("host", "projector")
    page = host.page
    token = login_host(page, rest)

    # Start a game with the streak bonus from the quiz list.
    page.get_by_role("button", name="Host Mixed bag").click()
    page.get_by_label("Streak bonus").check()
    page.get_by_role("button", name="Open the lobby").click()
    expect(page.get_by_role("heading", name="Waiting for players")).to_be_visible()
    game = hosted_game(page)
    link = page.locator(".join-link a")
    expect(link).to_have_text(re.compile(rf"/play\?pin={game['pin']}$"))
    expect(page.locator("img.qr")).to_have_attribute("src", re.compile(r"^data:image/svg\+xml"))
    qr = rest.http.get(
        f"/games/{game['gameId']}/qr.svg",
        params={"web_url": link.inner_text().removesuffix(f"/play?pin={game['pin']}")},
        headers=rest.bearer(token),
    )
    assert qr.status_code == 200

    players = [open_user(name, "phone") for name in NICKNAMES]
    for player in players:
        join(player, link.inner_text(), player.name)
    for name in NICKNAMES:
        expect(page.locator(".players .player.online", has_text=name)).to_be_visible()

    # Someone joins who should not: the host kicks them from the lobby, then locks it.
    rest.join(game["pin"], "Intruder")
    intruder = page.locator(".players .player", has_text="Intruder")
    expect(intruder).to_be_visible()
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Kick Intruder").click()
    expect(intruder).to_have_count(0)
    # "Lock joining" is a substring of "Unlock joining", so the names are matched exactly.
    page.get_by_role("button", name="Lock joining", exact=True).click()
    expect(page.get_by_role("button", name="Unlock joining", exact=True)).to_be_visible()
    locked = rest.http.post("/games/join", json={"pin": game["pin"], "nickname": "Late"})
    assert locked.status_code == 409
    assert locked.json()["error"]["code"] == "game_locked"
    page.get_by_role("button", name="Unlock joining", exact=True).click()
    expect(page.get_by_text("Joining is open again.")).to_be_visible()
    expect(page.get_by_role("button", name="Lock joining", exact=True)).to_be_visible()
    lobby = rest.http.get(f"/games/{game['gameId']}/players", headers=rest.bearer(token))
    assert lobby.json()["locked"] is False
    expect(page.locator(".player-count")).to_have_text("3 players joined, 3 connected")
    shoot_both(page, "game-lobby", screenshot)

    page.get_by_role("button", name="Start game").click()
    for index, question in enumerate(QUIZ["questions"]):
        expect(page.locator(".stage .question-text")).to_have_text(question["text"])
        expect(page.locator(".answered-count")).to_have_text("0 of 3 connected players answered")
        for player in players:
            wait_question(player, question["text"])
        if index == 0:
            shoot_both(page, "game-question", screenshot)
            screenshot(players[0].page, "game-question-player-phone")
        if index == 1:
            # Pause keeps the time left; the players see it, then the host resumes.
            page.get_by_role("button", name="Pause").click()
            expect(page.locator(".paused-note")).to_be_visible()
            expect(players[0].page.get_by_role("heading", name="Paused")).to_be_visible()
            page.get_by_role("button", name="Resume").click()
            expect(page.locator(".paused-note")).to_have_count(0)
            wait_question(players[0], question["text"])

        plan = PLAN[index]
        answer(players[0], index, "right" if plan[0] == "r" else "wrong")
        expect(page.locator(".answered-count")).to_have_text("1 of 3 connected players answered")
        if index == 2:
            # The third player reloads in the middle of the question and then answers.
            players[2].page.reload()
            wait_question(players[2], question["text"])
        if index == 6:
            # The last question is skipped after two answers; the third player never answers.
            answer(players[1], index, "right" if plan[1] == "r" else "wrong")
            page.get_by_role("button", name="Skip question").click()
        else:
            answer(players[1], index, "right" if plan[1] == "r" else "wrong")
            answer(players[2], index, "right" if plan[2] == "r" else "wrong")

        expect(page.locator(".stage .chart")).to_be_visible()
        answered = 2 if index == 6 else 3
        summary = page.locator(".reveal-summary")
        if question["type"] == "poll":
            expect(summary).to_have_text(f"{answered} answered")
        else:
            right = sum(1 for mark in PLAN[index] if mark == "r")
            expect(summary).to_have_text(f"{right} of {answered} answered right")
        if index == 0:
            expect(page.locator(".explanation")).to_contain_text("Mercury orbits at 0.39 AU.")
            bars = page.locator(".chart .bar")
            expect(bars).to_have_count(4)
            expect(bars.nth(1)).to_have_class(re.compile(r"\bright\b"))
            expect(bars.nth(1).locator(".bar-count")).to_have_text("2")
            expect(bars.nth(0).locator(".bar-count")).to_have_text("1")
        if index == 1:
            shoot_both(page, "game-chart", screenshot)
        else:
            screenshot(page, f"game-reveal-{question['type']}-projector")
        if index == 3:
            # The first row counts the players within the tolerance; the ten ranges follow,
            # labelled by the steps they hold, so that no two overlap.
            bars = page.locator(".chart .bar")
            expect(bars).to_have_count(11)
            expect(bars.nth(0).locator(".bar-text")).to_have_text("Right: 1967 \u2013 1971")
            expect(bars.nth(0)).to_have_class(re.compile(r"\bright\b"))
            expect(bars.nth(0).locator(".bar-count")).to_have_text("2")
            expect(bars.nth(4).locator(".bar-text")).to_have_text("1965 \u2013 1969")
            expect(bars.nth(5).locator(".bar-text")).to_have_text("1970 \u2013 1974")
            expect(bars.nth(10).locator(".bar-text")).to_have_text("1995 \u2013 2000")
            expect(page.locator(".chart .bar.right")).to_have_count(1)
        last = index == len(QUIZ["questions"]) - 1
        page.get_by_role("button", name="Finish game" if last else "Next question").click()

    expect(page.get_by_role("heading", name="Game over")).to_be_visible()
    steps = page.locator(".podium .step:not(.empty)")
    expect(steps).to_have_count(3)
    for player in players:
        expect(player.page.get_by_role("heading", name="Game over")).to_be_visible()
    shoot_both(page, "game-podium", screenshot)
    screenshot(players[0].page, "game-podium-player-phone")

    results = wait_for_results(rest, game["gameId"])
    assert results["status"] == "ended"
    shown = {
        int(step.locator(".place").inner_text()): (
            step.locator(".name").inner_text(),
            int(step.locator(".score").inner_text().removesuffix(" points")),
        )
        for step in steps.all()
    }
    expected = {entry["rank"]: (entry["nickname"], entry["score"]) for entry in results["players"]}
    assert shown == expected
    assert sorted(name for name, _ in shown.values()) == sorted(NICKNAMES)

    with page.expect_download() as csv_download:
        page.get_by_role("button", name="Download report (CSV)").click()
    csv_path = csv_download.value.path()
    assert csv_download.value.suggested_filename == f"livequiz-report-{game['gameId']}.csv"
    report = Path(csv_path).read_text(encoding="utf-8-sig")
    for name in ["Intruder", *NICKNAMES]:
        assert name in report
    with page.expect_download() as xlsx_download:
        page.get_by_role("button", name="Download report (Excel)").click()
    assert xlsx_download.value.suggested_filename.endswith(".xlsx")
    assert Path(xlsx_download.value.path()).read_bytes()[:2] == b"PK"


def wait_for_results(rest: RestClient, game_id: str) -> dict[str, Any]:
    """Read the results once persist has recorded the end of the game."""
    deadline = time.monotonic() + scaled(15)
    while True:
        results = rest.results(game_id)
        if results["status"] == "ended" or time.monotonic() > deadline:
            return results
        time.sleep(0.2)
