"""Routes /quizzes: create, import, list, read, edit, export and delete quizzes.

A quiz's owner reads every question whole. Anyone may read any quiz, so other readers get
each question without the fields that give its answer away, and an ordering question's items
in an order that is never the right one.
"""

import json
import re
import unicodedata
from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response, status
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.types import Message

from functions.auth.deps import CurrentUser, EngineDep, OptionalUser
from livequiz import catalog, quizzes
from livequiz.catalog import QuizSummary, StoredQuiz
from livequiz.errors import ClientError, ForbiddenError, InvalidInputError
from livequiz.formats import csv_format, gift, kahoot, opentdb
from livequiz.ids import UserId
from livequiz.questions import AnyQuestion, Ordering, TrueFalse
from livequiz.quizzes import Quiz

router = APIRouter(prefix="/quizzes", tags=["quizzes"])


class PayloadTooLargeError(ClientError):
    status = 413


class UnprocessableFileError(ClientError):
    """The uploaded file was received but is not a valid quiz in its format."""

    status = 422


class Owner(BaseModel):
    user_id: int
    display_name: str


class QuizListItem(BaseModel):
    id: int
    title: str
    question_count: int
    source: str
    owner: Owner


class QuestionOut(BaseModel):
    """A question in our format with its position. Fields of other kinds are left out, and so
    are ``correct``, ``accepted``, ``tolerance`` and ``explanation`` for a reader other than
    the owner."""

    position: int
    type: str
    text: str
    time_limit: int
    points: int
    category: str | None
    image_url: str | None = None
    explanation: str | None = None
    # Also sent for true_false questions, whose choices are always True and False.
    choices: list[str] | None = None
    # The right choice's index (single), indexes (multiple), value (true_false) or number
    # (slider).
    correct: bool | int | list[int] | float | None = None
    accepted: list[str] | None = None
    scoring: str | None = None
    min: float | None = None
    max: float | None = None
    step: float | None = None
    tolerance: float | None = None
    # In the right order for the owner, and sorted alphabetically for others.
    items: list[str] | None = None


class QuizOut(QuizListItem):
    description: str | None
    questions: list[QuestionOut]


class SkippedOut(BaseModel):
    """A question of the imported file that was left out."""

    line: int
    kind: str
    reason: str


class ImportedQuizOut(QuizOut):
    # GIFT questions of kinds we cannot play, left out with ``skip_unsupported``; empty for
    # other formats.
    skipped: list[SkippedOut]


class ImportFormat(StrEnum):
    OPENTDB = "opentdb"
    KAHOOT = "kahoot"
    GIFT = "gift"
    CSV = "csv"
    JSON = "json"


class ExportFormat(StrEnum):
    JSON = "json"
    GIFT = "gift"
    CSV = "csv"


# The largest file each import format accepts. JSON stays under the 6 MB request payload of
# a synchronous Lambda invocation (AWS Lambda quotas), which limits the API behind API Gateway.
MAX_JSON_BYTES = 5 * 1024 * 1024
# A GIFT file within this many bytes is within parse_gift's limit on characters.
MAX_GIFT_BYTES = gift.MAX_GIFT_CHARS
MAX_IMPORT_BYTES = {
    ImportFormat.OPENTDB: MAX_JSON_BYTES,
    ImportFormat.JSON: MAX_JSON_BYTES,
    ImportFormat.KAHOOT: kahoot.MAX_BYTES,
    ImportFormat.CSV: csv_format.MAX_BYTES,
    ImportFormat.GIFT: MAX_GIFT_BYTES,
}
# Room for the boundaries and part headers of a multipart body around the file.
MULTIPART_OVERHEAD_BYTES = 64 * 1024
EXPORT_MEDIA_TYPES = {
    ExportFormat.JSON: "application/json",
    ExportFormat.GIFT: "text/plain; charset=utf-8",
    ExportFormat.CSV: "text/csv; charset=utf-8",
}
EXPORT_EXTENSIONS = {ExportFormat.JSON: "json", ExportFormat.GIFT: "gift", ExportFormat.CSV: "csv"}
# The fields that give a question's answer away, hidden from readers other than the owner.
ANSWER_FIELDS = ("correct", "accepted", "tolerance", "explanation")
MAX_FILE_NAME_CHARS = 60

IMPORT_DESCRIPTION = f"""
Import a quiz file as a new quiz owned by the caller.

Send the file either as the raw request body (any content type other than multipart, such as
`application/json`, `text/csv` or
`application/vnd.openxmlformats-officedocument.spreadsheetml.sheet`) or as the field `file` of
a `multipart/form-data` upload.

The formats and the query parameters each takes:

- `opentdb`: an Open Trivia Database response, `{{"results": [...]}}`. Takes `title`
  (required), `limit` and `time_limit`.
- `kahoot`: Kahoot's quiz spreadsheet template (.xlsx), header in row 8 and questions from
  row 9. Takes `title` (required) and `time_limit`, used where the time limit cell is empty.
- `csv`: one question of any kind per row under the header
  `{",".join(csv_format.COLUMNS)}`, with list entries separated by `|` and 1-based choice
  numbers in `correct`. Takes `title` (required) and `time_limit`, used where the
  `time_limit` cell is empty.
- `gift`: Moodle GIFT text. Takes `title` (required), `skip_unsupported` and `time_limit`.
- `json`: a quiz in our JSON format, as `POST /quizzes` takes it. `title` replaces the
  file's title.

A parameter that the format does not take is rejected with 400. Files larger than
{MAX_JSON_BYTES} bytes (JSON), {kahoot.MAX_BYTES} bytes (xlsx), {csv_format.MAX_BYTES} bytes
(CSV) or {MAX_GIFT_BYTES} bytes (GIFT) are rejected with 413. A file that is not a valid quiz
is rejected with 422 and a message naming the row, line or field, and nothing is saved. The
`opentdb` format keeps the statuses of its first version, 400 for an invalid document.
`skipped` lists the GIFT questions left out by `skip_unsupported`.
"""
IMPORT_BODY = {
    "required": True,
    "content": {
        "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
        "application/json": {"schema": {"type": "object"}},
        "text/csv": {"schema": {"type": "string"}},
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "properties": {"file": {"type": "string", "format": "binary"}},
                "required": ["file"],
            }
        },
    },
}
FILE_ERRORS: dict[int | str, dict[str, Any]] = {
    413: {"description": "The file is larger than its format's limit"},
    422: {"description": "The file is not a valid quiz; the message names the row or line"},
}
OWNER_ERRORS: dict[int | str, dict[str, Any]] = {
    403: {"description": "The quiz belongs to another user"},
}


# Reading quizzes


def _list_item(summary: QuizSummary) -> QuizListItem:
    return QuizListItem(
        id=summary.id,
        title=summary.title,
        question_count=summary.question_count,
        source=summary.source,
        owner=Owner(user_id=summary.owner_id, display_name=summary.owner_name),
    )


def _question_out(question: AnyQuestion, position: int, owned: bool) -> dict[str, Any]:
    item: dict[str, Any] = {"position": position, "category": None}
    item.update(question.model_dump(mode="json", exclude_none=True))
    item["type"] = question.type
    if isinstance(question, TrueFalse):
        item["choices"] = question.choices
    if owned:
        return item
    for name in ANSWER_FIELDS:
        item.pop(name, None)
    if isinstance(question, Ordering):
        # Sorted, which tells nothing about the right order; games shuffle them at random.
        item["items"] = sorted(question.items, key=str.casefold)
    return item


def _quiz_out(quiz: StoredQuiz, reader: UserId | None) -> dict[str, Any]:
    owned = reader is not None and reader == quiz.summary.owner_id
    questions = [
        _question_out(question, position, owned) for position, question in enumerate(quiz.questions)
    ]
    summary = _list_item(quiz.summary).model_dump()
    return {**summary, "description": quiz.description, "questions": questions}


def _owned_quiz(engine: EngineDep, quiz_id: int, user_id: UserId, action: str) -> StoredQuiz:
    stored = catalog.load_quiz(engine, quiz_id)
    if stored.summary.owner_id != user_id:
        raise ForbiddenError(
            "not_quiz_owner",
            f"quiz {quiz_id} belongs to another user: only its owner can {action} it",
        )
    return stored


def _saved(engine: EngineDep, user_id: UserId, quiz: Quiz, source: str) -> dict[str, Any]:
    quiz_id = catalog.save_quiz(engine, user_id, quiz, source)
    return _quiz_out(catalog.load_quiz(engine, quiz_id), user_id)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=QuizOut,
    response_model_exclude_unset=True,
)
def create_quiz(quiz: Quiz, user_id: CurrentUser, engine: EngineDep) -> dict[str, Any]:
    """Save a quiz in our JSON format and return it with its id and the answers."""
    return _saved(engine, user_id, quiz, "json")


@router.get("")
def list_quizzes(
    engine: EngineDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
    owner: Annotated[int | None, Query(ge=1, description="only this user's quizzes")] = None,
) -> list[QuizListItem]:
    """List quizzes, newest first, all of them or one owner's."""
    summaries = catalog.list_quizzes(engine, limit, offset, owner_id=owner)
    return [_list_item(summary) for summary in summaries]


@router.get("/{quiz_id}", response_model=QuizOut, response_model_exclude_unset=True)
def get_quiz(quiz_id: int, engine: EngineDep, reader: OptionalUser) -> dict[str, Any]:
    """Read a quiz with its questions: whole for its owner, without the answers for others."""
    return _quiz_out(catalog.load_quiz(engine, quiz_id), reader)


# Editing


@router.put(
    "/{quiz_id}", response_model=QuizOut, response_model_exclude_unset=True, responses=OWNER_ERRORS
)
def replace_quiz(
    quiz_id: int, quiz: Quiz, user_id: CurrentUser, engine: EngineDep
) -> dict[str, Any]:
    """Replace a quiz's title, description and questions with a quiz in our JSON format.

    Games created earlier keep the questions they were created with.
    """
    catalog.replace_quiz(engine, quiz_id, user_id, quiz)
    return _quiz_out(catalog.load_quiz(engine, quiz_id), user_id)


@router.delete(
    "/{quiz_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={
        **OWNER_ERRORS,
        409: {"description": "A game was created from the quiz, so it is kept"},
    },
)
def delete_quiz(quiz_id: int, user_id: CurrentUser, engine: EngineDep) -> Response:
    """Delete a quiz with its questions, unless a game was created from it (409 then)."""
    catalog.delete_quiz(engine, quiz_id, user_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# Export


def _file_name(title: str, quiz_id: int, extension: str) -> str:
    """Make an ASCII file name from the title, such as ``world-capitals.csv``."""
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")
    slug = slug[:MAX_FILE_NAME_CHARS].rstrip("-") or f"quiz-{quiz_id}"
    return f"{slug}.{extension}"


@router.get(
    "/{quiz_id}/export",
    responses={
        **OWNER_ERRORS,
        200: {
            "description": "The quiz as a file, with a Content-Disposition file name",
            "content": {media_type: {} for media_type in EXPORT_MEDIA_TYPES.values()},
        },
    },
)
def export_quiz(
    quiz_id: int,
    user_id: CurrentUser,
    engine: EngineDep,
    format: Annotated[ExportFormat, Query(description="The file format")] = ExportFormat.JSON,
) -> Response:
    """Download a quiz with its answers as a file; only its owner may.

    CSV contains the questions only, without the title and the description.
    """
    stored = _owned_quiz(engine, quiz_id, user_id, "export")
    quiz = Quiz.model_construct(
        title=stored.summary.title, description=stored.description, questions=stored.questions
    )
    if format is ExportFormat.JSON:
        content = quizzes.quiz_to_json(quiz)
    elif format is ExportFormat.CSV:
        content = csv_format.quiz_to_csv(quiz)
    else:
        content = gift.to_gift(quiz)
    name = _file_name(stored.summary.title, quiz_id, EXPORT_EXTENSIONS[format])
    return Response(
        content=content.encode("utf-8"),
        media_type=EXPORT_MEDIA_TYPES[format],
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


# Import


def _missing_title() -> RequestValidationError:
    return RequestValidationError(
        [{"type": "missing", "loc": ("query", "title"), "msg": "Field required", "input": None}]
    )


def _unused_parameter(name: str, format: ImportFormat) -> InvalidInputError:
    return InvalidInputError(
        "invalid_input", f"query.{name}: the {format} format does not take {name}: leave it out"
    )


def _too_large(format: ImportFormat) -> PayloadTooLargeError:
    return PayloadTooLargeError(
        "file_too_large",
        f"the file is larger than {MAX_IMPORT_BYTES[format]} bytes, the limit for the "
        f"{format} format: split the quiz into smaller files",
    )


async def _read_body(request: Request, limit: int, format: ImportFormat) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise _too_large(format)
    chunks = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _too_large(format)
        chunks.append(chunk)
    return b"".join(chunks)


async def _uploaded_file(request: Request, format: ImportFormat) -> bytes:
    """Read the file from the raw body or from the multipart field ``file``, within its limit."""
    limit = MAX_IMPORT_BYTES[format]
    multipart = request.headers.get("content-type", "").startswith("multipart/form-data")
    body_limit = limit + MULTIPART_OVERHEAD_BYTES if multipart else limit
    body = await _read_body(request, body_limit, format)
    if multipart:
        # The body was read above to enforce the limit, so the form parser reads it from memory.
        async def receive() -> Message:
            return {"type": "http.request", "body": body, "more_body": False}

        form = await Request(request.scope, receive).form(max_files=1, max_fields=10)
        try:
            upload = form.get("file")
            if not isinstance(upload, UploadFile):
                raise InvalidInputError(
                    "missing_file", "the multipart body has no file field named 'file'"
                )
            data = await upload.read()
        finally:
            await form.close()
        if len(data) > limit:
            raise _too_large(format)
    else:
        data = body
    if not data.strip():
        raise InvalidInputError(
            "empty_file",
            "the file is empty: send a file that contains the quiz, as the request body or as "
            "the multipart field 'file'",
        )
    return data


def _json_document(data: bytes, name: str) -> Any:
    try:
        return json.loads(data)
    except (ValueError, RecursionError) as error:
        # RecursionError: nesting deeper than the parser's recursion limit.
        raise InvalidInputError("invalid_json", f"{name} is not valid JSON: {error}") from error


def _text(data: bytes, code: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InvalidInputError(
            code, f"the file is not UTF-8 text (byte {error.start}): save it as UTF-8"
        ) from error


def _new_quiz(title: str, questions: list[AnyQuestion]) -> Quiz:
    if not questions:
        raise InvalidInputError(
            "no_questions", "the file holds no question we can play, so there is nothing to import"
        )
    try:
        return Quiz(title=title, questions=questions)
    except ValidationError as error:
        raise InvalidInputError("invalid_quiz", quizzes.describe_errors(error)) from error


def _parse_file(
    format: ImportFormat,
    data: bytes,
    title: str,
    limit: int | None,
    time_limit: int,
    skip_unsupported: bool,
) -> tuple[Quiz, list[dict[str, Any]]]:
    """Read an uploaded file as a quiz; return it with the GIFT questions left out."""
    if format is ImportFormat.OPENTDB:
        document = _json_document(data, "the request body")
        return opentdb.quiz_from_opentdb(document, title, limit=limit, time_limit=time_limit), []
    if format is ImportFormat.JSON:
        document = _json_document(data, "the file")
        if title and isinstance(document, dict):
            document["title"] = title
        return quizzes.parse_quiz(document), []
    if format is ImportFormat.KAHOOT:
        return _new_quiz(title, kahoot.questions_from_kahoot(data, time_limit=time_limit)), []
    if format is ImportFormat.CSV:
        return _new_quiz(title, csv_format.questions_from_csv(data, time_limit=time_limit)), []
    parsed = gift.parse_gift(
        _text(data, "invalid_gift"), skip_unsupported=skip_unsupported, time_limit=time_limit
    )
    skipped = [
        {"line": question.line, "kind": question.kind, "reason": question.reason}
        for question in parsed.skipped
    ]
    return _new_quiz(title, list(parsed.questions)), skipped


def _import_file(
    engine: EngineDep,
    user_id: UserId,
    format: ImportFormat,
    data: bytes,
    **options: Any,
) -> dict[str, Any]:
    try:
        quiz, skipped = _parse_file(format, data, **options)
    except InvalidInputError as error:
        # OpenTDB documents kept their first version's status, 400, for an invalid document.
        if format is ImportFormat.OPENTDB:
            raise
        raise UnprocessableFileError(error.code, error.message) from error
    return {**_saved(engine, user_id, quiz, format.value), "skipped": skipped}


@router.post(
    "/import/{format}",
    status_code=status.HTTP_201_CREATED,
    response_model=ImportedQuizOut,
    response_model_exclude_unset=True,
    summary="Import a quiz file",
    description=IMPORT_DESCRIPTION,
    openapi_extra={"requestBody": IMPORT_BODY},
    responses=FILE_ERRORS,
)
async def import_quiz(
    format: ImportFormat,
    request: Request,
    user_id: CurrentUser,
    engine: EngineDep,
    title: Annotated[str | None, Query(min_length=1, max_length=200)] = None,
    limit: Annotated[
        int | None, Query(ge=1, le=quizzes.MAX_QUESTIONS, description="opentdb only")
    ] = None,
    time_limit: Annotated[
        int | None,
        Query(ge=quizzes.MIN_TIME_LIMIT_S, le=quizzes.MAX_TIME_LIMIT_S, description="seconds"),
    ] = None,
    skip_unsupported: Annotated[
        bool | None, Query(description="gift only: leave out questions we cannot play")
    ] = None,
) -> dict[str, Any]:
    """Import a quiz file in one of ``ImportFormat``; ``IMPORT_DESCRIPTION`` documents it."""
    if title is None and format is not ImportFormat.JSON:
        raise _missing_title()
    if title is not None and not title.strip():
        raise InvalidInputError("invalid_input", "query.title: the title is blank: name the quiz")
    if limit is not None and format is not ImportFormat.OPENTDB:
        raise _unused_parameter("limit", format)
    if skip_unsupported is not None and format is not ImportFormat.GIFT:
        raise _unused_parameter("skip_unsupported", format)
    if time_limit is not None and format is ImportFormat.JSON:
        raise _unused_parameter("time_limit", format)
    data = await _uploaded_file(request, format)
    return await run_in_threadpool(
        _import_file,
        engine,
        user_id,
        format,
        data,
        title=(title or "").strip(),
        limit=limit,
        time_limit=time_limit or quizzes.DEFAULT_TIME_LIMIT_S,
        skip_unsupported=bool(skip_unsupported),
    )
