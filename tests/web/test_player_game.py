"""The player page in Chromium against the real stack: joining, every question type, reloads.

The host's side is driven from the test over the WebSocket API, so these tests need no host
page. With one player in the game, each question closes as soon as that player has answered,
and the reveal follows at once.
"""

import random
import re
import uuid
from collections.abc import Callable
from fractions import Fraction
from typing import Any

import pytest
import redis
from playwright.sync_api import Browser, Page, expect

from livequiz.config import Settings
from livequiz.local.runtime import RuntimeThread
from livequiz.questions import Slider, snap
from tests.web.conftest import VIEWPORTS, GameClient, RestClient, User

# Long enough that a slow machine answers in time. Every question closes when the player has
# answered, so a passing test never waits for it.
TIME_LIMIT_S = 60
MARKUP_NICKNAME = "<b>Ada</b><i>x</i>"


def mixed_quiz() -> dict[str, Any]:
    """One question of each type, with the right answers the tests give through the page."""
    tag = uuid.uuid4().hex[:6]
    questions: list[dict[str, Any]] = [
        {
            "type": "single",
            "text": f"Which planet is nearest the Sun? ({tag})",
            "choices": ["Venus", "Mercury", "Mars"],
            "correct": 1,
            "explanation": "Mercury orbits at 0.39 AU.",
        },
        {"type": "true_false", "text": "Water is wet.", "correct": True},
        {
            "type": "multiple",
            "text": "Which are prime?",
            "choices": ["2", "4", "5", "9"],
            "correct": [0, 2],
        },
        {"type": "type_answer", "text": "Capital of Hungary?", "accepted": ["Budapest"]},
        {
            "type": "slider",
            "text": "First Moon landing, the year?",
            "min": 1950,
            "max": 2000,
            "step": 1,
            "correct": 1969,
            "tolerance": 0,
        },
        {
            "type": "ordering",
            "text": "Order by size, largest first.",
            "items": ["Jupiter", "Earth", "Moon", "Phobos"],
        },
        {"type": "poll", "text": "Which did you like?", "choices": ["Choice", "Slider"]},
    ]
    for question in questions:
        question["time_limit"] = TIME_LIMIT_S
    return {"title": f"Web player test {tag}", "questions": questions}


def join_by_link(page: Page, pin: str, nickname: str) -> None:
    page.goto(f"/play?pin={pin}")
    expect(page.get_by_label("Game PIN")).to_have_value(pin)
    page.get_by_label("Nickname").fill(nickname)
    page.get_by_label("Nickname").press("Enter")
    expect(page.locator("#lobby-title")).to_have_text("You're in!")


def assert_no_horizontal_scroll(page: Page, where: str) -> None:
    widths = page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert widths[0] <= widths[1], f"{where}: scrollWidth {widths[0]} > clientWidth {widths[1]}"


def expect_question(page: Page, text: str) -> None:
    expect(page.locator("#question-text")).to_have_text(text)


def expect_verdict(page: Page, verdict: str) -> None:
    expect(page.locator("#result-title")).to_have_text(verdict)


def put_in_order(page: Page, right_order: list[str]) -> None:
    """Move the shown ordering items into ``right_order`` with the page's move-up buttons."""
    for place, item in enumerate(right_order):
        labels = page.locator(".ordering .label").all_text_contents()
        for _ in range(labels.index(item) - place):
            page.get_by_role("button", name=f"Move {item} up").click()
    expect(page.locator(".ordering .label")).to_have_text(right_order)


def test_player_plays_every_type(
    open_user: Callable[..., User],
    rest: RestClient,
    game_client: Callable[[str], GameClient],
    screenshot: Callable[[Page, str], Any],
) -> None:
    quiz = mixed_quiz()
    game = rest.host_game(quiz, options={"streak_bonus": True})
    host = game_client(game.host_token)
    page = open_user("player").page

    join_by_link(page, game.pin, MARKUP_NICKNAME)
    expect(page.locator("#player-name")).to_have_text(MARKUP_NICKNAME)
    expect(page.locator(".connection")).to_have_text("Online")
    assert_no_horizontal_scroll(page, "lobby")
    screenshot(page, "player-lobby-phone")

    texts = [question["text"] for question in quiz["questions"]]
    assert host.send("start")["type"] == "ok"

    # single: a click on the right option
    expect_question(page, texts[0])
    expect(page.locator(".option")).to_have_count(3)
    assert_no_horizontal_scroll(page, "single question")
    screenshot(page, "player-question-phone")
    expect(page.get_by_text("Pick one. Keys 1 to 3 choose too.")).to_be_visible()
    page.get_by_role("button", name=re.compile("Mercury")).click()
    expect_verdict(page, "Right!")
    expect(page.locator("#your-answer")).to_have_text("Mercury")
    expect(page.locator("#right-answer")).to_contain_text("Mercury")
    expect(page.locator("#explanation")).to_have_text("Mercury orbits at 0.39 AU.")
    expect(page.locator("[data-stat=streak] dd")).to_have_text("1")
    expect(page.locator("[data-stat=rank] dd")).to_have_text("1 of 1")
    expect(page.locator("#leaderboard li")).to_have_text([re.compile(re.escape(MARKUP_NICKNAME))])
    assert_no_horizontal_scroll(page, "result")
    screenshot(page, "player-result-phone")
    first_points = int(page.locator("[data-stat=points] dd").inner_text().lstrip("+"))
    assert first_points > 0
    assert host.send("next")["type"] == "ok"

    # true_false: the number key 1 picks True
    expect_question(page, texts[1])
    expect(page.get_by_text("Pick one. Keys 1 and 2 choose too.")).to_be_visible()
    page.keyboard.press("1")
    expect_verdict(page, "Right!")
    expect(page.locator("#your-answer")).to_have_text("True")
    expect(page.locator("[data-stat=streak] dd")).to_have_text("2")
    expect(page.locator("[data-stat=points] dd")).to_contain_text("+100 streak bonus")
    # The bonus is a small line of its own, so the points stay one short number on a phone.
    expect(page.locator("[data-stat=points] .stat-note")).to_have_text("incl. +100 streak bonus")
    screenshot(page, "player-streak-bonus-phone")
    assert host.send("next")["type"] == "ok"

    # multiple: keys 1 and 3 toggle, then the submit button by keyboard
    expect_question(page, texts[2])
    page.keyboard.press("1")
    page.keyboard.press("3")
    expect(page.locator(".option[aria-pressed=true]")).to_have_count(2)
    page.get_by_role("button", name="Submit answer").focus()
    page.keyboard.press("Enter")
    expect_verdict(page, "Right!")
    expect(page.locator("#your-answer .option-tag")).to_have_text(["2", "5"])
    assert host.send("next")["type"] == "ok"

    # type_answer: typed with other case and spaces, sent with Enter
    expect_question(page, texts[3])
    expect(page.get_by_label("Your answer")).to_be_focused()
    page.keyboard.type("  BudaPest ")
    page.keyboard.press("Enter")
    expect_verdict(page, "Right!")
    # Graded in a folded form, but shown back as typed.
    expect(page.locator("#your-answer")).to_have_text("BudaPest")
    expect(page.locator("#right-answer")).to_have_text("Budapest")
    assert host.send("next")["type"] == "ok"

    # slider: a number between two steps typed, which the page snaps, then submitted
    expect_question(page, texts[4])
    page.get_by_label("Or type the number").fill("1968.6")
    expect(page.locator(".slider-value")).to_have_text("1969")
    expect(page.locator("#slider-snap")).to_have_text("1968.6 counts as 1969, the nearest step.")
    screenshot(page, "player-slider-phone")
    page.get_by_role("button", name="Submit answer").click()
    expect_verdict(page, "Right!")
    expect(page.locator("#your-answer")).to_have_text("1969")
    expect(page.locator("#right-answer")).to_have_text("1969")
    assert host.send("next")["type"] == "ok"

    # ordering: moved into the right order, then submitted
    expect_question(page, texts[5])
    put_in_order(page, quiz["questions"][5]["items"])
    assert_no_horizontal_scroll(page, "ordering question")
    screenshot(page, "player-ordering-phone")
    page.get_by_role("button", name="Submit order").click()
    expect_verdict(page, "Right!")
    expect(page.locator("#your-answer li")).to_have_text(quiz["questions"][5]["items"])
    expect(page.locator("#right-answer li")).to_have_text(quiz["questions"][5]["items"])
    assert host.send("next")["type"] == "ok"

    # poll: no right answer, and the streak stays
    expect_question(page, texts[6])
    page.get_by_role("button", name=re.compile("Slider")).click()
    expect_verdict(page, "Thanks for voting!")
    expect(page.locator("#your-answer")).to_have_text("Slider")
    expect(page.locator("[data-stat=points]")).to_have_count(0)
    assert host.send("next")["type"] == "ok"

    # The end: the podium, with the nickname as text, matching the REST results
    expect(page.locator("#podium-title")).to_have_text("Game over")
    expect(page.locator("#podium .name")).to_have_text([MARKUP_NICKNAME])
    assert page.locator("#podium b, #player-name b, #leaderboard b").count() == 0
    assert_no_horizontal_scroll(page, "podium")
    screenshot(page, "player-podium-phone")
    ended = host.wait_for("game_ended")
    assert ended["top"][0]["nickname"] == MARKUP_NICKNAME
    score = ended["top"][0]["score"]
    expect(page.get_by_text(f"You finished 1st of 1 with {score} points.")).to_be_visible()


def test_reload_mid_question_continues(
    open_user: Callable[..., User],
    rest: RestClient,
    game_client: Callable[[str], GameClient],
) -> None:
    quiz = mixed_quiz()
    quiz["questions"] = quiz["questions"][:2]
    game = rest.host_game(quiz)
    host = game_client(game.host_token)
    page = open_user("player").page
    join_by_link(page, game.pin, "Reloader")
    stored = page.evaluate("() => ({...localStorage})")

    assert host.send("start")["type"] == "ok"
    expect_question(page, quiz["questions"][0]["text"])
    page.reload()
    expect_question(page, quiz["questions"][0]["text"])
    expect(page.locator("#player-name")).to_have_text("Reloader")
    assert page.evaluate("() => ({...localStorage})") == stored
    seconds = int(page.locator(".countdown .seconds").inner_text())
    assert 0 < seconds <= TIME_LIMIT_S

    page.get_by_role("button", name=re.compile("Mercury")).click()
    expect_verdict(page, "Right!")
    closed = host.wait_for("question_closed", question=0)
    assert closed["reason"] == "all_answered"
    assert closed["answered"] == 1
    state = host.send("sync")
    assert state["players"] == 1

    # A reload after the answer shows it as received, and the next question as usual.
    assert host.send("next")["type"] == "ok"
    expect_question(page, quiz["questions"][1]["text"])
    page.keyboard.press("2")
    expect_verdict(page, "Wrong")
    page.reload()
    expect(page.locator("#result-title")).to_have_text("Wrong")


def test_reload_after_others_answered(
    open_user: Callable[..., User],
    rest: RestClient,
    game_client: Callable[[str], GameClient],
) -> None:
    """A reload while every other player has answered keeps the question open for this one."""
    quiz = mixed_quiz()
    quiz["questions"] = quiz["questions"][:1]
    game = rest.host_game(quiz)
    host = game_client(game.host_token)
    joined = rest.join(game.pin, "Quick")
    quick = game_client(joined["player_token"])
    quick.send("sync")
    page = open_user("player").page
    join_by_link(page, game.pin, "Reloader")

    assert host.send("start")["type"] == "ok"
    expect_question(page, quiz["questions"][0]["text"])
    assert quick.send("answer", question=0, choice=1)["type"] == "answer_received"
    # The reload closes this page's connection, leaving only a player who has answered.
    page.reload()
    expect_question(page, quiz["questions"][0]["text"])
    page.get_by_role("button", name=re.compile("Mercury")).click()
    expect_verdict(page, "Right!")
    closed = host.wait_for("question_closed", question=0)
    assert closed["reason"] == "all_answered"
    assert closed["answered"] == 2


def test_answered_question_survives_reload(
    open_user: Callable[..., User],
    rest: RestClient,
    game_client: Callable[[str], GameClient],
    screenshot: Callable[[Page, str], Any],
) -> None:
    quiz = mixed_quiz()
    quiz["questions"] = quiz["questions"][:1]
    game = rest.host_game(quiz)
    host = game_client(game.host_token)
    # A second player keeps the question open after the first one has answered.
    other = rest.join(game.pin, "Waiting")
    waiting = game_client(other["player_token"])
    page = open_user("player").page
    join_by_link(page, game.pin, "Early")

    assert host.send("start")["type"] == "ok"
    expect_question(page, quiz["questions"][0]["text"])
    page.keyboard.press("2")
    expect(page.locator("#received-title")).to_have_text("Answer received")
    expect(page.locator("#your-answer")).to_have_text("Mercury")
    expect(page.locator("#answered-count")).to_have_text("1 of 2 players have answered.")
    screenshot(page, "player-received-phone")
    page.reload()
    expect(page.locator("#received-title")).to_have_text("Answer received")
    expect(page.locator("#your-answer")).to_have_text("Mercury")
    reply = waiting.send("answer", question=0, choice=0)
    assert reply["type"] == "answer_received"
    expect_verdict(page, "Right!")


def test_received_order_survives_reload(
    open_user: Callable[..., User],
    rest: RestClient,
    game_client: Callable[[str], GameClient],
) -> None:
    quiz = mixed_quiz()
    quiz["questions"] = [quiz["questions"][5]]
    game = rest.host_game(quiz)
    host = game_client(game.host_token)
    waiting = game_client(rest.join(game.pin, "Waiting")["player_token"])
    page = open_user("player").page
    join_by_link(page, game.pin, "Orderly")

    assert host.send("start")["type"] == "ok"
    expect_question(page, quiz["questions"][0]["text"])
    mine = ["Earth", "Jupiter", "Phobos", "Moon"]
    put_in_order(page, mine)
    page.get_by_role("button", name="Submit order").click()
    expect(page.locator("#received-title")).to_have_text("Answer received")
    expect(page.locator("#your-answer li")).to_have_text(mine)
    # After a reload the order comes from the reply to sync, in the player's order too.
    page.reload()
    expect(page.locator("#received-title")).to_have_text("Answer received")
    expect(page.locator("#your-answer li")).to_have_text(mine)
    assert waiting.send("answer", question=0, order=[0, 1, 2, 3])["type"] == "answer_received"
    expect_verdict(page, "Wrong")
    expect(page.locator("#your-answer li")).to_have_text(mine)


def test_touch_phone_hides_key_hints(
    browser: Browser,
    web_runtime: RuntimeThread,
    rest: RestClient,
    game_client: Callable[[str], GameClient],
) -> None:
    quiz = mixed_quiz()
    game = rest.host_game(quiz)
    host = game_client(game.host_token)
    context = browser.new_context(
        viewport=VIEWPORTS["phone"], base_url=web_runtime.web_url, is_mobile=True, has_touch=True
    )
    try:
        page = context.new_page()
        join_by_link(page, game.pin, "Thumbs")
        assert host.send("start")["type"] == "ok"
        expect_question(page, quiz["questions"][0]["text"])
        expect(page.get_by_text("Pick one.")).to_be_visible()
        expect(page.locator(".key-hint")).to_be_hidden()
        expect(page.locator(".option .key").first).to_be_hidden()
        page.get_by_role("button", name=re.compile("Mercury")).tap()
        expect_verdict(page, "Right!")
    finally:
        context.close()


def test_reload_after_reveal_shows_it(
    open_user: Callable[..., User],
    rest: RestClient,
    game_client: Callable[[str], GameClient],
) -> None:
    quiz = mixed_quiz()
    quiz["questions"] = quiz["questions"][:2]
    game = rest.host_game(quiz)
    host = game_client(game.host_token)
    page = open_user("player").page
    join_by_link(page, game.pin, "Late")

    assert host.send("start")["type"] == "ok"
    expect_question(page, quiz["questions"][0]["text"])
    page.keyboard.press("2")
    expect_verdict(page, "Right!")
    explanation = page.get_by_text("Mercury orbits at 0.39 AU.")
    expect(explanation).to_be_visible()
    # The page comes back to the whole reveal, the explanation included, not only the verdict.
    page.reload()
    expect_verdict(page, "Right!")
    expect(explanation).to_be_visible()


def test_reload_paused_after_reveal(
    open_user: Callable[..., User],
    rest: RestClient,
    game_client: Callable[[str], GameClient],
) -> None:
    quiz = mixed_quiz()
    quiz["questions"] = quiz["questions"][:2]
    game = rest.host_game(quiz)
    host = game_client(game.host_token)
    page = open_user("player").page
    join_by_link(page, game.pin, "Paused Late")

    assert host.send("start")["type"] == "ok"
    expect_question(page, quiz["questions"][0]["text"])
    page.keyboard.press("2")
    expect_verdict(page, "Right!")
    assert host.send("pause")["type"] == "ok"
    expect(page.locator("#paused-title")).to_have_text("Paused")
    # A closed question has no time left, so the paused screen shows no countdown.
    expect(page.locator(".countdown")).to_have_count(0)
    page.reload()
    expect(page.locator("#paused-title")).to_have_text("Paused")
    # The reply to sync carried the reveal, so the resume shows it, not "Waiting for the results".
    assert host.send("resume")["type"] == "ok"
    expect_verdict(page, "Right!")
    expect(page.get_by_text("Mercury orbits at 0.39 AU.")).to_be_visible()


def test_markup_nickname_shown_as_text(
    open_user: Callable[..., User],
    rest: RestClient,
) -> None:
    game = rest.host_game(mixed_quiz())
    page = open_user("player").page
    nickname = '<img src=x onerror="window.hacked=1">'
    nickname = nickname[:20]
    join_by_link(page, game.pin, nickname)
    expect(page.locator("#player-name")).to_have_text(nickname)
    assert page.locator("img").count() == 0
    assert page.evaluate("() => window.hacked") is None


def unused_pin(settings: Settings) -> str:
    client = redis.Redis.from_url(settings.redis_url)
    try:
        for number in range(1_000_000):
            pin = f"{(number * 7919 + 123457) % 1_000_000:06d}"
            if not client.exists(f"lq:pin:{pin}"):
                return pin
    finally:
        client.close()
    raise AssertionError("every PIN is taken")


def test_invalid_pin_plain_error(
    open_user: Callable[..., User], settings: Settings, web_runtime: Any
) -> None:
    page = open_user("player").page
    page.goto(f"/play?pin={unused_pin(settings)}")
    page.get_by_label("Nickname").fill("Nobody")
    page.get_by_role("button", name="Join").click()
    error = page.locator("#join-error")
    expect(error).to_have_text(
        "No game has this PIN. Check the number on the host's screen and try again."
    )
    expect(page.get_by_label("Game PIN")).to_be_focused()

    page.get_by_label("Game PIN").fill("12ab")
    page.get_by_role("button", name="Join").click()
    expect(error).to_have_text(
        "A game PIN has 6 digits. Check the number on the host's screen and try again."
    )


@pytest.mark.parametrize("nickname", ["W" * 20, "\U0001f600" * 20])
def test_narrow_screen_no_scroll(
    nickname: str,
    open_user: Callable[..., User],
    rest: RestClient,
    game_client: Callable[[str], GameClient],
) -> None:
    long_word = "Supercalifragilistic" * 8
    quiz = {
        "title": "Narrow screen",
        "questions": [
            {
                "type": "single",
                "text": f"{long_word}?",
                "choices": [long_word[:100], "B" * 100, "C", "D", "E", "F"],
                "correct": 0,
                "time_limit": TIME_LIMIT_S,
            }
        ],
    }
    game = rest.host_game(quiz)
    host = game_client(game.host_token)
    page = open_user("player", "phone").page
    page.goto("/play")
    assert_no_horizontal_scroll(page, "join form")
    join_by_link(page, game.pin, nickname)
    assert_no_horizontal_scroll(page, "lobby")
    assert host.send("start")["type"] == "ok"
    expect(page.locator(".option")).to_have_count(6)
    assert_no_horizontal_scroll(page, "question")
    page.keyboard.press("6")
    expect_verdict(page, "Wrong")
    assert_no_horizontal_scroll(page, "result")


def test_keyboard_alone_joins_and_answers(
    open_user: Callable[..., User],
    rest: RestClient,
    game_client: Callable[[str], GameClient],
) -> None:
    quiz = mixed_quiz()
    quiz["questions"] = quiz["questions"][:1]
    game = rest.host_game(quiz)
    host = game_client(game.host_token)
    page = open_user("player").page
    page.goto("/play")
    expect(page.get_by_label("Game PIN")).to_be_focused()
    page.keyboard.type(game.pin)
    page.keyboard.press("Tab")
    expect(page.get_by_label("Nickname")).to_be_focused()
    page.keyboard.type("Keys Only")
    page.keyboard.press("Tab")
    join = page.get_by_role("button", name="Join")
    expect(join).to_be_focused()
    outline = join.evaluate("button => getComputedStyle(button).outlineStyle")
    assert outline == "solid", "the focused button shows no focus outline"
    page.keyboard.press("Enter")
    expect(page.locator("#lobby-title")).to_have_text("You're in!")

    assert host.send("start")["type"] == "ok"
    expect_question(page, quiz["questions"][0]["text"])
    page.keyboard.press("Tab")
    first = page.locator(".option").first
    expect(first).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name=re.compile("Mercury"))).to_be_focused()
    page.keyboard.press("Enter")
    expect_verdict(page, "Right!")


def test_multiple_enter_submits_picks(
    open_user: Callable[..., User],
    rest: RestClient,
    game_client: Callable[[str], GameClient],
) -> None:
    quiz = mixed_quiz()
    quiz["questions"] = [quiz["questions"][2]]
    game = rest.host_game(quiz)
    host = game_client(game.host_token)
    page = open_user("player").page
    join_by_link(page, game.pin, "Picky")
    assert host.send("start")["type"] == "ok"
    expect_question(page, quiz["questions"][0]["text"])
    expect(page.get_by_text("Keys 1 to 4 pick too. Enter submits.")).to_be_visible()

    # A number key toggles its option and focuses it, and Space toggles the focused option.
    page.keyboard.press("1")
    page.keyboard.press("3")
    page.keyboard.press("4")
    expect(page.locator(".option").nth(3)).to_be_focused()
    page.keyboard.press(" ")
    expect(page.locator(".option[aria-pressed=true]")).to_have_count(2)

    # Enter on the focused option submits the picks and leaves that option picked.
    page.keyboard.press("3")
    page.keyboard.press("3")
    expect(page.locator(".option").nth(2)).to_be_focused()
    page.keyboard.press("Enter")
    expect_verdict(page, "Right!")
    expect(page.locator("#your-answer .option-tag")).to_have_text(["2", "5"])


def test_survey_mode_hides_scores(
    open_user: Callable[..., User],
    rest: RestClient,
    game_client: Callable[[str], GameClient],
) -> None:
    quiz = mixed_quiz()
    quiz["questions"] = quiz["questions"][:2]
    quiz["questions"][0]["points"] = 2
    game = rest.host_game(quiz, options={"leaderboard": "never", "streak_bonus": True})
    host = game_client(game.host_token)
    page = open_user("player").page
    join_by_link(page, game.pin, "Surveyed")
    assert host.send("start")["type"] == "ok"
    expect_question(page, quiz["questions"][0]["text"])
    expect(page.locator("[data-question='0'] > p.muted").first).to_have_text("Question 1 of 2")

    page.get_by_role("button", name=re.compile("Mercury")).click()
    expect_verdict(page, "Right!")
    expect(page.locator("#right-answer")).to_contain_text("Mercury")
    expect(page.locator("[data-stat=points]")).to_have_count(0)
    expect(page.locator("[data-stat=streak]")).to_have_count(0)
    expect(page.locator("[data-stat=score]")).to_have_count(0)
    expect(page.locator("[data-stat=rank]")).to_have_count(0)
    # A reload shows the reveal from the reply to sync, without scores too.
    page.reload()
    expect_verdict(page, "Right!")
    expect(page.locator(".stats")).to_have_count(0)


def test_slider_tiny_step_plain_decimals(
    open_user: Callable[..., User],
    rest: RestClient,
    game_client: Callable[[str], GameClient],
) -> None:
    """A slider of step 1e-7 shows its values in plain decimals, and the right one counts."""
    quiz = {
        "title": "Tiny steps",
        "questions": [
            {
                "type": "slider",
                "text": "Pick half a millionth.",
                "min": 0,
                "max": 0.000001,
                "step": 0.0000001,
                "correct": 0.0000005,
                "tolerance": 0,
                "time_limit": 120,
            }
        ],
    }
    game = rest.host_game(quiz)
    host = game_client(game.host_token)
    page = open_user("player").page
    join_by_link(page, game.pin, "Tiny")
    assert host.send("start")["type"] == "ok"
    expect_question(page, "Pick half a millionth.")
    expect(page.locator(".slider-value")).to_have_text("0.0000005")

    page.get_by_label("Or type the number").fill("0.00000051")
    expect(page.locator("#slider-snap")).to_have_text(
        "0.00000051 counts as 0.0000005, the nearest step."
    )
    page.get_by_role("button", name="Submit answer").click()
    expect_verdict(page, "Right!")
    expect(page.locator("#your-answer")).to_have_text("0.0000005")
    expect(page.locator("#right-answer")).to_have_text("0.0000005")


def test_slider_snap_matches_server(open_user: Callable[..., User]) -> None:
    """The page snaps typed slider values to the same step as the server, halves included."""
    generator = random.Random(20261204)
    cases = [
        (0, 10, 0.1, 1.95),
        (0, 10, 0.1, 0.45),
        (-5, 5, 0.01, -4.775),
        (0, 0.000001, 0.0000001, 0.00000025),
        (1950, 2000, 1, 1969.5),
        (-999999999999.9, 999999999999.9, 0.1, 123456789012.35),
    ]
    for _ in range(200):
        places = generator.randint(0, 6)
        step = round(generator.randint(1, 50) / 10**places, places)
        minimum = round(generator.randint(-(10**6), 10**6) / 10**places, places)
        maximum = round(minimum + step * generator.randint(1, 1000), places)
        typed = round(generator.uniform(minimum, maximum), places + 2)
        cases.append((minimum, maximum, step, typed))
    page = open_user("player").page
    page.goto("/play")
    snapped = page.evaluate(
        """async (cases) => {
          const { snapToStep } = await import("/js/lib/numbers.js");
          return cases.map(([min, max, step, value]) => snapToStep(value, { min, max, step }));
        }""",
        cases,
    )
    for (minimum, maximum, step, typed), shown in zip(cases, snapped, strict=True):
        question = Slider(
            type="slider", text="Q", min=minimum, max=maximum, step=step, correct=minimum
        )
        assert Fraction(repr(shown)) == snap(question, typed), (minimum, step, typed)
