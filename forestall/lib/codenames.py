"""Codenames: the only key to an anonymous mailbox.

Threat model: a stolen database (or backup) must not let anyone sign in to a
mailbox, and a seized server's logs must not contain a codename. A codename is
therefore seven words drawn with ``secrets`` from a curated diceware list in
the person's language (at least 87 bits), shown once and never stored: the
database keeps only ``codename_hash``, an HMAC-SHA256 of the normalised
codename under ``FORESTALL_PEPPER`` (a secret outside the database). Without
the pepper the hashes cannot be brute-forced; with it, 90 bits still can't be.

Normalisation makes sign-in forgiving of how people copy words down: Unicode
NFKC, case folded, and any run of whitespace or punctuation between words
treated as a single space.

A codename is written on paper that a partner, parent or employer may find,
so the lists are curated: words that are sexual, about children, bodies,
crime, violence, death, disease, drugs, shame or otherwise alarming are left
out. The removed words live beside this module in
``codename_words/removed-<language>.tsv`` with the reason for each, and the
strength is checked: if a curated list ever gets so short that seven words
fall below ``MINIMUM_BITS``, ``WORD_COUNT`` must grow (a test guards it).
Codenames made before the curation still sign in: only generation changed,
never normalisation or hashing.

Nothing in this module logs; callers must not log codenames either.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import math
import re
import secrets
import unicodedata
from importlib import resources
from pathlib import Path

from django.conf import settings

WORD_COUNT = 7
MINIMUM_BITS = 87

# xkcdpass ships the EFF long list (English) and a German diceware list of the
# same size; both have 7,776 words.
_WORDLIST_FILES = {"en": "eff-long", "de": "ger-long"}
DEFAULT_LANGUAGE = "en"
LANGUAGES = tuple(_WORDLIST_FILES)

# Anything that is not a letter separates words when normalising.
_SEPARATORS = re.compile(r"[\W\d_]+", re.UNICODE)


_REMOVED_WORDS_DIR = Path(__file__).resolve().parent / "codename_words"


@functools.cache
def removed_words(language: str) -> dict[str, str]:
    """The words left out of ``language``'s list, each with the reason (word → reason)."""
    language = language if language in _WORDLIST_FILES else DEFAULT_LANGUAGE
    path = _REMOVED_WORDS_DIR / f"removed-{language}.tsv"
    removed = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        word, _tab, reason = line.partition("\t")
        removed[unicodedata.normalize("NFKC", word.strip()).casefold()] = reason.strip()
    return removed


@functools.cache
def wordlist(language: str) -> tuple[str, ...]:
    """The curated diceware words for ``language`` (English when there is no list for it).

    Words with hyphens or other non-letters are left out so that every word
    survives normalisation unchanged, and so is every word on the removed
    list (see the module docstring).
    """
    name = _WORDLIST_FILES.get(language, _WORDLIST_FILES[DEFAULT_LANGUAGE])
    text = resources.files("xkcdpass").joinpath("static", name).read_text(encoding="utf-8")
    removed = removed_words(language)
    words = []
    for line in text.splitlines():
        word = unicodedata.normalize("NFKC", line.strip()).casefold()
        if word and word.isalpha() and word not in removed:
            words.append(word)
    return tuple(sorted(set(words)))


def codename_bits(language: str) -> float:
    """The strength of a generated codename in bits: ``WORD_COUNT * log2(list size)``."""
    return WORD_COUNT * math.log2(len(wordlist(language)))


def generate_codename(language: str = DEFAULT_LANGUAGE) -> str:
    """A fresh codename: seven words from the person's language, space-separated."""
    words = wordlist(language)
    return " ".join(secrets.choice(words) for _ in range(WORD_COUNT))


def codename_words(text: str) -> list[str]:
    """The words of ``text`` after NFKC, case folding and splitting on non-letters."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return [word for word in _SEPARATORS.split(folded) if word]


def normalise_codename(text: str) -> str:
    """The canonical form used for hashing: folded words joined by single spaces."""
    return " ".join(codename_words(text))


def codename_hash(codename: str) -> str:
    """HMAC-SHA256 (hex) of the normalised codename under the pepper.

    This is the only trace of a codename that is ever stored.
    """
    return hmac.new(
        settings.FORESTALL_PEPPER.encode(),
        b"codename:" + normalise_codename(codename).encode(),
        hashlib.sha256,
    ).hexdigest()


def looks_like_codename(text: str) -> bool:
    """True if ``text`` has the shape of a codename (seven words); cheap pre-check."""
    return len(codename_words(text)) == WORD_COUNT


def contains_codename(text: str, stored_hash: str) -> bool:
    """True if ``text`` contains the codename whose hash is ``stored_hash``.

    The server never knows a signed-in person's codename, only its hash, so
    every run of seven consecutive words in ``text`` is hashed and compared.
    Words may be separated by any whitespace or punctuation and written in
    any case ("Apple-TREE\nhat, ..." matches "apple tree hat ...").
    """
    words = codename_words(text)
    for start in range(len(words) - WORD_COUNT + 1):
        window = " ".join(words[start : start + WORD_COUNT])
        if hmac.compare_digest(codename_hash(window), stored_hash):
            return True
    return False
