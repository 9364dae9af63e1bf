import io
import re
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from livequiz.errors import InvalidInputError
from livequiz.formats import kahoot
from livequiz.formats.kahoot import questions_from_kahoot
from livequiz.questions import MultipleSelect, SingleChoice

TEMPLATE = Path(__file__).resolve().parents[2].parent / "shared/data/kahoot/kahoot-template.xlsx"
HEADER = [
    "Question - max 120 characters",
    "Answer 1 - max 75 characters",
    "Answer 2 - max 75 characters",
    "Answer 3 - max 75 characters",
    "Answer 4 - max 75 characters",
    "Time limit (sec) \u2013 5, 10, 20, 30, 60, 90, 120, or 240 secs",
    "Correct answer(s) - choose at least one",
]
CAPITAL = ["Capital of France?", "Lyon", "Paris", "Nice", "Lille", 20, 2]


def spreadsheet(
    rows: list[list[Any]], header: list[Any] | None = None, first_row: int = 9
) -> bytes:
    """Build a Kahoot sheet: the header in row 8 and ``rows`` from ``first_row``, columns B-H.

    Column A numbers every row from 9 to 20, as the template does, so that rows holding only
    that number count as empty.
    """
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.cell(row=2, column=2, value="Quiz template")
    for column, value in enumerate(HEADER if header is None else header, start=2):
        sheet.cell(row=8, column=column, value=value)
    for number in range(1, 13):
        sheet.cell(row=8 + number, column=1, value=number)
    for row, cells in enumerate(rows, start=first_row):
        for column, value in enumerate(cells, start=2):
            sheet.cell(row=row, column=column, value=value)
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


def with_cell_xml(data: bytes, cell: str, value: str) -> bytes:
    """Rewrite the stored number of ``cell``, such as ``20`` as ``20.0``, which openpyxl
    itself never writes but other spreadsheet programs do."""
    source = zipfile.ZipFile(io.BytesIO(data))
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w") as target:
        for member in source.infolist():
            content = source.read(member)
            if member.filename == "xl/worksheets/sheet1.xml":
                pattern = rf'(<c r="{cell}"[^>]*><v>)[^<]*(</v>)'.encode()
                content, count = re.subn(pattern, rb"\g<1>" + value.encode() + rb"\g<2>", content)
                assert count == 1
            target.writestr(member, content)
    return output.getvalue()


def error_message(data: bytes, **options: Any) -> str:
    with pytest.raises(InvalidInputError) as raised:
        questions_from_kahoot(data, **options)
    assert raised.value.code == "invalid_kahoot"
    return raised.value.message


def test_template_imports_its_question() -> None:
    questions = questions_from_kahoot(TEMPLATE.read_bytes())
    assert questions == [
        MultipleSelect(
            type="multiple",
            text="Which spreadsheet tools can read this sheet and export to xlsx format?",
            choices=["Excel", "Google Docs", "Numbers", "LibreOffice"],
            correct=[0, 1, 2, 3],
            scoring="exact",
            time_limit=60,
        )
    ]


def test_one_correct_answer_is_single() -> None:
    questions = questions_from_kahoot(spreadsheet([CAPITAL]))
    assert questions == [
        SingleChoice(
            text="Capital of France?", choices=["Lyon", "Paris", "Nice", "Lille"], correct=1
        )
    ]


def test_float_cells_read_as_numbers() -> None:
    data = spreadsheet([["Capital of France?", "Lyon", "Paris", None, None, 30, 2]])
    data = with_cell_xml(with_cell_xml(data, "G9", "30.0"), "H9", "2.0")
    questions = questions_from_kahoot(data)
    assert questions == [
        SingleChoice(text="Capital of France?", choices=["Lyon", "Paris"], correct=1, time_limit=30)
    ]


def test_text_numbers_and_lists() -> None:
    rows = [
        ["Primes?", "2", "4", "3", "9", "20", "1, 3"],
        ["Even?", "2", "4", "3", "9", " 10.0 ", "1,2"],
        ["Largest?", 1, 2, 3, 4, "5", "4"],
    ]
    questions = questions_from_kahoot(spreadsheet(rows))
    assert questions == [
        MultipleSelect(
            type="multiple", text="Primes?", choices=["2", "4", "3", "9"], correct=[0, 2]
        ),
        MultipleSelect(
            type="multiple",
            text="Even?",
            choices=["2", "4", "3", "9"],
            correct=[0, 1],
            time_limit=10,
        ),
        SingleChoice(text="Largest?", choices=["1", "2", "3", "4"], correct=3, time_limit=5),
    ]


def test_number_answers_shown_as_written() -> None:
    rows = [["Pi?", 3.14, 3, 1945.0, True, 20, 1]]
    questions = questions_from_kahoot(spreadsheet(rows))
    assert questions[0].choices == ["3.14", "3", "1945", "True"]


def test_true_false_answers_stay_single() -> None:
    rows = [["The sun is a star.", "True", "False", None, None, 10, 1]]
    questions = questions_from_kahoot(spreadsheet(rows))
    assert questions == [
        SingleChoice(text="The sun is a star.", choices=["True", "False"], correct=0, time_limit=10)
    ]


def test_answer_gaps_keep_numbers() -> None:
    rows = [["Capital of Spain?", "Madrid", None, "Seville", None, 20, "3"]]
    questions = questions_from_kahoot(spreadsheet(rows))
    assert questions == [
        SingleChoice(text="Capital of Spain?", choices=["Madrid", "Seville"], correct=1)
    ]


def test_empty_rows_skipped() -> None:
    rows = [CAPITAL, [], ["  ", None, "", None, None, None, None], CAPITAL]
    questions = questions_from_kahoot(spreadsheet(rows))
    assert len(questions) == 2
    assert questions[0] == questions[1]


def test_empty_time_limit_uses_default() -> None:
    rows = [["Capital of France?", "Lyon", "Paris", None, None, None, 2]]
    assert questions_from_kahoot(spreadsheet(rows))[0].time_limit == 20
    assert questions_from_kahoot(spreadsheet(rows), time_limit=45)[0].time_limit == 45


def test_bad_rows_name_row_and_column() -> None:
    cases = {
        "row 12, column G: invalid time limit '15': use one of 5, 10, 20, 30, 60, 90, 120, "
        "240 seconds": ["Q?", "A", "B", None, None, 15, 1],
        "row 12, column G: invalid time limit '20.5': use one of 5, 10, 20, 30, 60, 90, 120, "
        "240 seconds": ["Q?", "A", "B", None, None, 20.5, 1],
        "row 12, column G: invalid time limit 'soon': use one of 5, 10, 20, 30, 60, 90, 120, "
        "240 seconds": ["Q?", "A", "B", None, None, "soon", 1],
        "row 12, column H: correct answer 3 points at an empty cell (column E): fill in "
        "answer 3 or correct the answer numbers": ["Q?", "A", "B", None, None, 20, "1,3"],
        "row 12, column H: invalid correct answer '5' in '5': use answer numbers from 1 to 4 "
        "separated by commas": ["Q?", "A", "B", None, None, 20, 5],
        "row 12, column H: invalid correct answer 'two' in '1, two': use answer numbers from "
        "1 to 4 separated by commas": ["Q?", "A", "B", None, None, 20, "1, two"],
        "row 12, column H: answer 1 is listed twice": ["Q?", "A", "B", None, None, 20, "1,1"],
        "row 12, column H: the correct answers are the decimal number 1.3: format the cell as "
        'text and separate answer numbers with commas, such as "1,3"': [
            "Q?",
            "A",
            "B",
            "C",
            None,
            20,
            1.3,
        ],
        "row 12, column H: the correct answers are missing: name at least one": [
            "Q?",
            "A",
            "B",
            None,
            None,
            20,
            None,
        ],
        "row 12, column B: the question is empty: write it or clear the row": [
            None,
            "A",
            "B",
            None,
            None,
            20,
            1,
        ],
        "row 12, column B: the question has 121 characters, more than Kahoot's limit of 120: "
        "shorten it": ["Q" * 121, "A", "B", None, None, 20, 1],
        "row 12, column D: answer 2 has 76 characters, more than Kahoot's limit of 75: "
        "shorten it": ["Q?", "A", "B" * 76, None, None, 20, 1],
        "row 12, columns C to F: a question needs at least two answers, found 1": [
            "Q?",
            None,
            "B",
            None,
            None,
            20,
            2,
        ],
        "row 12, column E: answers 1 and 3 are both 'A': make every answer different": [
            "Q?",
            "A",
            "B",
            "A",
            None,
            20,
            1,
        ],
    }
    for expected, bad in cases.items():
        # Rows 9 and 10 are valid and row 11 is empty, so the bad row is row 12.
        data = spreadsheet([CAPITAL, CAPITAL, [], bad])
        assert error_message(data) == expected


def test_longest_texts_accepted() -> None:
    rows = [["Q" * 120, "A" * 75, "B", None, None, 240, 1]]
    questions = questions_from_kahoot(spreadsheet(rows))
    assert len(questions[0].text) == 120
    assert questions[0].choices == ["A" * 75, "B"]
    assert questions[0].time_limit == 240


def test_renamed_header_rejected() -> None:
    header = [*HEADER]
    header[2] = "Option 2"
    assert error_message(spreadsheet([CAPITAL], header=header)) == (
        "row 8, column D: expected the header 'Answer 2' of Kahoot's template, found "
        "'Option 2': keep the template's header row"
    )


def test_missing_header_rejected() -> None:
    header = HEADER[:6]
    assert error_message(spreadsheet([CAPITAL], header=header)) == (
        "row 8, column H: expected the header 'Correct answer' of Kahoot's template, found an "
        "empty cell: keep the template's header row"
    )
    workbook = openpyxl.Workbook()
    output = io.BytesIO()
    workbook.save(output)
    assert error_message(output.getvalue()) == (
        "row 8, column B: expected the header 'Question' of Kahoot's template, found an "
        "empty cell: keep the template's header row"
    )


def test_header_case_ignored() -> None:
    header = ["QUESTION", "answer 1", "Answer 2", "Answer 3", "Answer 4", "time limit", "Correct"]
    header[6] = "correct answers"
    assert len(questions_from_kahoot(spreadsheet([CAPITAL], header=header))) == 1


def test_sheet_without_questions_rejected() -> None:
    assert error_message(spreadsheet([])) == (
        "the sheet has no questions: write them from row 9 on, below the header"
    )


def test_not_a_spreadsheet_rejected() -> None:
    not_xlsx = "the file is not an xlsx spreadsheet: save it in Excel's .xlsx format"
    assert error_message(b"Question,Answer 1\nQ?,A\n") == not_xlsx
    assert error_message(b"") == not_xlsx
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as document:
        document.writestr("word/document.xml", "<document/>")
    assert error_message(archive.getvalue()) == (
        "the file is not an xlsx spreadsheet (\"There is no item named '[Content_Types].xml' "
        "in the archive\"): save it in Excel's .xlsx format"
    )


def test_broken_sheet_xml_rejected() -> None:
    data = with_cell_xml(spreadsheet([CAPITAL]), "G9", "</broken")
    assert error_message(data).startswith("the sheet cannot be read (")
    assert error_message(data).endswith("): save it again in Excel's .xlsx format")


def test_size_limits() -> None:
    too_big = b"PK" + b"\0" * kahoot.MAX_BYTES
    assert error_message(too_big) == (
        f"the file has {kahoot.MAX_BYTES + 2} bytes, more than the limit of "
        f"{kahoot.MAX_BYTES}: split the quiz into smaller spreadsheets"
    )
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (kahoot.MAX_UNCOMPRESSED_BYTES + 1))
    assert len(bomb.getvalue()) < kahoot.MAX_BYTES
    assert error_message(bomb.getvalue()) == (
        f"the spreadsheet expands to {kahoot.MAX_UNCOMPRESSED_BYTES + 1} bytes, more than the "
        f"limit of {kahoot.MAX_UNCOMPRESSED_BYTES}: remove images and unused rows, or split "
        "the quiz"
    )


def test_question_count_limit() -> None:
    rows = [[f"Question {index}?", "A", "B", None, None, 20, 1] for index in range(500)]
    assert len(questions_from_kahoot(spreadsheet(rows))) == 500
    assert error_message(spreadsheet([*rows, CAPITAL])) == (
        "row 509: the sheet has more than 500 questions, the most a quiz can have: split it "
        "into several quizzes"
    )


def with_part(data: bytes, name: str, old: bytes, new: bytes) -> bytes:
    """Replace ``old`` with ``new`` in the part ``name`` of the xlsx archive ``data``."""
    source = zipfile.ZipFile(io.BytesIO(data))
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as target:
        for member in source.infolist():
            content = source.read(member)
            if member.filename == name:
                assert old in content, content[:300]
                content = content.replace(old, new, 1)
            target.writestr(member.filename, content)
    return output.getvalue()


def test_archive_without_workbook_rejected() -> None:
    content_types = b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>'
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as document:
        document.writestr("[Content_Types].xml", content_types)
    assert error_message(archive.getvalue()) == (
        "the file is not an xlsx spreadsheet (File contains no valid workbook part): "
        "save it in Excel's .xlsx format"
    )


def test_unsupported_zip_version_rejected() -> None:
    data = bytearray(spreadsheet([CAPITAL]))
    # Byte 6 of the first central directory entry is the zip version needed to extract it.
    central = data.find(b"PK\x01\x02")
    data[central + 6] = 99
    assert error_message(bytes(data)) == (
        "the file is not an xlsx spreadsheet: save it in Excel's .xlsx format"
    )


def test_corrupt_deflate_stream_rejected() -> None:
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as document:
        document.writestr("[Content_Types].xml", b"<Types>" + b"<Default/>" * 200 + b"</Types>")
    data = bytearray(archive.getvalue())
    # The compressed bytes follow the 30-byte local header and the member's name.
    start = 30 + len("[Content_Types].xml")
    for offset in range(start, start + 8):
        data[offset] ^= 0xFF
    assert error_message(bytes(data)).startswith("the file is not an xlsx spreadsheet (")


def test_unknown_xml_attribute_rejected() -> None:
    data = with_part(
        spreadsheet([CAPITAL]), "xl/workbook.xml", b"<workbookView", b'<workbookView bogus="1"'
    )
    assert error_message(data).startswith("the file is not an xlsx spreadsheet (")


def with_dimension(data: bytes, reference: str) -> bytes:
    """Rewrite the sheet's declared size, as a spreadsheet program that gets it wrong would."""
    source = zipfile.ZipFile(io.BytesIO(data))
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w") as target:
        for member in source.infolist():
            content = source.read(member)
            if member.filename == "xl/worksheets/sheet1.xml":
                content, count = re.subn(
                    rb'<dimension ref="[^"]*"', f'<dimension ref="{reference}"'.encode(), content
                )
                assert count == 1
            target.writestr(member, content)
    return output.getvalue()


@pytest.mark.parametrize("reference", ["A1:H9", "A1"])
def test_rows_past_declared_size_read(reference: str) -> None:
    rows = [CAPITAL, ["Capital of Italy?", "Rome", "Milan", "", "", 20, 1], CAPITAL]
    data = with_dimension(spreadsheet(rows), reference)
    questions = questions_from_kahoot(data)
    assert [question.text for question in questions] == [
        "Capital of France?",
        "Capital of Italy?",
        "Capital of France?",
    ]
