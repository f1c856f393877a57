"""Codenames: the only key to an anonymous mailbox.

Threat model: a stolen database (or backup) must not let anyone sign in to a
mailbox, and a seized server's logs must not contain a codename. A codename is
therefore seven words drawn with ``secrets`` from a 7,776-word diceware list in
the person's language (about 90 bits), shown once and never stored: the
database keeps only ``codename_hash``, an HMAC-SHA256 of the normalised
codename under ``FORESTALL_PEPPER`` (a secret outside the database). Without
the pepper the hashes cannot be brute-forced; with it, 90 bits still can't be.

Normalisation makes sign-in forgiving of how people copy words down: Unicode
NFKC, case folded, and any run of whitespace or punctuation between words
treated as a single space.

Nothing in this module logs; callers must not log codenames either.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import re
import secrets
import unicodedata
from importlib import resources

from django.conf import settings

WORD_COUNT = 7

# xkcdpass ships the EFF long list (English) and a German diceware list of the
# same size; both have 7,776 words.
_WORDLIST_FILES = {"en": "eff-long", "de": "ger-long"}
DEFAULT_LANGUAGE = "en"

# Anything that is not a letter separates words when normalising.
_SEPARATORS = re.compile(r"[\W\d_]+", re.UNICODE)


@functools.cache
def wordlist(language: str) -> tuple[str, ...]:
    """The diceware words for ``language`` (English when there is no list for it).

    Words with hyphens or other non-letters are left out so that every word
    survives normalisation unchanged (7,772 English words remain, still about
    12.9 bits each).
    """
    name = _WORDLIST_FILES.get(language, _WORDLIST_FILES[DEFAULT_LANGUAGE])
    text = resources.files("xkcdpass").joinpath("static", name).read_text(encoding="utf-8")
    words = []
    for line in text.splitlines():
        word = unicodedata.normalize("NFKC", line.strip()).casefold()
        if word and word.isalpha():
            words.append(word)
    return tuple(sorted(set(words)))


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
