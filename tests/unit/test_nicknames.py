"""The nickname rule: length limits, blocked words and generated names."""

import itertools
import random

import pytest

from livequiz.errors import InvalidInputError
from livequiz.nicknames import (
    ADJECTIVES,
    ANIMALS,
    DEFAULT_BLOCKED,
    GRAPHEME,
    MAX_CODE_POINTS,
    MAX_GRAPHEMES,
    contains_blocked,
    generated_name,
    normalise,
)


def rejection(raw: str, blocked: tuple[str, ...] = ()) -> InvalidInputError:
    with pytest.raises(InvalidInputError) as caught:
        normalise(raw, blocked)
    return caught.value


def test_limits_are_twenty_and_sixty_four() -> None:
    assert MAX_GRAPHEMES == 20
    assert MAX_CODE_POINTS == 64


@pytest.mark.parametrize("nickname", ["e" * 20, "🇫🇷" * 20, "👩‍👩‍👧‍👦" * 9, "<b>hi</b><i>x</i>"])
def test_twenty_graphemes_accepted(nickname: str) -> None:
    assert normalise(nickname) == nickname


@pytest.mark.parametrize(("nickname", "count"), [("e" * 21, 21), ("😀" * 21, 21)])
def test_twenty_one_graphemes_rejected(nickname: str, count: int) -> None:
    error = rejection(nickname)
    assert error.code == "invalid_nickname"
    assert error.message == f"the nickname has {count} characters: use at most 20"


def test_code_point_cap_kept() -> None:
    # NFC composes "a" and the first combining acute accent into "á", one code point.
    assert normalise("a" + "\u0301" * 63) == "á" + "\u0301" * 62
    error = rejection("a" + "\u0301" * 65)
    assert error.code == "invalid_nickname"
    assert error.message == (
        "the nickname has 65 code points: use at most 64, for example fewer accents or emoji"
    )


@pytest.mark.parametrize(
    "nickname",
    [
        "fuck",
        "FUCK you",
        "Fück",
        "\uff46\uff55\uff43\uff4b",  # full-width letters
        "f.u.c.k",
        "fu ck",
        "F_U_C_K_",
        "f\u200bu\u200bck",
        "f\u200du\u200dck",
        "fuck123",
        "1fuck",
        "Bad Ass",
        "a ss",
        "Heil Hitler",
        "ÀSS-hole",
    ],
)
def test_blocked_words_rejected(nickname: str) -> None:
    error = rejection(nickname, DEFAULT_BLOCKED)
    assert error.code == "nickname_blocked"
    assert error.message == "the nickname contains a blocked word: choose another nickname"


@pytest.mark.parametrize(
    "nickname",
    [
        "Scunthorpe",
        "Classic",
        "Bass Player",
        "Pass it",
        "Shitake",
        "Grape Ape",
        "Arsenal",
        "xXfuckXx",
    ],
)
def test_words_inside_words_accepted(nickname: str) -> None:
    assert normalise(nickname, DEFAULT_BLOCKED) == nickname


def test_no_list_blocks_nothing() -> None:
    assert normalise("fuck") == "fuck"


def test_list_folded_like_nicknames() -> None:
    blocked = ("Crème Brûlée", "TROLL")
    assert contains_blocked("creme brulee", blocked)
    assert contains_blocked("CremeBrulee", blocked)
    assert contains_blocked("troll 99", blocked)
    assert not contains_blocked("Trolley", blocked)
    assert not contains_blocked("Crème", blocked)


def test_empty_list_entries_ignored() -> None:
    assert normalise("Room 101", ("101", "", "  ")) == "Room 101"


def test_generated_name_from_seed() -> None:
    rng = random.Random(2026)
    assert [generated_name(rng) for _ in range(3)] == [
        "Cheery Hippo",
        "Nimble Meerkat",
        "Rusty Wombat",
    ]


def test_word_lists_long_and_distinct() -> None:
    assert len(ADJECTIVES) >= 50
    assert len(ANIMALS) >= 50
    assert len(set(ADJECTIVES)) == len(ADJECTIVES)
    assert len(set(ANIMALS)) == len(ANIMALS)


def test_every_generated_name_valid() -> None:
    for adjective, animal in itertools.product(ADJECTIVES, ANIMALS):
        name = f"{adjective} {animal}"
        assert len(GRAPHEME.findall(name)) <= MAX_GRAPHEMES, name
        assert normalise(name, DEFAULT_BLOCKED) == name
