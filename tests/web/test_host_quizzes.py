"""The host page's quiz work in Chromium: log in, write a quiz of every type, edit and import
quizzes, and API errors in plain words."""

import json
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from playwright.sync_api import Dialog, Locator, Page, Route, expect
from sqlalchemy.engine import Engine

from functions.auth import deps
from functions.auth.app import app
from tests.web.conftest import RestClient, User

PASSWORD = "correct horse battery"
SAMPLE_QUIZ = Path(__file__).resolve().parents[2] / "livequiz" / "sample_quiz.json"

# What the editor below must save: one question of each type, with every optional field.
EXPECTED_QUESTIONS: list[dict[str, Any]] = [
    {
        "type": "single",
        "text": "Which planet is nearest the Sun?",
        "time_limit": 15,
        "points": 2,
        "choices": ["Venus", "Mercury", "Mars"],
        "correct": 1,
        "image_url": "https://images.example.com/planets.png",
        "explanation": "Mercury orbits at 0.39 AU.",
        "category": "Space",
    },
    {
        "type": "true_false",
        "text": "Sound travels faster than light.",
        "time_limit": 20,
        "points": 1,
        "choices": ["True", "False"],
        "correct": False,
    },
    {
        "type": "multiple",
        "text": "Which of these are primes?",
        "time_limit": 20,
        "points": 1,
        "choices": ["2", "4", "5", "9"],
        "correct": [0, 2],
        "scoring": "partial",
    },
    {
        "type": "type_answer",
        "text": "Capital of Hungary?",
        "time_limit": 20,
        "points": 1,
        "accepted": ["Budapest", "Buda-Pest"],
    },
    {
        "type": "slider",
        "text": "Year of the first Moon landing?",
        "time_limit": 30,
        "points": 1,
        "min": 1950.0,
        "max": 2000.0,
        "step": 1.0,
        "correct": 1969.0,
        "tolerance": 2.0,
    },
    {
        "type": "ordering",
        "text": "Largest ocean first:",
        "time_limit": 20,
        "points": 0,
        "items": ["Pacific", "Atlantic", "Indian", "Arctic"],
        "scoring": "exact",
    },
    {
        "type": "poll",
        "text": "Which type did you like?",
        "time_limit": 20,
        "points": 0,
        "choices": ["Sliders", "Ordering"],
    },
]


def register(page: Page) -> str:
    """Create an account through the page and return its e-mail address."""
    page.goto("/host")
    page.get_by_role("button", name="Create an account").click()
    email = f"host-{uuid.uuid4().hex[:12]}@example.com"
    page.get_by_label("Your name").fill("Browser Host")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", name="Your quizzes")).to_be_visible()
    return email


def stored_login(page: Page) -> dict[str, Any]:
    login: dict[str, Any] = json.loads(page.evaluate("localStorage.getItem('livequiz.host.login')"))
    return login


def access_token(page: Page) -> str:
    token: str = stored_login(page)["token"]
    return token


def card(page: Page, index: int) -> Locator:
    return page.locator(".question-card").nth(index)


def fill_choices(question: Locator, choices: list[str]) -> None:
    for index, choice in enumerate(choices):
        question.get_by_label(f"Choice {index + 1}", exact=True).fill(choice)


def fill_every_type(page: Page) -> None:
    """Fill the editor with the questions of EXPECTED_QUESTIONS, one field at a time."""
    page.get_by_label("Title").fill("Every type")
    page.get_by_label("Description").fill("One question of each type")

    first = card(page, 0)
    first.get_by_label("Question text").fill("Which planet is nearest the Sun?")
    first.get_by_label("Time limit (seconds)").fill("15")
    first.get_by_label("Points").select_option("2")
    first.get_by_role("button", name="Remove choice 4").click()
    fill_choices(first, ["Venus", "Mercury", "Mars"])
    first.get_by_label("Choice 2 is the right answer").check()
    first.get_by_text("Image, explanation and category").click()
    first.get_by_label("Image URL").fill("https://images.example.com/planets.png")
    first.get_by_label("Explanation").fill("Mercury orbits at 0.39 AU.")
    first.get_by_label("Category").fill("Space")

    page.get_by_role("button", name="Add question").click()
    second = card(page, 1)
    second.get_by_label("Type").select_option("true_false")
    second.get_by_label("Question text").fill("Sound travels faster than light.")
    second.get_by_label("Time limit (seconds)").fill("20")
    second.get_by_label("False").check()

    page.get_by_role("button", name="Add question").click()
    third = card(page, 2)
    third.get_by_label("Type").select_option("multiple")
    third.get_by_label("Question text").fill("Which of these are primes?")
    fill_choices(third, ["2", "4", "5", "9"])
    third.get_by_label("Choice 1 is right").check()
    third.get_by_label("Choice 3 is right").check()
    third.get_by_label("Scoring").select_option("partial")

    page.get_by_role("button", name="Add question").click()
    fourth = card(page, 3)
    fourth.get_by_label("Type").select_option("type_answer")
    fourth.get_by_label("Question text").fill("Capital of Hungary?")
    fourth.get_by_label("Accepted answer 1", exact=True).fill("Budapest")
    fourth.get_by_role("button", name="Add accepted answer").click()
    fourth.get_by_label("Accepted answer 2", exact=True).fill("Buda-Pest")

    page.get_by_role("button", name="Add question").click()
    fifth = card(page, 4)
    fifth.get_by_label("Type").select_option("slider")
    fifth.get_by_label("Question text").fill("Year of the first Moon landing?")
    fifth.get_by_label("Time limit (seconds)").fill("30")
    fifth.get_by_label("Minimum").fill("1950")
    fifth.get_by_label("Maximum").fill("2000")
    fifth.get_by_label("Step").fill("1")
    fifth.get_by_label("Right value").fill("1969")
    fifth.get_by_label("Tolerance").fill("2")

    page.get_by_role("button", name="Add question").click()
    sixth = card(page, 5)
    sixth.get_by_label("Type").select_option("ordering")
    sixth.get_by_label("Question text").fill("Largest ocean first:")
    sixth.get_by_label("Time limit (seconds)").fill("20")
    sixth.get_by_label("Points").select_option("0")
    sixth.get_by_role("button", name="Add item").click()
    # Typed out of order, then moved: the editor saves the order it shows.
    for index, item in enumerate(["Atlantic", "Pacific", "Indian", "Arctic"]):
        sixth.get_by_label(f"Item {index + 1}", exact=True).fill(item)
    sixth.get_by_role("button", name="Move item 2 up").click()

    page.get_by_role("button", name="Add question").click()
    seventh = card(page, 6)
    seventh.get_by_label("Type").select_option("poll")
    seventh.get_by_label("Question text").fill("Which type did you like?")
    seventh.get_by_role("button", name="Remove choice 4").click()
    seventh.get_by_role("button", name="Remove choice 3").click()
    fill_choices(seventh, ["Sliders", "Ordering"])


def saved_quiz(rest: RestClient, page: Page, title: str) -> dict[str, Any]:
    """Read the logged-in host's newest quiz named ``title`` whole, answers included."""
    login = stored_login(page)
    quizzes = rest.http.get("/quizzes", params={"limit": 200}).json()
    quiz_id = next(
        quiz["id"]
        for quiz in quizzes
        if quiz["title"] == title and quiz["owner"]["user_id"] == login["userId"]
    )
    response = rest.http.get(f"/quizzes/{quiz_id}", headers=rest.bearer(login["token"]))
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


def without_positions(questions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {key: value for key, value in question.items() if key != "position" and value is not None}
        for question in questions
    ]


def test_host_writes_every_type(
    open_user: Callable[..., User], rest: RestClient, screenshot: Callable[[Page, str], Any]
) -> None:
    host = open_user("host", "phone")
    page = host.page
    register(page)
    page.get_by_role("button", name="New quiz").click()
    fill_every_type(page)
    screenshot(page, "host-editor-phone")
    page.get_by_role("button", name="Save quiz").click()

    expect(page.get_by_text('Saved "Every type" with 7 questions.')).to_be_visible()
    row = page.locator(".quiz-row", has_text="Every type")
    expect(row).to_contain_text("7 questions")
    quiz = saved_quiz(rest, page, "Every type")
    assert quiz["description"] == "One question of each type"
    assert without_positions(quiz["questions"]) == EXPECTED_QUESTIONS


def test_host_edits_quiz_round_trip(open_user: Callable[..., User], rest: RestClient) -> None:
    host = open_user("host", "projector")
    page = host.page
    register(page)
    token = access_token(page)
    questions = [
        {
            key: value
            for key, value in question.items()
            if key != "choices" or question["type"] != "true_false"
        }
        for question in EXPECTED_QUESTIONS
    ]
    rest.create_quiz(token, {"title": "To edit", "questions": questions})
    page.reload()
    row = page.locator(".quiz-row", has_text="To edit")
    row.get_by_role("button", name="Edit To edit").click()
    expect(card(page, 6)).to_be_visible()

    # Every field came back into the editor, so saving it unchanged keeps the quiz as it was.
    card(page, 4).get_by_label("Tolerance").fill("3")
    page.get_by_role("button", name="Move question 2 up").click()
    page.get_by_role("button", name="Remove question 7").click()
    page.get_by_role("button", name="Save quiz").click()
    expect(page.get_by_text('Saved "To edit" with 6 questions.')).to_be_visible()

    expected = [dict(question) for question in EXPECTED_QUESTIONS[:6]]
    expected[0], expected[1] = expected[1], expected[0]
    expected[4]["tolerance"] = 3.0
    assert without_positions(saved_quiz(rest, page, "To edit")["questions"]) == expected


def test_host_editor_error_plain(open_user: Callable[..., User]) -> None:
    host = open_user("host", "phone")
    page = host.page
    register(page)
    page.get_by_role("button", name="New quiz").click()
    page.get_by_label("Title").fill("Broken slider")
    question = card(page, 0)
    question.get_by_label("Type").select_option("slider")
    question.get_by_label("Question text").fill("Pick a number")
    question.get_by_label("Minimum").fill("0")
    question.get_by_label("Maximum").fill("10")
    question.get_by_label("Step").fill("3")
    question.get_by_label("Right value").fill("6")
    page.get_by_role("button", name="Save quiz").click()

    alert = page.locator(".editor .notice.error")
    expect(alert.locator("li")).to_have_text(
        ["Question 1: maximum minus minimum must be a whole number of steps."]
    )
    expect(card(page, 0)).to_have_class("question-card has-error")
    expect(card(page, 0).locator(".field-error")).to_have_text(
        "Maximum minus minimum must be a whole number of steps."
    )
    # Nothing was saved: the host is still in the editor.
    expect(page.get_by_role("heading", name="New quiz")).to_be_visible()
    # A change in the question clears its error, and the list with its last entry.
    question.get_by_label("Step").fill("2")
    expect(card(page, 0)).to_have_class("question-card")
    expect(alert).to_be_hidden()
    page.get_by_role("button", name="Save quiz").click()
    expect(page.get_by_text('Saved "Broken slider" with 1 question.')).to_be_visible()


def test_host_editor_errors_at_fields(
    open_user: Callable[..., User], screenshot: Callable[[Page, str], Any]
) -> None:
    page = open_user("host", "phone").page
    register(page)
    page.get_by_role("button", name="New quiz").click()
    first = card(page, 0)
    first.get_by_label("Time limit (seconds)").fill("2")
    fill_choices(first, ["Yes", "Yes", "No", "Maybe"])
    page.get_by_role("button", name="Save quiz").click()

    alert = page.locator(".editor .notice.error")
    # Numbered from 1 and named as the form labels them, in the API's order.
    expect(alert.locator("li")).to_have_text(
        [
            "Title: must not be empty.",
            "Question 1, Question text: must not be empty.",
            "Question 1, Time limit (seconds): must be at least 5.",
            "Question 1, Choices: choices 1 and 2 are both 'Yes'.",
        ]
    )
    title = page.get_by_label("Title")
    expect(title).to_have_attribute("aria-invalid", "true")
    expect(title).to_be_focused()
    expect(page.locator(".field", has=title).locator(".field-error")).to_have_text(
        "Must not be empty."
    )
    time_limit = first.get_by_label("Time limit (seconds)")
    expect(time_limit).to_have_attribute("aria-invalid", "true")
    expect(first.locator(".choice-list")).to_have_class("choice-list has-error")
    screenshot(page, "host-editor-errors-phone")

    # Each fix clears its own error at once, and the rest stay.
    title.fill("Fixed title")
    expect(title).not_to_have_attribute("aria-invalid", "true")
    expect(alert.locator("li")).to_have_count(3)
    first.get_by_label("Question text").fill("Which one?")
    time_limit.fill("20")
    first.get_by_label("Choice 2", exact=True).fill("No way")
    expect(alert).to_be_hidden()
    expect(page.locator(".field-error")).to_have_count(0)


def test_host_editor_cancel_asks_first(open_user: Callable[..., User]) -> None:
    page = open_user("host", "phone").page
    register(page)
    page.get_by_role("button", name="New quiz").click()
    cancel = page.get_by_role("button", name="Cancel")
    # An outlined button, unlike the filled "Save quiz" beside it.
    expect(cancel).to_have_class("secondary")
    expect(page.get_by_role("button", name="Save quiz")).not_to_have_class("secondary")
    # Nothing typed yet: Cancel leaves at once.
    cancel.click()
    expect(page.get_by_role("heading", name="Your quizzes")).to_be_visible()

    page.get_by_role("button", name="New quiz").click()
    page.get_by_label("Title").fill("Half done")
    dialogs: list[str] = []

    def dismiss(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", dismiss)
    page.get_by_role("button", name="Cancel").click()
    expect(page.get_by_role("heading", name="New quiz")).to_be_visible()
    assert dialogs == ["Discard your changes to this quiz?"]
    expect(page.get_by_label("Title")).to_have_value("Half done")

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Cancel").click()
    expect(page.get_by_role("heading", name="Your quizzes")).to_be_visible()
    expect(page.locator(".quiz-row", has_text="Half done")).to_have_count(0)


def test_host_header_names_the_host(open_user: Callable[..., User], rest: RestClient) -> None:
    page = open_user("host", "projector").page
    page.goto("/host")
    # The login form keeps a narrow column on a projector, and does not stretch across it.
    width = page.locator(".card.auth").bounding_box()
    assert width is not None
    assert width["width"] <= 28 * 16
    email = register(page)
    expect(page.locator("#who")).to_have_text("Browser Host")
    expect(page.locator("#who span")).to_have_attribute("title", email)

    # A login's token response has no name, so the header learns it from the host's quizzes.
    rest.create_quiz(access_token(page), {"title": "Named", "questions": [EXPECTED_QUESTIONS[0]]})
    page.get_by_role("button", name="Log out").click()
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Your quizzes")).to_be_visible()
    expect(page.locator("#who")).to_have_text("Browser Host")
    assert stored_login(page)["displayName"] == "Browser Host"


def test_host_login_wrong_password(open_user: Callable[..., User]) -> None:
    host = open_user("host", "phone")
    page = host.page
    email = register(page)
    page.get_by_role("button", name="Log out").click()
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("#notice")).to_have_text(
        "The e-mail address or password is wrong. Check both, then try again."
    )
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Your quizzes")).to_be_visible()


CSV_QUIZ = (
    "type,text,choices,correct,time_limit,min,max,step,tolerance\n"
    "single,Two plus two?,3|4|5,2,10,,,,\n"
    "true_false,The Earth is flat.,,false,,,,,\n"
    "slider,Pick ten,,10,,0,20,1,1\n"
)
GIFT_QUIZ = """// Two questions, one of a kind livequiz cannot play.
::Capital:: What is the capital of France? {=Paris ~Lyon ~Marseille}

::Match:: Match the pairs. {=cat -> animal =rose -> flower}
"""


def import_file(page: Page, format: str, name: str, content: bytes, title: str = "") -> None:
    page.get_by_role("button", name="Import a file").click()
    page.get_by_label("File format").select_option(format)
    page.get_by_label("File", exact=True).set_input_files(
        {"name": name, "mimeType": "application/octet-stream", "buffer": content}
    )
    if title:
        page.get_by_label("Quiz title").fill(title)


def test_host_imports_files(open_user: Callable[..., User], rest: RestClient) -> None:
    host = open_user("host", "phone")
    page = host.page
    register(page)

    import_file(page, "csv", "quiz.csv", CSV_QUIZ.encode(), "From a spreadsheet")
    page.get_by_role("button", name="Import", exact=True).click()
    expect(page.get_by_text('Imported "From a spreadsheet" with 3 questions.')).to_be_visible()
    expect(page.locator(".quiz-row", has_text="From a spreadsheet")).to_contain_text("from CSV")

    import_file(page, "gift", "quiz.gift", GIFT_QUIZ.encode(), "From Moodle")
    page.get_by_label("Leave out questions that cannot be played").check()
    page.get_by_role("button", name="Import", exact=True).click()
    expect(
        page.get_by_text(
            'Imported "From Moodle" with 1 question, leaving out 1 that cannot be played.'
        )
    ).to_be_visible()

    import_file(page, "json", "sample.json", SAMPLE_QUIZ.read_bytes())
    expect(page.get_by_label("Quiz title")).to_be_hidden()
    page.get_by_role("button", name="Import", exact=True).click()
    expect(
        page.get_by_text('Imported "Around the World in Eight Questions" with 8 questions.')
    ).to_be_visible()

    imported = saved_quiz(rest, page, "From a spreadsheet")
    assert [question["type"] for question in imported["questions"]] == [
        "single",
        "true_false",
        "slider",
    ]
    assert imported["questions"][0]["correct"] == 1
    assert imported["questions"][0]["time_limit"] == 10


def test_host_import_error_plain(open_user: Callable[..., User]) -> None:
    host = open_user("host", "phone")
    page = host.page
    register(page)
    broken = "type,text,choices,correct,time_limit\nsingle,Two plus two?,3|4|5,2,1000\n"
    import_file(page, "csv", "broken.csv", broken.encode(), "Broken")
    page.get_by_role("button", name="Import", exact=True).click()
    notice = page.locator("#notice")
    expect(notice).to_contain_text("Line 2, column time_limit")
    expect(notice).to_contain_text("Fix the file, then import it again.")
    # The form stays filled in, so the host can choose a fixed file and import again.
    expect(page.get_by_label("Quiz title")).to_have_value("Broken")

    page.get_by_label("File format").select_option("gift")
    page.get_by_label("File", exact=True).set_input_files(
        {"name": "quiz.gift", "mimeType": "text/plain", "buffer": GIFT_QUIZ.encode()}
    )
    page.get_by_role("button", name="Import", exact=True).click()
    expect(notice).to_contain_text("Line 4")
    expect(notice).to_contain_text("matching")
    # The API's parameter names become the form's labels.
    expect(notice).to_contain_text(
        "Remove it, or tick “Leave out questions that cannot be played (matching, essays)” "
        "to import the other questions."
    )
    expect(notice).not_to_contain_text("skip_unsupported")

    entry = {
        "type": "boolean",
        "question": "Is this question number one of many?",
        "correct_answer": "True",
        "incorrect_answers": ["False"],
    }
    too_many = json.dumps({"response_code": 0, "results": [entry] * 501}).encode()
    page.get_by_label("File format").select_option("opentdb")
    page.get_by_label("File", exact=True).set_input_files(
        {"name": "trivia.json", "mimeType": "application/json", "buffer": too_many}
    )
    page.get_by_role("button", name="Import", exact=True).click()
    expect(notice).to_have_text(
        "The document has 501 questions but a quiz contains at most 500: enter 500 or less "
        "under “Import only the first questions”."
    )
    page.get_by_label("Import only the first questions").fill("500")
    page.get_by_role("button", name="Import", exact=True).click()
    expect(page.get_by_text('Imported "Broken" with 500 questions.')).to_be_visible()


def test_host_deletes_unplayed_quiz(open_user: Callable[..., User], rest: RestClient) -> None:
    host = open_user("host", "phone")
    page = host.page
    register(page)
    token = access_token(page)
    quiz = {"title": "Short-lived", "questions": [EXPECTED_QUESTIONS[0]]}
    played = {"title": "Played once", "questions": [EXPECTED_QUESTIONS[0]]}
    rest.create_quiz(token, quiz)
    played_id = rest.create_quiz(token, played)
    created = rest.http.post("/games", json={"quiz_id": played_id}, headers=rest.bearer(token))
    assert created.status_code == 201
    page.reload()

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Delete Short-lived").click()
    expect(page.get_by_text('Deleted "Short-lived".')).to_be_visible()
    expect(page.locator(".quiz-row", has_text="Short-lived")).to_have_count(0)

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Delete Played once").click()
    expect(page.locator("#notice")).to_have_text(
        "A game was played with this quiz, so it is kept for its reports. "
        "Edit it instead of deleting it."
    )
    assert rest.http.get(f"/quizzes/{played_id}").status_code == 200


def test_host_server_failure_named(open_user: Callable[..., User]) -> None:
    """An unexpected 500 reads as a failure of the server, not of the host's network."""
    page = open_user("host", "phone").page
    register(page)

    def fail() -> Engine:
        raise RuntimeError("the engine failed in a test")

    app.dependency_overrides[deps.engine] = fail
    try:
        import_file(page, "csv", "quiz.csv", CSV_QUIZ.encode(), "Never saved")
        page.get_by_role("button", name="Import", exact=True).click()
        notice = page.locator("#notice")
        expect(notice).to_have_text(
            "The game server failed to handle the request. Try again in a minute, and if it "
            "fails again, tell the site's operator."
        )
    finally:
        app.dependency_overrides.pop(deps.engine, None)


def focused_path(page: Page) -> str | None:
    """Return the data-path of the focused element, or None when the focus is elsewhere."""
    path: str | None = page.evaluate("document.activeElement?.dataset?.path ?? null")
    return path


def press(button: Locator) -> None:
    button.focus()
    button.press("Enter")


def test_host_editor_keeps_focus(open_user: Callable[..., User]) -> None:
    """Each control that redraws a question card leaves the focus on the field it concerns."""
    page = open_user("host", "projector").page
    register(page)
    page.get_by_role("button", name="New quiz").click()
    first = card(page, 0)
    choices = first.locator(".choice-row")
    count = choices.count()

    press(first.get_by_role("button", name="Add choice"))
    expect(choices).to_have_count(count + 1)
    assert focused_path(page) == f"questions[0].choices[{count}]"
    page.keyboard.type("Typed at once")
    expect(first.get_by_label(f"Choice {count + 1}", exact=True)).to_have_value("Typed at once")

    first.get_by_label("Choice 2", exact=True).fill("Second")
    press(first.get_by_role("button", name="Remove choice 1"))
    expect(choices).to_have_count(count)
    assert focused_path(page) == "questions[0].choices[0]"
    expect(first.get_by_label("Choice 1", exact=True)).to_have_value("Second")
    press(first.get_by_role("button", name=f"Remove choice {count}"))
    assert focused_path(page) == f"questions[0].choices[{count - 2}]"

    # Every ArrowDown on the Type list changes the type and keeps the focus on the list.
    type_select = first.get_by_label("Type")
    type_select.focus()
    page.keyboard.press("ArrowDown")
    expect(type_select).to_have_value("true_false")
    assert focused_path(page) == "questions[0].type"
    page.keyboard.press("ArrowDown")
    expect(type_select).to_have_value("multiple")
    assert focused_path(page) == "questions[0].type"

    page.get_by_role("button", name="Add question").click()
    card(page, 1).get_by_label("Question text").fill("The second question")
    press(first.get_by_role("button", name="Remove question 1"))
    expect(page.locator(".question-card")).to_have_count(1)
    expect(card(page, 0).get_by_label("Question text")).to_have_value("The second question")
    assert focused_path(page) == "questions[0].type"


def test_host_import_errors_in_editor_words(open_user: Callable[..., User]) -> None:
    """Import errors count choices from 1 and read as the editor's errors do."""
    page = open_user("host", "phone").page
    register(page)
    notice = page.locator("#notice")

    import_file(page, "csv", "empty.csv", b"", "Empty")
    page.get_by_role("button", name="Import", exact=True).click()
    expect(notice).to_have_text(
        "The chosen file is empty. Choose the file that contains the quiz, then import it again."
    )

    page.get_by_label("File format").select_option("gift")
    page.get_by_label("File", exact=True).set_input_files(
        {"name": "twice.gift", "mimeType": "text/plain", "buffer": b"Q?{=a ~a}"}
    )
    page.get_by_role("button", name="Import", exact=True).click()
    expect(notice).to_have_text(
        "Line 1: Choices: choices 1 and 2 are both 'a'. Fix the file, then import it again."
    )

    slider = b"type,text,min,max,step,correct\nslider,Q?,0,10,3,3\n"
    page.get_by_label("File format").select_option("csv")
    page.get_by_label("File", exact=True).set_input_files(
        {"name": "slider.csv", "mimeType": "text/csv", "buffer": slider}
    )
    page.get_by_role("button", name="Import", exact=True).click()
    expect(notice).to_have_text(
        "Line 2: maximum minus minimum must be a whole number of steps. Fix the file, then "
        "import it again."
    )

    question = {"text": "Q?", "choices": ["a", "b"], "correct": 0}
    too_many = json.dumps({"title": "Long", "questions": [question] * 600}).encode()
    page.get_by_label("File format").select_option("json")
    page.get_by_label("File", exact=True).set_input_files(
        {"name": "long.json", "mimeType": "application/json", "buffer": too_many}
    )
    page.get_by_role("button", name="Import", exact=True).click()
    expect(notice).to_have_text("Questions: takes at most 500. Fix it, then try again.")


def test_host_too_many_requests_says_when(open_user: Callable[..., User]) -> None:
    page = open_user("host", "phone").page
    page.goto("/host")

    def throttled(route: Route) -> None:
        route.fulfill(
            status=429,
            headers={
                "access-control-allow-origin": "*",
                "access-control-expose-headers": "retry-after",
                "retry-after": "30",
                "content-type": "application/json",
            },
            body='{"message": "Too Many Requests"}',
        )

    page.route("**/auth/login", throttled)
    page.get_by_label("E-mail address").fill("someone@example.com")
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("#notice")).to_have_text(
        "The game server has had too many requests from this page. Try again in 30 seconds."
    )


def test_pages_have_favicon(open_user: Callable[..., User]) -> None:
    """Every page links the SVG icon, and /favicon.ico serves it to pages that link none."""
    user = open_user("visitor", "phone")
    page = user.page
    failed: list[str] = []
    page.on("response", lambda response: response.status < 400 or failed.append(response.url))
    for path in ("/", "/host"):
        page.goto(path)
        icon = page.locator('head link[rel="icon"]')
        expect(icon).to_have_attribute("href", "/favicon.svg")
    for path in ("/favicon.svg", "/favicon.ico"):
        response = page.request.get(path)
        assert response.status == 200, path
        assert response.headers["content-type"].startswith("image/svg+xml"), path
    assert failed == []


def test_new_screen_starts_at_top(open_user: Callable[..., User], rest: RestClient) -> None:
    """Hosting a quiz far down a long list opens the game options at the top of the page."""
    page = open_user("host", "phone").page
    page.goto("/host")
    register(page)
    token = access_token(page)
    for number in range(1, 9):
        rest.create_quiz(token, {"title": f"Quiz {number}", "questions": [EXPECTED_QUESTIONS[0]]})
    page.reload()
    last = page.get_by_role("button", name="Host Quiz 1", exact=True)
    last.scroll_into_view_if_needed()
    assert page.evaluate("window.scrollY") > 0
    last.click()
    expect(page.get_by_role("button", name="Open the lobby")).to_be_visible()
    assert page.evaluate("window.scrollY") == 0
