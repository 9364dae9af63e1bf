"""GIFT import and export, checked against the parses of a reference GIFT grammar.

Each ``grammar-cases/*.gift`` file has a ``.json`` beside it with the parse that the
GIFT-grammar-PEG.js project expects. ``expected_outcome`` maps that parse to our questions by
the rules of ``livequiz.formats.gift``, so the tests compare what our parser reads (kinds,
texts, answers, weights, feedback) with what the reference grammar reads.
"""

import json
import random
import re
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from livequiz.errors import InvalidInputError
from livequiz.formats.gift import (
    GiftImport,
    SkippedQuestion,
    category_name,
    html_to_text,
    parse_gift,
    slider_range,
    to_gift,
)
from livequiz.questions import AnyQuestion, Slider
from livequiz.quizzes import QUESTION_TYPES, Quiz, parse_quiz

GIFT_DATA = Path(__file__).resolve().parents[2].parent / "shared/data/gift"
CASES = sorted((GIFT_DATA / "grammar-cases").glob("*.gift"))
# Seeds the random slider ranges, so that two imports of one file compare equal.
SEED = 7
CASE_COUNT = 51

# Line and kind of every question in a case that the game cannot play.
UNSUPPORTED = {
    "description1.gift": [(1, "description")],
    "descriptionTitleEscapedColon.gift": [(1, "description")],
    "descriptionWithID.gift": [(2, "description")],
    "essay1.gift": [(1, "essay")],
    "giftFormatPhpExamples.gift": [
        (15, "matching"),
        (28, "multiple_choice"),
        (33, "short_answer"),
    ],
    "markdown.gift": [
        (1, "description"),
        (3, "description"),
        (6, "description"),
        (11, "description"),
    ],
    "matching1.gift": [(3, "matching"), (9, "matching")],
    "newlineAndLaTeX.gift": [(1, "essay")],
    "options1.gift": [(36, "multiple_choice"), (38, "multiple_choice"), (44, "short_answer")],
    "tag_id.gift": [(2, "essay")],
    "tag_id_and_two_tags.gift": [(3, "essay")],
    "tag_two_tags.gift": [(2, "essay")],
    "totara_moodle_backslash.gift": [(4, "essay")],
    "totara_moodle_essay.gift": [(4, "essay")],
    "totara_moodle_match.gift": [(4, "matching")],
    "totara_moodle_pre_content.gift": [(3, "essay")],
    "totara_moodle_shortanswer.gift": [(4, "short_answer")],
    "totara_moodle_shortanswer_general_feedback.gift": [(4, "short_answer")],
}
# Cases that hold only a $CATEGORY: line.
WITHOUT_QUESTIONS = {"category1.gift", "categorySpecialCharacter.gift"}
# Cases whose questions break a limit of our model.
INVALID = {
    "escapeAll.gift": "line 1: choices: List should have at most 6 items after validation, not 7",
}


# The reference parse, mapped to our questions


def reference_text(part: dict[str, Any] | None, embedded: bool = False) -> str | None:
    if part is None:
        return None
    text = part["text"]
    if part["format"] == "html":
        text = html_to_text(text)
    if embedded:
        # The reference joins the text around the block with spaces, but Moodle and livequiz
        # put _____ exactly where the block was, so punctuation right after it has no space.
        text = re.sub(r"_____ (?=[.,;:!?])", "_____", text)
    return text.strip() or None


def reference_score(choice: dict[str, Any], marker_weight: int) -> Decimal:
    if choice["weight"] is not None:
        return Decimal(str(choice["weight"]))
    return Decimal(marker_weight if choice["isCorrect"] else 0)


def first_feedback(choices: list[dict[str, Any]]) -> str | None:
    return next(
        (reference_text(c["feedback"]) for c in choices if reference_text(c["feedback"])), None
    )


def expected_choice(item: dict[str, Any], base: dict[str, Any]) -> dict[str, Any] | str:
    choices = item["choices"]
    scores = [reference_score(choice, 100) for choice in choices]
    texts = [reference_text(choice["text"]) for choice in choices]
    positive = [index for index, score in enumerate(scores) if score > 0]
    has_equals = any(choice["isCorrect"] for choice in choices)
    if len(positive) == 1 and scores[positive[0]] == 100:
        right = choices[positive[0]]
        return {
            **base,
            "type": "single",
            "choices": texts,
            "correct": positive[0],
            "explanation": base["explanation"] or reference_text(right["feedback"]),
        }
    if has_equals and any(scores[index] < 100 for index in positive):
        return "multiple_choice"
    return {
        **base,
        "type": "multiple",
        "choices": texts,
        "correct": positive,
        "scoring": "partial" if any(scores[index] < 100 for index in positive) else "exact",
        "explanation": base["explanation"] or first_feedback([choices[i] for i in positive]),
    }


def expected_short(item: dict[str, Any], base: dict[str, Any]) -> dict[str, Any] | str:
    scores = [reference_score(choice, 100) for choice in item["choices"]]
    if any(0 < score < 100 for score in scores):
        return "short_answer"
    accepted = [c for c, score in zip(item["choices"], scores, strict=True) if score == 100]
    return {
        **base,
        "type": "type_answer",
        "accepted": [reference_text(choice["text"]) for choice in accepted],
        "explanation": base["explanation"] or first_feedback(accepted),
    }


def numeric_value(spec: dict[str, Any]) -> tuple[Decimal, Decimal]:
    if spec["type"] == "simple":
        return Decimal(str(spec["number"])), Decimal(0)
    if spec["type"] == "range":
        return Decimal(str(spec["number"])), Decimal(str(spec["range"]))
    low, high = Decimal(str(spec["numberLow"])), Decimal(str(spec["numberHigh"]))
    return (low + high) / 2, (high - low) / 2


def expected_slider(item: dict[str, Any], base: dict[str, Any]) -> dict[str, Any]:
    choices = item["choices"]
    if isinstance(choices, dict):
        value, tolerance = numeric_value(choices)
        feedback = None
    else:
        numeric = [c for c in choices if c["isCorrect"] and "type" in c["text"]]
        right = [c for c in numeric if reference_score(c, 100) == 100]
        value, tolerance = numeric_value(right[0]["text"])
        # Partial credit around the right value widens the tolerance.
        tolerance = max(numeric_value(c["text"])[1] for c in numeric if c["weight"] != 0)
        feedback = first_feedback(right)
    return {
        **base,
        "type": "slider",
        "correct": float(value),
        "tolerance": float(tolerance),
        "explanation": base["explanation"] or feedback,
    }


def expected_true_false(item: dict[str, Any], base: dict[str, Any]) -> dict[str, Any]:
    # The reference names the feedback after # trueFeedback and the one after a second #
    # falseFeedback, whatever the answer. livequiz takes the first one written.
    feedback = reference_text(item["trueFeedback"]) or reference_text(item["falseFeedback"])
    return {
        **base,
        "type": "true_false",
        "correct": item["isTrue"],
        "explanation": base["explanation"] or feedback,
    }


UNSUPPORTED_TYPES = {"Description": "description", "Essay": "essay", "Matching": "matching"}


def expected_outcome(items: list[dict[str, Any]]) -> list[dict[str, Any] | str]:
    """Map a reference parse to our question fields, or to the kind of an unsupported one."""
    outcome: list[dict[str, Any] | str] = []
    category = None
    for item in items:
        if item["type"] == "Category":
            category = category_name(item["title"])
            continue
        if item["type"] in UNSUPPORTED_TYPES:
            outcome.append(UNSUPPORTED_TYPES[item["type"]])
            continue
        base = {
            "text": reference_text(item["stem"], item["hasEmbeddedAnswers"]),
            "category": category,
            "explanation": reference_text(item["globalFeedback"]),
        }
        mapping = {
            "MC": expected_choice,
            "Short": expected_short,
            "Numerical": expected_slider,
            "TF": expected_true_false,
        }
        outcome.append(mapping[item["type"]](item, base))
    return outcome


def comparable(question: AnyQuestion) -> dict[str, Any]:
    # The slider's range is drawn at random; test_slider_ranges checks its bounds.
    return question.model_dump(exclude={"min", "max", "step"})


def expected_comparable(fields: dict[str, Any]) -> dict[str, Any]:
    kind = QUESTION_TYPES[fields["type"]]
    if fields["type"] == "slider":
        fields = {**fields, "min": -1e12, "max": 1e12, "step": 1e-9}
    return comparable(kind.model_validate(fields))


def read_case(path: Path) -> tuple[str, list[dict[str, Any] | str]]:
    expected = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
    return path.read_text(encoding="utf-8"), expected_outcome(expected)


# Reference cases


def test_grammar_case_count() -> None:
    assert len(CASES) == CASE_COUNT


@pytest.mark.parametrize("path", CASES, ids=lambda path: path.name)
def test_grammar_case(path: Path) -> None:
    text, outcome = read_case(path)
    name = path.name
    if name in WITHOUT_QUESTIONS:
        assert outcome == []
        with pytest.raises(InvalidInputError) as raised:
            parse_gift(text)
        assert raised.value.message == "the GIFT text contains no questions"
        return
    if name in INVALID:
        with pytest.raises(InvalidInputError) as raised:
            parse_gift(text, skip_unsupported=True)
        assert raised.value.code == "invalid_gift"
        assert raised.value.message == INVALID[name]
        return
    supported = [expected_comparable(item) for item in outcome if isinstance(item, dict)]
    unsupported = UNSUPPORTED.get(name, [])
    assert [item for item in outcome if isinstance(item, str)] == [k for _, k in unsupported]

    imported = parse_gift(text, skip_unsupported=True, rng=random.Random(SEED))
    assert [comparable(question) for question in imported.questions] == supported
    assert [(skipped.line, skipped.kind) for skipped in imported.skipped] == unsupported
    for question in imported.questions:
        if question.type == "slider":
            assert question.min <= question.correct - question.tolerance
            assert question.max >= question.correct + question.tolerance

    if not unsupported:
        assert parse_gift(text, rng=random.Random(SEED)) == imported
        return
    line, kind = unsupported[0]
    with pytest.raises(InvalidInputError) as raised:
        parse_gift(text)
    assert raised.value.message.startswith(f"line {line}: {kind.replace('_', ' ')} question ")


def test_moodle_examples() -> None:
    text = (GIFT_DATA / "moodle-examples.gift").read_text(encoding="utf-8")
    imported = parse_gift(text, skip_unsupported=True)
    kinds = Counter(question.type for question in imported.questions)
    assert kinds == {"single": 13, "slider": 8, "type_answer": 7, "true_false": 5, "multiple": 2}
    assert [(skipped.line, skipped.kind) for skipped in imported.skipped] == [
        (55, "matching"),
        (61, "matching"),
        (115, "multiple_choice"),
        (117, "multiple_choice"),
        (123, "short_answer"),
        (177, "matching"),
        (190, "multiple_choice"),
        (195, "short_answer"),
    ]
    with pytest.raises(InvalidInputError) as raised:
        parse_gift(text)
    assert raised.value.message == (
        "line 55: matching question not supported: the game has no matching questions. "
        "Remove it, or import with skip_unsupported to import the other questions"
    )


def test_skipped_reasons() -> None:
    text = (GIFT_DATA / "grammar-cases/options1.gift").read_text(encoding="utf-8")
    assert parse_gift(text, skip_unsupported=True).skipped == [
        SkippedQuestion(
            36,
            "multiple_choice",
            "the answer 'half credit answer' earns 50% beside the right answer marked =, "
            "but a single choice question has no partial credit",
        ),
        SkippedQuestion(
            38,
            "multiple_choice",
            "the answer 'Bethlehem' earns 25% beside the right answer marked =, but a single "
            "choice question has no partial credit",
        ),
        SkippedQuestion(
            44,
            "short_answer",
            "the answer 'Nazereth' earns 75%, but a type_answer question accepts answers "
            "only at full credit",
        ),
    ]


# Mapping rules


def test_slider_ranges() -> None:
    text = (GIFT_DATA / "grammar-cases/numerical1.gift").read_text(encoding="utf-8")
    sliders = [q for q in parse_gift(text).questions if isinstance(q, Slider)]
    assert [(q.step, q.correct, q.tolerance) for q in sliders] == [
        (1.0, 1822.0, 0.0),
        (1.0, -1.0, 0.0),
        (0.0001, 3.1415, 0.0005),
        (0.001, -3.142, 0.001),
        (0.0001, 3.1415, 0.0005),
        (0.0001, -3.1415, 0.0005),
        (1.0, 3.0, 2.0),
        (1.0, 0.0, 5.0),
        (1.0, 1822.0, 2.0),
        (1.0, 9.0, 0.0),
    ]
    for q in sliders:
        width = max(Decimal(str(q.tolerance)), Decimal(str(q.step)))
        assert Decimal(str(q.max)) - Decimal(str(q.min)) == 20 * width
        assert 5 * width <= Decimal(str(q.correct)) - Decimal(str(q.min)) <= 15 * width


def test_slider_range_is_random() -> None:
    ranges = {
        slider_range(Decimal("50"), Decimal("5"), random.Random(seed))["min"] for seed in range(40)
    }
    # The right value 50 lies 5 to 15 widths of 5 above the minimum, at a random place.
    assert ranges <= {50.0 - 5 * widths for widths in range(5, 16)}
    assert len(ranges) > 5


def test_true_false_feedback() -> None:
    text = (GIFT_DATA / "grammar-cases/TFTwoFeedback.gift").read_text(encoding="utf-8")
    explanations = [q.explanation for q in parse_gift(text).questions]
    assert explanations == ["feedback for true", "feedback for true", "feedback for false"]


def test_general_feedback_wins() -> None:
    gift = "Q?{=a#right ~b#wrong ####general}\n\nT?{TRUE#first#second####general too}"
    explanations = [q.explanation for q in parse_gift(gift).questions]
    assert explanations == ["general", "general too"]


def test_categories() -> None:
    gift = (
        "$CATEGORY: $course$/top/Geography/Capitals\n\nCapital of France?{=Paris ~Lyon}\n\n"
        "// a comment between questions\n$CATEGORY: Maths\nTwo plus two?{#4}\n\n"
        "$CATEGORY: $course$/top\n\nSky blue?{T}"
    )
    assert [q.category for q in parse_gift(gift).questions] == [
        "Geography/Capitals",
        "Maths",
        None,
    ]


def test_category_names() -> None:
    assert category_name(" $course$/top/Default for X ") == "Default for X"
    assert category_name("$system$/top") is None
    assert category_name("tom/dick/harry") == "tom/dick/harry"
    assert category_name("topology") == "topology"


def test_html_to_text() -> None:
    html = (
        "<p>Caf&eacute; &amp; <b>bar</b>&nbsp;!</p><!-- hidden --><p>line<br>two</p>"
        "<script>alert(1)</script><pre>  code\n    indented</pre>  spaced   out  "
    )
    assert html_to_text(html) == "Café & bar\u00a0!\nline\ntwo\n  code\n    indented\nspaced out"


def test_formats_of_parts() -> None:
    gift = (
        "[html]<p>Pick <i>one</i></p>{\n"
        "  =[plain]<b> stays#[markdown]**kept**\n"
        "  ~&lt;i&gt;\n"
        "}\n\n"
        "[markdown]Line one  \nline two{=*a*}\n\n"
        "Moodle text\n  over two lines \\n and a break{=x}"
    )
    single, typed, moodle = parse_gift(gift).questions
    assert single.model_dump(include={"text", "choices", "explanation"}) == {
        "text": "Pick one",
        "choices": ["<b> stays", "<i>"],
        "explanation": "**kept**",
    }
    assert typed.text == "Line one  \nline two"
    assert moodle.text == "Moodle text over two lines \n and a break"


def test_byte_order_mark_and_crlf() -> None:
    gift = "\ufeff// comment\r\nQ?{T}\r\n\r\nR?\r\n{=a\r\n~b}"
    first, second = parse_gift(gift).questions
    assert first.text == "Q?"
    assert second.model_dump(include={"text", "choices"}) == {"text": "R?", "choices": ["a", "b"]}


def test_time_limit_argument() -> None:
    gift = 'Q?{T}\n\n// livequiz: {"time_limit": 90}\nR?{F}'
    limits = [q.time_limit for q in parse_gift(gift, time_limit=45).questions]
    assert limits == [45, 90]


def test_time_limit_argument_out_of_range() -> None:
    with pytest.raises(InvalidInputError) as raised:
        parse_gift("Q?{T}", time_limit=300)
    assert raised.value.code == "invalid_time_limit"
    assert raised.value.message == "time_limit is 300: expected 5 to 240 s"


def test_livequiz_comment_sets_kind() -> None:
    gift = (
        '// livequiz: {"type": "poll", "points": 0}\nColour?{~red ~blue}\n\n'
        '// livequiz: {"type": "ordering", "scoring": "partial"}\nOrder{=b -> 2 =a -> 1}'
    )
    poll, ordering = parse_gift(gift).questions
    assert poll.model_dump(include={"type", "choices"}) == {
        "type": "poll",
        "choices": ["red", "blue"],
    }
    assert ordering.model_dump(include={"type", "items", "scoring"}) == {
        "type": "ordering",
        "items": ["a", "b"],
        "scoring": "partial",
    }


# Round trips


def every_kind_quiz() -> Quiz:
    return parse_quiz(
        {
            "title": "Round trip",
            "description": "One question of every kind",
            "questions": [
                {
                    "text": "Which is {odd}? a~b = c # d: e \\ f",
                    "choices": ["1 ~ one", "%50% off", "[html] <b>", "a -> b"],
                    "correct": 1,
                    "category": "Geo/Capitals",
                    "time_limit": 30,
                    "explanation": "Because\nof {this}",
                },
                {
                    "type": "true_false",
                    "text": "Ünïcödé ✓ and 日本語 are fine",
                    "correct": False,
                    "points": 2,
                    "category": "Geo/Capitals",
                    "explanation": "[plain] leads this explanation",
                },
                {
                    "type": "multiple",
                    "text": "Pick the primes",
                    "choices": ["2", "4", "5"],
                    "correct": [0, 2],
                    "scoring": "exact",
                },
                {
                    "type": "multiple",
                    "text": "Pick one",
                    "choices": ["a", "b", "c"],
                    "correct": [1],
                    "scoring": "partial",
                    "category": "Maths",
                },
                {
                    "type": "multiple",
                    "text": "Pick three",
                    "choices": ["a", "b", "c", "d"],
                    "correct": [0, 1, 3],
                    "scoring": "partial",
                    "category": "Maths",
                },
                {
                    "type": "type_answer",
                    "text": "Type T or x=y",
                    "accepted": ["T", "TRUE", "x=y", "#1"],
                    "image_url": "https://example.com/a.png",
                    "category": "$course$/top/kept as written",
                },
                {
                    "type": "slider",
                    "text": "Year?",
                    "min": 1900,
                    "max": 2000,
                    "step": 5,
                    "correct": 1950,
                    "tolerance": 10,
                },
                {
                    "type": "slider",
                    "text": "π to four places",
                    "min": 3.136,
                    "max": 3.146,
                    "step": 0.0001,
                    "correct": 3.1415,
                    "tolerance": 0.0005,
                    "explanation": "π is 3.14159…",
                },
                {
                    "type": "ordering",
                    "text": "Order these",
                    "items": ["first -> 1", "second", "third"],
                    "scoring": "partial",
                },
                {
                    "type": "poll",
                    "text": "Favourite?\n// not a comment",
                    "choices": ["red", "blue"],
                    "explanation": "",
                },
            ],
        }
    )


def test_round_trip_every_kind() -> None:
    quiz = every_kind_quiz()
    assert {question.type for question in quiz.questions} == set(QUESTION_TYPES)
    assert parse_gift(to_gift(quiz)) == GiftImport(quiz.questions, [])


def test_round_trip_with_other_time_limit() -> None:
    quiz = every_kind_quiz()
    assert parse_gift(to_gift(quiz), time_limit=60).questions == quiz.questions


def test_export_text() -> None:
    quiz = parse_quiz(
        {
            "title": "Small",
            "questions": [
                {
                    "text": "Capital of France: {city}?",
                    "choices": ["Paris", "Lyon"],
                    "correct": 0,
                    "category": "Geography",
                    "explanation": "It is #1.",
                },
                {"type": "true_false", "text": "Sky is blue", "correct": True, "time_limit": 10},
                {
                    "type": "multiple",
                    "text": "Even numbers",
                    "choices": ["1", "2", "4"],
                    "correct": [1, 2],
                    "scoring": "partial",
                    "category": "Geography",
                },
                {"type": "slider", "text": "2+2", "min": -4, "max": 16, "correct": 4},
            ],
        }
    )
    assert to_gift(quiz) == (
        "// Quiz: Small\n"
        "\n"
        "$CATEGORY: Geography\n"
        "\n"
        '// livequiz: {"time_limit": 20}\n'
        "[plain]Capital of France\\: \\{city\\}?{\n"
        "\t=Paris\n"
        "\t~Lyon\n"
        "\t####It is \\#1.\n"
        "}\n"
        "\n"
        '// livequiz: {"time_limit": 10, "category": null}\n'
        "[plain]Sky is blue{TRUE}\n"
        "\n"
        '// livequiz: {"time_limit": 20}\n'
        "[plain]Even numbers{\n"
        "\t~%-50%1\n"
        "\t~%50%2\n"
        "\t~%50%4\n"
        "}\n"
        "\n"
        '// livequiz: {"time_limit": 20, "category": null, "min": -4.0, "max": 16.0, "step": 1}\n'
        "[plain]2+2{#4:0}\n"
    )


# Errors


BROKEN = [
    ("Q?{=a ~b", "line 1: the answer block is not closed: end it with }"),
    ("\n\n// c\nQ?\n{=a ~b", "line 4: the answer block is not closed: end it with }"),
    ("Q} ?{=a ~b}", "line 1: a } comes before any {: write a literal brace as \\}"),
    ("Q?{=a {~b}", "line 1: a { inside the answer block: write a literal brace as \\{"),
    (
        "Q?{=a ~b} and {=c}",
        "line 1: the question has a second answer block: a question has one, and literal "
        "braces are written \\{ and \\}",
    ),
    ("::Title Q?{T}", "line 1: the title after :: is not closed: end it with ::"),
    (
        "Q?{T}\n\nWhich?{~a ~b ~c}",
        "line 3: no answer is right: mark the right answer with = or give the right answers "
        "positive weights such as ~%50%",
    ),
    (
        "Which?{~%50%a ~b}",
        "line 1: the only right answer, 'a', has the weight 50%: mark it with = or give it %100%",
    ),
    (
        "Which?{~%abc%a ~%50%b}",
        "line 1: the weight %abc% is not a number: write a percentage such as %50% or %-25%",
    ),
    ("Which?{~%120%a =b}", "line 1: the weight %120% is outside -100 to 100"),
    ("Which?{~%50 a =b}", "line 1: the weight '%50' is not closed: write it as %50%"),
    (
        "Which?{junk =a ~b}",
        "line 1: the text 'junk' comes before the first answer: start each answer with = "
        "(right) or ~ (wrong)",
    ),
    (
        "Year?{#nineteen}",
        "line 1: 'nineteen' is not a number: write a value, value:tolerance or min..max",
    ),
    ("Year?{#5..1}", "line 1: the range 5..1 has its minimum above its maximum"),
    ("Year?{#5:-1}", "line 1: the tolerance in 5:-1 is negative"),
    (
        "Year?{#=%50%1822:2}",
        "line 1: no numerical answer has full credit: write one with = or %100%",
    ),
    ("Year?{#}", "line 1: a numerical answer is empty: write a value such as {#42}"),
    (
        "Guess {#1..1e999999}",
        "line 1: '1e999999' is beyond ±1e+12, the largest slider value",
    ),
    ("Guess {#1e400}", "line 1: '1e400' is beyond ±1e+12, the largest slider value"),
    (
        "Guess {#1e-999999}",
        "line 1: '1e-999999' has more than 15 decimal places, more than a slider keeps",
    ),
    ("Pick?{=a ~a}", "line 1: choices: choices 0 and 1 are both 'a'"),
    (
        "Q?{T}\n\nPick?{=only}\n\nR?{=a ~}",
        "line 5: choices[1]: String should have at least 1 character",
    ),
    (
        '// livequiz: {"time_limit": 2}\nQ?{T}',
        "line 2: time_limit: Input should be greater than or equal to 5",
    ),
    (
        '// livequiz: {"colour": "red"}\nQ?{T}',
        "line 2: colour: Extra inputs are not permitted",
    ),
    (
        '// livequiz: {"type": "quiz"}\nQ?{T}',
        "line 2: type: the livequiz comment names the unknown type 'quiz': use one of single, "
        "true_false, multiple, type_answer, slider, ordering, poll",
    ),
    (
        '// livequiz: {"type": "single"}\nQ?{#4}',
        "line 2: the livequiz comment sets the type single, but the answers are numbers",
    ),
    (
        '// livequiz: {"type": "ordering"}\nQ?{=a =b -> 1}',
        "line 2: the ordering item 'a' needs its position from 1 to 2 after ->, such as =item -> 1",
    ),
    (
        "// livequiz: [1]\nQ?{T}",
        'line 1: the livequiz comment must be a JSON object such as {"time_limit": 30}',
    ),
    (
        "// livequiz: {time_limit: 30}\nQ?{T}",
        "line 1: the livequiz comment is not valid JSON: Expecting property name enclosed in "
        "double quotes: line 1 column 3 (char 2)",
    ),
    (
        'Q?{T}\n\n// livequiz: {"points": 2}\n\nR?{F}',
        "line 3: the livequiz comment is not followed by a question: put it directly above "
        "the question it sets",
    ),
    (
        '// livequiz: {"points": 2}\n// livequiz: {"points": 0}\nQ?{T}',
        "line 2: the question has a second livequiz comment, after the one on line 1: merge "
        "them into one",
    ),
    (
        "Q?{T}\n\nEssay?{}",
        "line 3: essay question not supported: the empty answer block {} makes an essay, "
        "which the game cannot grade. Remove it, or import with skip_unsupported to import "
        "the other questions",
    ),
    (
        "Q?{#=1:0 =-1:0}",
        "line 1: numerical question not supported: the values -1, 1 are all right, but a "
        "slider has one right value. Remove it, or import with skip_unsupported to import "
        "the other questions",
    ),
    ("", "the GIFT text contains no questions"),
    ("// only a comment\n\n$CATEGORY: x", "the GIFT text contains no questions"),
]


@pytest.mark.parametrize(("gift", "message"), BROKEN, ids=[message for _, message in BROKEN])
def test_broken_input(gift: str, message: str) -> None:
    with pytest.raises(InvalidInputError) as raised:
        parse_gift(gift)
    assert raised.value.code == "invalid_gift"
    assert raised.value.message == message
    if "not supported" in message:
        skipped = parse_gift(gift, skip_unsupported=True).skipped
        assert [f"line {question.line}" for question in skipped] == [message.split(":")[0]]
    else:
        with pytest.raises(InvalidInputError) as raised:
            parse_gift(gift, skip_unsupported=True)
        assert raised.value.message == message


def test_nothing_half_imported() -> None:
    with pytest.raises(InvalidInputError) as raised:
        parse_gift("A?{T}\n\nB?{F}\n\nC?{~x ~y}", skip_unsupported=True)
    assert raised.value.message.startswith("line 5: no answer is right")
