import copy
import io
import json
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from fastapi.testclient import TestClient

from livequiz.formats import csv_format, kahoot
from tests.auth.conftest import small_quiz

DATA = Path(__file__).resolve().parents[2].parent / "shared/data"
KAHOOT_TEMPLATE = DATA / "kahoot/kahoot-template.xlsx"
GIFT_EXAMPLES = DATA / "gift/moodle-examples.gift"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EVERY_KIND: dict[str, Any] = {
    "title": "Every kind: 2024 édition!",
    "description": "One question of each kind",
    "questions": [
        {
            "text": "Capital of France?",
            "choices": ["Lyon", "Paris", "A|B"],
            "correct": 1,
            "explanation": "Paris has been the capital since 508.",
            "category": "Geography",
            "image_url": "https://example.com/paris.png",
        },
        {"type": "true_false", "text": "The sun is a star.", "correct": True, "time_limit": 10},
        {
            "type": "multiple",
            "text": "Which are primes?",
            "choices": ["2", "3", "4"],
            "correct": [0, 1],
            "scoring": "partial",
            "points": 2,
        },
        {"type": "type_answer", "text": "Capital of Italy?", "accepted": ["Rome", "Roma"]},
        {
            "type": "slider",
            "text": "Pi to one decimal?",
            "min": 0,
            "max": 10,
            "step": 0.1,
            "correct": 3.1,
            "tolerance": 0.2,
        },
        {
            "type": "ordering",
            "text": "Smallest first",
            "items": ["one", "two", "three", "four"],
            "explanation": "Count up.",
        },
        {"type": "poll", "text": "Favourite colour?", "choices": ["Red", "Blue"]},
    ],
}
# The questions as the owner reads them: our format with every default filled in.
OWNER_QUESTIONS: list[dict[str, Any]] = [
    {
        "position": 0,
        "type": "single",
        "text": "Capital of France?",
        "time_limit": 20,
        "points": 1,
        "category": "Geography",
        "image_url": "https://example.com/paris.png",
        "explanation": "Paris has been the capital since 508.",
        "choices": ["Lyon", "Paris", "A|B"],
        "correct": 1,
    },
    {
        "position": 1,
        "type": "true_false",
        "text": "The sun is a star.",
        "time_limit": 10,
        "points": 1,
        "category": None,
        "choices": ["True", "False"],
        "correct": True,
    },
    {
        "position": 2,
        "type": "multiple",
        "text": "Which are primes?",
        "time_limit": 20,
        "points": 2,
        "category": None,
        "choices": ["2", "3", "4"],
        "correct": [0, 1],
        "scoring": "partial",
    },
    {
        "position": 3,
        "type": "type_answer",
        "text": "Capital of Italy?",
        "time_limit": 20,
        "points": 1,
        "category": None,
        "accepted": ["Rome", "Roma"],
    },
    {
        "position": 4,
        "type": "slider",
        "text": "Pi to one decimal?",
        "time_limit": 20,
        "points": 1,
        "category": None,
        "correct": 3.1,
        "min": 0.0,
        "max": 10.0,
        "step": 0.1,
        "tolerance": 0.2,
    },
    {
        "position": 5,
        "type": "ordering",
        "text": "Smallest first",
        "time_limit": 20,
        "points": 1,
        "category": None,
        "explanation": "Count up.",
        "scoring": "exact",
        "items": ["one", "two", "three", "four"],
    },
    {
        "position": 6,
        "type": "poll",
        "text": "Favourite colour?",
        "time_limit": 20,
        "points": 0,
        "category": None,
        "choices": ["Red", "Blue"],
    },
]


def reader_questions() -> list[dict[str, Any]]:
    """The questions as a reader other than the owner gets them."""
    questions = copy.deepcopy(OWNER_QUESTIONS)
    for question in questions:
        for name in ("correct", "accepted", "tolerance", "explanation"):
            question.pop(name, None)
    questions[5]["items"] = sorted(OWNER_QUESTIONS[5]["items"])
    return questions


@pytest.fixture
def owner(register: Callable[..., dict[str, Any]]) -> dict[str, Any]:
    return register(display_name="Owner")


@pytest.fixture
def every_kind(client: TestClient, owner: dict[str, Any]) -> dict[str, Any]:
    response = client.post("/quizzes", json=EVERY_KIND, headers=owner["headers"])
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def export(client: TestClient, quiz_id: int, format: str, headers: dict[str, str]) -> Any:
    return client.get(f"/quizzes/{quiz_id}/export", params={"format": format}, headers=headers)


def import_file(
    client: TestClient,
    format: str,
    content: bytes,
    headers: dict[str, str],
    content_type: str = "application/octet-stream",
    **params: Any,
) -> Any:
    return client.post(
        f"/quizzes/import/{format}",
        params=params,
        content=content,
        headers={**headers, "content-type": content_type},
    )


def titles(client: TestClient) -> list[str]:
    return [quiz["title"] for quiz in client.get("/quizzes", params={"limit": 200}).json()]


# Reading every kind


def test_owner_reads_whole_questions(
    client: TestClient, owner: dict[str, Any], every_kind: dict[str, Any]
) -> None:
    assert every_kind["questions"] == OWNER_QUESTIONS
    read = client.get(f"/quizzes/{every_kind['id']}", headers=owner["headers"]).json()
    assert read["questions"] == OWNER_QUESTIONS
    assert read["description"] == "One question of each kind"


def test_others_read_without_answers(
    client: TestClient, register: Callable[..., dict[str, Any]], every_kind: dict[str, Any]
) -> None:
    other = register()
    as_other = client.get(f"/quizzes/{every_kind['id']}", headers=other["headers"]).json()
    anonymous = client.get(f"/quizzes/{every_kind['id']}").json()
    assert as_other["questions"] == reader_questions()
    assert anonymous["questions"] == reader_questions()


def test_reader_order_hides_right_order(
    client: TestClient, owner: dict[str, Any], every_kind: dict[str, Any]
) -> None:
    anonymous = client.get(f"/quizzes/{every_kind['id']}").json()
    # Sorted, which says nothing about the right order one, two, three, four.
    assert anonymous["questions"][5]["items"] == ["four", "one", "three", "two"]


# Export


def test_export_json_for_owner(
    client: TestClient, owner: dict[str, Any], every_kind: dict[str, Any]
) -> None:
    response = export(client, every_kind["id"], "json", owner["headers"])
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.headers["content-disposition"] == (
        'attachment; filename="every-kind-2024-edition.json"'
    )
    exported = response.json()
    assert exported["title"] == EVERY_KIND["title"]
    assert exported["description"] == EVERY_KIND["description"]
    expected_questions = []
    for question in OWNER_QUESTIONS:
        fields = {key: value for key, value in question.items() if value is not None}
        del fields["position"]
        if fields["type"] == "true_false":
            del fields["choices"]
        expected_questions.append(fields)
    assert exported["questions"] == expected_questions


def test_json_export_reimports_equal(
    client: TestClient, owner: dict[str, Any], every_kind: dict[str, Any]
) -> None:
    exported = export(client, every_kind["id"], "json", owner["headers"]).content
    imported = import_file(client, "json", exported, owner["headers"], "application/json")
    assert imported.status_code == 201, imported.text
    assert imported.json()["source"] == "json"
    assert imported.json()["skipped"] == []
    assert imported.json()["questions"] == OWNER_QUESTIONS
    again = export(client, imported.json()["id"], "json", owner["headers"]).content
    assert again == exported


def test_csv_export_reimports_equal(
    client: TestClient, owner: dict[str, Any], every_kind: dict[str, Any]
) -> None:
    response = export(client, every_kind["id"], "csv", owner["headers"])
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == (
        'attachment; filename="every-kind-2024-edition.csv"'
    )
    assert response.text.split("\r\n")[0] == ",".join(csv_format.COLUMNS)
    imported = import_file(
        client, "csv", response.content, owner["headers"], "text/csv", title=EVERY_KIND["title"]
    )
    assert imported.status_code == 201, imported.text
    assert imported.json()["source"] == "csv"
    assert imported.json()["questions"] == OWNER_QUESTIONS
    # CSV carries no description, so the re-imported quiz has none.
    original = export(client, every_kind["id"], "json", owner["headers"]).json()
    del original["description"]
    assert export(client, imported.json()["id"], "json", owner["headers"]).json() == original


def test_gift_export_reimports_equal(
    client: TestClient, owner: dict[str, Any], every_kind: dict[str, Any]
) -> None:
    response = export(client, every_kind["id"], "gift", owner["headers"])
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert response.headers["content-disposition"] == (
        'attachment; filename="every-kind-2024-edition.gift"'
    )
    imported = import_file(
        client, "gift", response.content, owner["headers"], "text/plain", title="From GIFT"
    )
    assert imported.status_code == 201, imported.text
    assert imported.json()["source"] == "gift"
    assert imported.json()["questions"] == OWNER_QUESTIONS


def test_export_owner_only(
    client: TestClient, register: Callable[..., dict[str, Any]], every_kind: dict[str, Any]
) -> None:
    other = register()
    for format in ("json", "csv", "gift"):
        forbidden = export(client, every_kind["id"], format, other["headers"])
        assert forbidden.status_code == 403
        assert forbidden.json()["error"] == {
            "code": "not_quiz_owner",
            "message": f"quiz {every_kind['id']} belongs to another user: only its owner can "
            "export it",
        }
        anonymous = client.get(f"/quizzes/{every_kind['id']}/export", params={"format": format})
        assert anonymous.status_code == 401


def test_export_unknown_quiz_or_format(client: TestClient, owner: dict[str, Any]) -> None:
    missing = export(client, 999999999, "json", owner["headers"])
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "unknown_quiz"
    quiz = client.post("/quizzes", json=small_quiz(1), headers=owner["headers"]).json()
    bad_format = export(client, quiz["id"], "xml", owner["headers"])
    assert bad_format.status_code == 400
    assert bad_format.json()["error"]["message"] == (
        "query.format: Input should be 'json', 'gift' or 'csv'"
    )


def test_export_file_name_fallback(client: TestClient, owner: dict[str, Any]) -> None:
    quiz = small_quiz(1)
    quiz["title"] = "日本の首都"
    created = client.post("/quizzes", json=quiz, headers=owner["headers"]).json()
    response = export(client, created["id"], "json", owner["headers"])
    assert response.headers["content-disposition"] == (
        f'attachment; filename="quiz-{created["id"]}.json"'
    )


# Import


def test_kahoot_template_raw_and_multipart(client: TestClient, owner: dict[str, Any]) -> None:
    data = KAHOOT_TEMPLATE.read_bytes()
    raw = import_file(client, "kahoot", data, owner["headers"], XLSX_TYPE, title="Tools")
    multipart = client.post(
        "/quizzes/import/kahoot",
        params={"title": "Tools"},
        files={"file": ("kahoot-template.xlsx", data, XLSX_TYPE)},
        headers=owner["headers"],
    )
    expected = [
        {
            "position": 0,
            "type": "multiple",
            "text": "Which spreadsheet tools can read this sheet and export to xlsx format?",
            "time_limit": 60,
            "points": 1,
            "category": None,
            "choices": ["Excel", "Google Docs", "Numbers", "LibreOffice"],
            "correct": [0, 1, 2, 3],
            "scoring": "exact",
        }
    ]
    for response in (raw, multipart):
        assert response.status_code == 201, response.text
        body = response.json()
        assert body["title"] == "Tools"
        assert body["source"] == "kahoot"
        assert body["questions"] == expected
        assert body["skipped"] == []


def kahoot_sheet(rows: list[list[Any]]) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    for column, header in enumerate(kahoot.HEADERS, start=2):
        sheet.cell(row=8, column=column, value=header[1])
    for row, cells in enumerate(rows, start=9):
        for column, value in enumerate(cells, start=2):
            sheet.cell(row=row, column=column, value=value)
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


def test_bad_kahoot_saves_nothing(client: TestClient, owner: dict[str, Any]) -> None:
    data = kahoot_sheet(
        [["Q1?", "A", "B", None, None, 20, 1], ["Q2?", "A", "B", None, None, 25, 1]]
    )
    response = import_file(client, "kahoot", data, owner["headers"], title="Half a quiz")
    assert response.status_code == 422
    assert response.json()["error"] == {
        "code": "invalid_kahoot",
        "message": "row 10, column G: invalid time limit '25': use one of 5, 10, 20, 30, 60, "
        "90, 120, 240 seconds",
    }
    assert "Half a quiz" not in titles(client)


def test_kahoot_time_limit_parameter(client: TestClient, owner: dict[str, Any]) -> None:
    data = kahoot_sheet([["Q1?", "A", "B", None, None, None, 1]])
    response = import_file(client, "kahoot", data, owner["headers"], title="T", time_limit=45)
    assert response.status_code == 201, response.text
    assert response.json()["questions"][0]["time_limit"] == 45


def test_bad_files_are_422(client: TestClient, owner: dict[str, Any]) -> None:
    cases = {
        "csv": (
            b"text,choices,correct\nQ?,A|B,3\n",
            {"title": "T"},
            "invalid_csv",
            "line 2, column correct: choice number 3 is out of range: the question has "
            "choices 1 to 2",
        ),
        "json": (b"{", {}, "invalid_json", "the file is not valid JSON: "),
        "gift": (b"Q?{=a ~a}", {"title": "T"}, "invalid_gift", "line 1: choices: "),
        "kahoot": (
            b"not a zip",
            {"title": "T"},
            "invalid_kahoot",
            "the file is not an xlsx spreadsheet: save it in Excel's .xlsx format",
        ),
    }
    for format, (content, params, code, message) in cases.items():
        response = import_file(client, format, content, owner["headers"], **params)
        assert response.status_code == 422, format
        assert response.json()["error"]["code"] == code
        assert response.json()["error"]["message"].startswith(message), format
    invalid_quiz = json.dumps({"title": "T", "questions": []}).encode()
    response = import_file(client, "json", invalid_quiz, owner["headers"])
    assert response.status_code == 422
    assert response.json()["error"] == {
        "code": "invalid_quiz",
        "message": "questions: List should have at least 1 item after validation, not 0",
    }


def test_json_import_title_override(client: TestClient, owner: dict[str, Any]) -> None:
    content = json.dumps(small_quiz(1)).encode()
    kept = import_file(client, "json", content, owner["headers"])
    replaced = import_file(client, "json", content, owner["headers"], title=" New title ")
    assert kept.json()["title"] == "Colours"
    assert replaced.json()["title"] == "New title"


def test_gift_skipped_reported(client: TestClient, owner: dict[str, Any]) -> None:
    text = "Capital?{=Paris ~Lyon}\n\nWrite an essay.{}\n\nSun?{T}\n"
    rejected = import_file(client, "gift", text.encode(), owner["headers"], title="G")
    assert rejected.status_code == 422
    assert rejected.json()["error"]["message"].startswith("line 3: ")
    response = import_file(
        client, "gift", text.encode(), owner["headers"], title="G", skip_unsupported=True
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert [question["text"] for question in body["questions"]] == ["Capital?", "Sun?"]
    assert len(body["skipped"]) == 1
    assert body["skipped"][0]["line"] == 3
    assert body["skipped"][0]["kind"] == "essay"


def test_gift_examples_import(client: TestClient, owner: dict[str, Any]) -> None:
    response = client.post(
        "/quizzes/import/gift",
        params={"title": "Moodle examples", "skip_unsupported": True, "time_limit": 30},
        files={"file": ("examples.gift", GIFT_EXAMPLES.read_bytes(), "text/plain")},
        headers=owner["headers"],
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["question_count"] == len(body["questions"])
    assert body["question_count"] > 0
    assert body["skipped"] != []
    assert {question["time_limit"] for question in body["questions"]} == {30}


def test_opentdb_through_multipart(client: TestClient, owner: dict[str, Any]) -> None:
    document = {
        "response_code": 0,
        "results": [
            {
                "type": "boolean",
                "question": "The sun is a star.",
                "correct_answer": "True",
                "incorrect_answers": ["False"],
            }
        ],
    }
    response = client.post(
        "/quizzes/import/opentdb",
        params={"title": "Stars"},
        files={"file": ("trivia.json", json.dumps(document).encode(), "application/json")},
        headers=owner["headers"],
    )
    assert response.status_code == 201, response.text
    assert response.json()["questions"][0]["type"] == "true_false"
    assert response.json()["questions"][0]["correct"] is True
    invalid = client.post(
        "/quizzes/import/opentdb",
        params={"title": "Stars"},
        json={"results": [{"type": "text"}]},
        headers=owner["headers"],
    )
    assert invalid.status_code == 400
    assert invalid.json()["error"]["code"] == "invalid_quiz"


def test_too_large_is_413(client: TestClient, owner: dict[str, Any]) -> None:
    too_big = b"x" * (csv_format.MAX_BYTES + 1)
    expected = {
        "code": "file_too_large",
        "message": f"the file is larger than {csv_format.MAX_BYTES} bytes, the limit for the "
        "csv format: split the quiz into smaller files",
    }
    raw = import_file(client, "csv", too_big, owner["headers"], title="Big")
    assert raw.status_code == 413
    assert raw.json()["error"] == expected
    multipart = client.post(
        "/quizzes/import/csv",
        params={"title": "Big"},
        files={"file": ("big.csv", too_big, "text/csv")},
        headers=owner["headers"],
    )
    assert multipart.status_code == 413
    assert multipart.json()["error"] == expected
    assert "Big" not in titles(client)


def test_import_parameter_errors(client: TestClient, owner: dict[str, Any]) -> None:
    sheet = KAHOOT_TEMPLATE.read_bytes()
    cases = [
        ("kahoot", {}, "query.title: Field required"),
        ("csv", {}, "query.title: Field required"),
        ("gift", {}, "query.title: Field required"),
        ("kahoot", {"title": "   "}, "query.title: the title is blank: name the quiz"),
        (
            "kahoot",
            {"title": "T", "limit": 3},
            "query.limit: the kahoot format does not take limit: leave it out",
        ),
        (
            "csv",
            {"title": "T", "skip_unsupported": True},
            "query.skip_unsupported: the csv format does not take skip_unsupported: leave it out",
        ),
        (
            "json",
            {"time_limit": 30},
            "query.time_limit: the json format does not take time_limit: leave it out",
        ),
        (
            "kahoot",
            {"title": "T", "time_limit": 300},
            "query.time_limit: Input should be less than or equal to 240",
        ),
        (
            "excel",
            {"title": "T"},
            "path.format: Input should be 'opentdb', 'kahoot', 'gift', 'csv' or 'json'",
        ),
    ]
    for format, params, message in cases:
        response = import_file(client, format, sheet, owner["headers"], **params)
        assert response.status_code == 400, (format, params)
        assert response.json()["error"] == {"code": "invalid_input", "message": message}


def test_import_missing_file(client: TestClient, owner: dict[str, Any]) -> None:
    empty = import_file(client, "csv", b"", owner["headers"], title="T")
    assert empty.status_code == 400
    assert empty.json()["error"] == {
        "code": "empty_file",
        "message": "the file is empty: send a file that contains the quiz, as the request body "
        "or as the multipart field 'file'",
    }
    wrong_field = client.post(
        "/quizzes/import/csv",
        params={"title": "T"},
        files={"upload": ("quiz.csv", b"text\nQ?\n", "text/csv")},
        headers=owner["headers"],
    )
    assert wrong_field.status_code == 400
    assert wrong_field.json()["error"] == {
        "code": "missing_file",
        "message": "the multipart body has no file field named 'file'",
    }


def test_import_needs_token(client: TestClient) -> None:
    response = client.post("/quizzes/import/csv", params={"title": "T"}, content=b"text\nQ?\n")
    assert response.status_code == 401


def test_openapi_documents_import(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    operation = schema["paths"]["/quizzes/import/{format}"]["post"]
    assert set(operation["requestBody"]["content"]) == {
        "application/octet-stream",
        "application/json",
        "text/csv",
        "multipart/form-data",
    }
    assert "413" in operation["responses"]
    assert "multipart/form-data" in operation["description"]


# Editing and deleting


def test_owner_replaces_quiz(
    client: TestClient, owner: dict[str, Any], every_kind: dict[str, Any]
) -> None:
    replacement = small_quiz(2)
    response = client.put(
        f"/quizzes/{every_kind['id']}", json=replacement, headers=owner["headers"]
    )
    assert response.status_code == 200, response.text
    read = client.get(f"/quizzes/{every_kind['id']}", headers=owner["headers"]).json()
    assert read["title"] == "Colours"
    assert read["description"] == "Which colour is it?"
    assert read["question_count"] == 2
    assert [question["time_limit"] for question in read["questions"]] == [10, 11]
    assert read == response.json()


def test_replace_owner_only(
    client: TestClient,
    owner: dict[str, Any],
    register: Callable[..., dict[str, Any]],
    every_kind: dict[str, Any],
) -> None:
    other = register()
    path = f"/quizzes/{every_kind['id']}"
    forbidden = client.put(path, json=small_quiz(1), headers=other["headers"])
    assert forbidden.status_code == 403
    assert forbidden.json()["error"] == {
        "code": "not_quiz_owner",
        "message": f"quiz {every_kind['id']} belongs to another user: only its owner can edit it",
    }
    assert client.put(path, json=small_quiz(1)).status_code == 401
    missing = client.put("/quizzes/999999999", json=small_quiz(1), headers=owner["headers"])
    assert missing.status_code == 404
    invalid = small_quiz(1)
    invalid["questions"][0]["correct"] = 7
    bad = client.put(path, json=invalid, headers=owner["headers"])
    assert bad.status_code == 400
    assert client.get(path, headers=owner["headers"]).json()["questions"] == OWNER_QUESTIONS


def test_owner_deletes_quiz(client: TestClient, owner: dict[str, Any]) -> None:
    quiz = client.post("/quizzes", json=small_quiz(1), headers=owner["headers"]).json()
    response = client.delete(f"/quizzes/{quiz['id']}", headers=owner["headers"])
    assert response.status_code == 204
    assert response.content == b""
    assert client.get(f"/quizzes/{quiz['id']}").status_code == 404
    again = client.delete(f"/quizzes/{quiz['id']}", headers=owner["headers"])
    assert again.status_code == 404


def test_delete_owner_only(
    client: TestClient, owner: dict[str, Any], register: Callable[..., dict[str, Any]]
) -> None:
    quiz = client.post("/quizzes", json=small_quiz(1), headers=owner["headers"]).json()
    other = register()
    forbidden = client.delete(f"/quizzes/{quiz['id']}", headers=other["headers"])
    assert forbidden.status_code == 403
    assert forbidden.json()["error"]["code"] == "not_quiz_owner"
    assert client.delete(f"/quizzes/{quiz['id']}").status_code == 401
    assert client.get(f"/quizzes/{quiz['id']}").status_code == 200


def test_quiz_with_game_kept(client: TestClient, owner: dict[str, Any]) -> None:
    quiz = client.post("/quizzes", json=small_quiz(2), headers=owner["headers"]).json()
    game = client.post("/games", json={"quiz_id": quiz["id"]}, headers=owner["headers"])
    assert game.status_code == 201, game.text
    response = client.delete(f"/quizzes/{quiz['id']}", headers=owner["headers"])
    assert response.status_code == 409
    assert response.json()["error"] == {
        "code": "quiz_in_use",
        "message": f"quiz {quiz['id']} cannot be deleted because 1 game(s) were played or "
        "opened with it and their results refer to it: edit the quiz instead",
    }
    replaced = client.put(f"/quizzes/{quiz['id']}", json=small_quiz(1), headers=owner["headers"])
    assert replaced.status_code == 200
    assert client.get(f"/quizzes/{quiz['id']}").json()["question_count"] == 1


def test_gift_with_every_question_skipped(client: TestClient, owner: dict[str, Any]) -> None:
    content = b"Match them {=cat -> animal =oak -> tree =rose -> flower}\n"
    response = import_file(
        client, "gift", content, owner["headers"], title="Nothing", skip_unsupported="true"
    )
    assert response.status_code == 422
    assert response.json()["error"] == {
        "code": "no_questions",
        "message": "the file holds no question we can play, so there is nothing to import",
    }


def test_parser_crashes_are_422(client: TestClient, owner: dict[str, Any]) -> None:
    """Input that made the CSV and xlsx parsers raise their own errors is rejected as invalid."""
    long_header = b"text," + b"a" * 140_000 + b"\nQ?\n"
    no_workbook = io.BytesIO()
    with zipfile.ZipFile(no_workbook, "w") as archive:
        archive.writestr("[Content_Types].xml", b"<Types/>")
    cases = {
        "csv": (long_header, "invalid_csv", "line 1: the header is malformed: a cell has more"),
        "kahoot": (no_workbook.getvalue(), "invalid_kahoot", "the file is not an xlsx spreadsheet"),
    }
    for format, (content, code, message) in cases.items():
        response = import_file(client, format, content, owner["headers"], title="T")
        assert response.status_code == 422, (format, response.text)
        assert response.json()["error"]["code"] == code
        assert response.json()["error"]["message"].startswith(message), format
