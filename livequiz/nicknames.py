"""The nickname rule, applied on join.

1. Normalise to NFC and remove invisible characters: every format character (Unicode category
   Cf: zero-width space, word joiner, byte order mark, soft hyphen, bidirectional controls,
   invisible operators) except the zero-width joiner and non-joiner, which emoji sequences and
   some scripts need, and the blank look-alike letters (Hangul fillers, the blank braille
   pattern). Then turn every run of whitespace into one space and trim both ends.
2. The result must contain a visible character, and be 1 to 32 user-perceived characters
   (extended grapheme clusters, so an emoji with modifiers counts as one and is never cut)
   and at most 64 code points. Control characters are rejected.
3. Nicknames are unique per game without regard to case (Unicode case folding) or to joiners:
   "Sam", "sam" and "Sam" followed by a zero-width non-joiner are one nickname. A taken
   nickname is rejected with ``nickname_taken``. Nothing is renamed behind the player's back,
   and a retry with another nickname joins.

A nickname is stored and sent as the plain text that results from step 1, never as markup.
"""

import unicodedata

import regex

from livequiz.errors import InvalidInputError

MAX_GRAPHEMES = 32
# Bounds the bytes a nickname adds to a frame: combining marks can make one grapheme long.
MAX_CODE_POINTS = 64
JOINERS = "\u200c\u200d"
# Format characters other than the two joiners, and the blank look-alike letters.
INVISIBLE = regex.compile(r"(?![\u200c\u200d])\p{Cf}|[\u115f\u1160\u3164\uffa0\u2800]")
WITHOUT_JOINERS = dict.fromkeys(map(ord, JOINERS))
WHITESPACE = regex.compile(r"\s+")
GRAPHEME = regex.compile(r"\X")


def normalise(raw: str) -> str:
    """Apply step 1 of the rule, check step 2, and return the nickname to store."""
    text = INVISIBLE.sub("", unicodedata.normalize("NFC", raw))
    text = str(WHITESPACE.sub(" ", text)).strip()
    graphemes = len(GRAPHEME.findall(text))
    if graphemes == 0 or not text.translate(WITHOUT_JOINERS).strip():
        raise InvalidInputError(
            "invalid_nickname",
            f"the nickname is empty or invisible: enter 1 to {MAX_GRAPHEMES} characters",
        )
    if graphemes > MAX_GRAPHEMES:
        raise InvalidInputError(
            "invalid_nickname",
            f"the nickname has {graphemes} characters: use at most {MAX_GRAPHEMES}",
        )
    if len(text) > MAX_CODE_POINTS:
        raise InvalidInputError(
            "invalid_nickname",
            f"the nickname has {len(text)} code points: use at most {MAX_CODE_POINTS}, "
            "for example fewer accents or emoji",
        )
    if any(unicodedata.category(char) == "Cc" for char in text):
        raise InvalidInputError("invalid_nickname", "the nickname contains control characters")
    return text


def folded(nickname: str) -> str:
    """Return the key under which ``nickname`` must be unique in its game."""
    return unicodedata.normalize("NFC", nickname.translate(WITHOUT_JOINERS).casefold())
