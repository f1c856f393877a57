"""The trigger-term matcher partners run on their own servers.

Threat model: the searches a partner sees are among the most sensitive data
there is, and many partners' term lists (the IWF keyword list, for one) may
not be passed on. So matching happens where the search happens: this module
is importable without Django or forestall's settings, keeps nothing, logs
nothing and sends nothing; forestall never receives a query or a term.

A term matches whole words and phrases after the same normalisation of term
and query: Unicode NFKC, case folding, diacritics removed, the common
look-alike substitutions (0→o 1→i 3→e 4→a 5→s @→a $→s), and punctuation or
spacing inside and between words ignored ("c.h-i l d", "Chïld", "ch1ld" all
read "child"), while a term inside a longer word does not match ("child"
does not match "children" or "schild"; add "children" as its own term).

How: every term is reduced to its letters and digits ("child porn" →
"childporn"), the query likewise, and one Aho-Corasick automaton
(pyahocorasick) finds every term in one pass. A hit counts only if it starts
and ends where a word of the query starts and ends. ASCII queries, nearly all
of them, take a fast path of two byte-table operations in C; the word
boundaries are worked out only for the rare query with a hit.
"""

from __future__ import annotations

import re
import string
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import accumulate

import ahocorasick

__all__ = ["Match", "Matcher", "normalise_words"]

# The look-alike substitutions, after case folding.
SUBSTITUTIONS = {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "@": "a", "$": "s"}

_KEEP = set(string.ascii_lowercase + string.digits) | set(SUBSTITUTIONS)
# ASCII fast path: A-Z → a-z, the substitutions; ``_ASCII_SEPARATORS`` is every other byte.
_ASCII_TABLE = bytes.maketrans(
    (string.ascii_uppercase + "".join(SUBSTITUTIONS)).encode(),
    (string.ascii_lowercase + "".join(SUBSTITUTIONS.values())).encode(),
)
_ASCII_SEPARATORS = bytes(
    byte for byte in range(128) if chr(byte).lower() not in _KEEP and chr(byte) not in _KEEP
)
# The same in one table, with every separator turned into a space (the words of a query).
_ASCII_SPACED = bytes(
    32 if byte in _ASCII_SEPARATORS else _ASCII_TABLE[byte] for byte in range(256)
)
_UNICODE_SUBSTITUTIONS = str.maketrans(SUBSTITUTIONS)
# Anything that is not a letter or a digit separates words ("_" included).
_SEPARATOR = re.compile(r"[\W_]+")


def _fold(text: str) -> str:
    """NFKC, case folding, diacritics removed, substitutions applied (any script)."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    decomposed = unicodedata.normalize("NFD", folded)
    stripped = "".join(char for char in decomposed if not unicodedata.combining(char))
    return unicodedata.normalize("NFC", stripped).translate(_UNICODE_SUBSTITUTIONS)


def normalise_words(text: str) -> list[str]:
    """The words of ``text`` after normalisation: ``"Ch1ld-P0rn!"`` → ``["child", "porn"]``."""
    if text.isascii():
        return text.encode().translate(_ASCII_SPACED).decode().split()
    return [word for word in _SEPARATOR.split(_fold(text)) if word]


def _boundaries(words: list[str]) -> set[int]:
    """Where words start and end in the words run together."""
    return set(accumulate(map(len, words), initial=0))


@dataclass(frozen=True)
class Match:
    """The result for one query: whether any term matched, and which (as given)."""

    match: bool
    terms: tuple[str, ...]

    def as_json(self) -> dict[str, object]:
        return {"match": self.match, "terms": list(self.terms)}


# The answer for nearly every query, made once.
NO_MATCH = Match(False, ())


class Matcher:
    """Whole-word, whole-phrase matching of many terms after normalisation.

    >>> matcher = Matcher(["child porn", "preteen"])
    >>> matcher.match("Ch1ld p.o.r.n videos").terms
    ('child porn',)
    >>> matcher.match("children's books").match
    False
    """

    def __init__(self, terms: Iterable[str]) -> None:
        by_compact: dict[str, list[str]] = {}
        for term in terms:
            term = term.strip()
            if not term or term.startswith("#"):
                continue
            compact = "".join(normalise_words(term))
            if compact:
                by_compact.setdefault(compact, []).append(term)
        self.size = len(by_compact)
        self._automaton = ahocorasick.Automaton()
        for compact, originals in by_compact.items():
            self._automaton.add_word(compact, (len(compact), tuple(originals)))
        if self.size:
            self._automaton.make_automaton()

    @classmethod
    def from_file(cls, path: str) -> Matcher:
        """Terms from a UTF-8 file, one a line; empty lines and lines starting with # skipped."""
        with open(path, encoding="utf-8") as handle:
            return cls(handle.read().splitlines())

    def match(self, query: str) -> Match:
        if not self.size:
            return NO_MATCH
        if query.isascii():
            compact = query.encode().translate(_ASCII_TABLE, _ASCII_SEPARATORS).decode()
            hits = list(self._automaton.iter(compact))
            if not hits:
                return NO_MATCH
            words = normalise_words(query)
        else:
            words = normalise_words(query)
            hits = list(self._automaton.iter("".join(words)))
            if not hits:
                return NO_MATCH
        edges = _boundaries(words)
        found: list[str] = []
        for end, (length, originals) in hits:
            if end + 1 in edges and end + 1 - length in edges:
                found.extend(term for term in originals if term not in found)
        return Match(True, tuple(found)) if found else NO_MATCH

    def matches(self, query: str) -> bool:
        return self.match(query).match
