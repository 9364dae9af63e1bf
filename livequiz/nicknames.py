"""The nickname rule, applied on join.

1. Normalise to NFC and remove invisible characters: every format character (Unicode category
   Cf: zero-width space, word joiner, byte order mark, soft hyphen, bidirectional controls,
   invisible operators) except the zero-width joiner and non-joiner, which emoji sequences and
   some scripts need, and the blank look-alike letters (Hangul fillers, the blank braille
   pattern). Then turn every run of whitespace into one space and trim both ends.
2. The result must contain a visible character, and be 1 to 20 user-perceived characters
   (extended grapheme clusters, so an emoji with modifiers counts as one and is never cut)
   and at most 64 code points. Control characters are rejected.
3. Nicknames are unique per game without regard to case (Unicode case folding) or to joiners:
   "Sam", "sam" and "Sam" followed by a zero-width non-joiner are one nickname. A taken
   nickname is rejected with ``nickname_taken``. Nothing is renamed behind the player's back,
   and a retry with another nickname joins.
4. A nickname that contains a blocked word is rejected with ``nickname_blocked``. Both sides
   are compared in their folded form with accents removed (``"Fück"`` is ``"fuck"``, and
   full-width letters are plain letters), split into words: runs of letters, with every space,
   punctuation mark, digit, emoji or joiner between them. A blocked word matches a word of the
   nickname, or several adjacent words written without what separates them, so ``"f.u.c.k"``,
   ``"fu ck"`` and ``"f_u_c_k_"`` match ``"fuck"``. A blocked word inside a longer word never
   matches, so ``"Scunthorpe"`` is accepted although ``"cunt"`` is blocked.
   NOTE: digits and look-alike letters of other scripts are not mapped to letters, so
   ``"sh1t"``, or a word with the Cyrillic U+0430 in place of the Latin "a", passes.

A nickname is stored and sent as the plain text that results from step 1, never as markup.

``generated_name`` picks an adjective and an animal for a player who does not choose a name.
"""

import random
import unicodedata
from collections.abc import Collection
from functools import lru_cache

import regex

from livequiz.errors import InvalidInputError

MAX_GRAPHEMES = 20
# Bounds the bytes a nickname adds to a frame: combining marks can make one grapheme long.
MAX_CODE_POINTS = 64
JOINERS = "\u200c\u200d"
# Format characters other than the two joiners, and the blank look-alike letters.
INVISIBLE = regex.compile(r"(?![\u200c\u200d])\p{Cf}|[\u115f\u1160\u3164\uffa0\u2800]")
WITHOUT_JOINERS = dict.fromkeys(map(ord, JOINERS))
WHITESPACE = regex.compile(r"\s+")
GRAPHEME = regex.compile(r"\X")
# A word of the folded form: a run of letters and the marks that belong to them.
WORD = regex.compile(r"[\p{L}\p{M}]+")

# English profanity and slurs: a starting list to pass as ``normalise``'s ``blocked``.
DEFAULT_BLOCKED = (
    "arse",
    "arsehole",
    "ass",
    "asshole",
    "bastard",
    "bitch",
    "bollocks",
    "cunt",
    "dickhead",
    "fag",
    "faggot",
    "fuck",
    "fucker",
    "hitler",
    "motherfucker",
    "nazi",
    "nigga",
    "nigger",
    "piss",
    "porn",
    "pussy",
    "rape",
    "rapist",
    "retard",
    "shit",
    "slut",
    "twat",
    "wank",
    "wanker",
    "whore",
)

ADJECTIVES = (
    "Agile", "Amber", "Bold", "Brave", "Breezy", "Bright", "Calm", "Cheery", "Clever", "Cosmic",
    "Curious", "Daring", "Dapper", "Eager", "Electric", "Fancy", "Fearless", "Fluffy", "Gentle",
    "Giddy", "Golden", "Happy", "Humble", "Jolly", "Keen", "Kind", "Lively", "Lucky", "Mellow",
    "Merry", "Mighty", "Misty", "Nimble", "Noble", "Peppy", "Plucky", "Polite", "Quick", "Quiet",
    "Radiant", "Rapid", "Rusty", "Silver", "Snappy", "Speedy", "Spry", "Sunny", "Swift", "Tidy",
    "Valiant", "Witty", "Zesty",
)  # fmt: skip

ANIMALS = (
    "Alpaca", "Badger", "Beaver", "Bison", "Camel", "Cheetah", "Cobra", "Condor", "Coyote",
    "Crane", "Dingo", "Dolphin", "Eagle", "Falcon", "Ferret", "Finch", "Gazelle", "Gecko",
    "Gibbon", "Heron", "Hippo", "Ibis", "Iguana", "Jackal", "Jaguar", "Koala", "Lemur",
    "Leopard", "Llama", "Lynx", "Magpie", "Marmot", "Meerkat", "Moose", "Narwhal", "Ocelot",
    "Octopus", "Otter", "Panda", "Panther", "Parrot", "Pelican", "Penguin", "Puffin", "Quokka",
    "Rabbit", "Raven", "Salmon", "Seal", "Sparrow", "Tapir", "Tiger", "Toucan", "Turtle",
    "Walrus", "Wombat", "Yak", "Zebra",
)  # fmt: skip


def normalise(raw: str, blocked: Collection[str] = ()) -> str:
    """Apply step 1 of the rule, check steps 2 and 4, and return the nickname to store.

    ``blocked`` lists the blocked words, each one word or several, such as ``DEFAULT_BLOCKED``.
    """
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
    if blocked and contains_blocked(text, blocked):
        raise InvalidInputError(
            "nickname_blocked", "the nickname contains a blocked word: choose another nickname"
        )
    return text


def folded(nickname: str) -> str:
    """Return the key under which ``nickname`` must be unique in its game."""
    return unicodedata.normalize("NFC", nickname.translate(WITHOUT_JOINERS).casefold())


def _without_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def _words(text: str) -> list[str]:
    # Case folding can add a combining mark ("İ" folds to "i" and a dot above), so accents are
    # removed again after it.
    folded_text = _without_accents(_without_accents(text).casefold())
    words: list[str] = WORD.findall(folded_text)
    return words


@lru_cache(maxsize=8)
def _blocked_keys(blocked: tuple[str, ...]) -> frozenset[str]:
    return frozenset(key for key in ("".join(_words(word)) for word in blocked) if key)


def contains_blocked(nickname: str, blocked: Collection[str]) -> bool:
    """Return whether ``nickname`` contains a word of ``blocked``, compared as in step 4."""
    keys = _blocked_keys(tuple(blocked))
    if not keys:
        return False
    longest = max(map(len, keys))
    words = _words(nickname)
    for start in range(len(words)):
        joined = ""
        for word in words[start:]:
            joined += word
            if len(joined) > longest:
                break
            if joined in keys:
                return True
    return False


def generated_name(rng: random.Random) -> str:
    """Pick a nickname such as "Brave Otter": an adjective and an animal, at most 20 characters.

    No pair contains a word of ``DEFAULT_BLOCKED``.
    """
    return f"{rng.choice(ADJECTIVES)} {rng.choice(ANIMALS)}"
