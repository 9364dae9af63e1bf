"""The nickname rule, applied on join.

1. Normalise to NFC, remove invisible characters (zero-width space U+200B, word joiner U+2060,
   byte order mark U+FEFF, soft hyphen U+00AD), turn every run of whitespace into one space,
   and trim both ends. Zero-width joiners stay: emoji sequences and some scripts need them.
2. The result must be 1 to 32 user-perceived characters (extended grapheme clusters, so an
   emoji with modifiers counts as one and is never cut) and at most 64 code points. Control
   characters are rejected.
3. Nicknames are unique per game without regard to case (Unicode case folding). A taken
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
INVISIBLE = dict.fromkeys(map(ord, "\u200b\u2060\ufeff\u00ad"))
WHITESPACE = regex.compile(r"\s+")
GRAPHEME = regex.compile(r"\X")


def normalise(raw: str) -> str:
    """Apply step 1 of the rule, check step 2, and return the nickname to store."""
    text = unicodedata.normalize("NFC", raw).translate(INVISIBLE)
    text = str(WHITESPACE.sub(" ", text)).strip()
    graphemes = len(GRAPHEME.findall(text))
    if graphemes == 0:
        raise InvalidInputError(
            "invalid_nickname", f"the nickname is empty: enter 1 to {MAX_GRAPHEMES} characters"
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
    return unicodedata.normalize("NFC", nickname.casefold())
