"""``make messages`` leaves every German text in place: no English on a German page.

Each app's catalogue holds the messages of its own sources, and Django merges
the catalogues at run time. A message written in one app but translated only
in another's catalogue reads German today and turns English the next time
anyone runs ``make messages`` (the other catalogue drops it as obsolete, this
one gets it untranslated); a message changed in the source is marked fuzzy
and drops out of the compiled catalogue; a new message nobody translated is
English on German pages from the start. This runs ``make messages`` on a copy
of the sources and fails on any message it would leave without German.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _untranslated(po: Path) -> list[str]:
    """The entries of a .po file that have no German text, or a fuzzy one (not obsolete ones)."""
    found = []
    for entry in re.split(r"\n\s*\n", po.read_text()):
        lines = [line for line in entry.splitlines() if not line.startswith("#~")]
        text = "\n".join(lines)
        msgid = re.search(r'^msgid "(.*)"', text, re.MULTILINE)
        if msgid is None or ('msgid ""\n' in text and 'msgid ""\n"' not in text):
            continue  # the header, or only obsolete lines
        fuzzy = any(line.startswith("#,") and "fuzzy" in line for line in lines)
        empty = re.search(r'^msgstr(\[\d+\])? ""$(?!\n")', text, re.MULTILINE)
        if fuzzy or empty:
            where = [line for line in lines if line.startswith("#:")][:1]
            found.append(f"{' '.join(where)} {text[msgid.start() : msgid.start() + 160]!r}")
    return found


def test_make_messages_leaves_every_message_translated(tmp_path):
    copy = tmp_path / "repo"
    shutil.copytree(
        ROOT / "forestall",
        copy / "forestall",
        ignore=shutil.ignore_patterns("__pycache__", "*.mo", "static", "var"),
    )
    shutil.copy(ROOT / "Makefile", copy / "Makefile")
    shutil.copy(ROOT / "pyproject.toml", copy / "pyproject.toml")
    (copy / ".venv").symlink_to(ROOT / ".venv")
    made = subprocess.run(
        ["make", "-o", "setup", "messages"],  # noqa: S607 - make from PATH, as CI runs it
        cwd=copy,
        capture_output=True,
        text=True,
        check=False,
    )
    assert made.returncode == 0, made.stderr[-3000:]
    catalogues = sorted(copy.glob("forestall/**/locale/de/LC_MESSAGES/django.po"))
    assert len(catalogues) == len(list(ROOT.glob("forestall/**/locale/de/LC_MESSAGES/django.po")))
    problems = {
        str(po.relative_to(copy)): found for po in catalogues if (found := _untranslated(po))
    }
    assert not problems, problems


def test_the_check_finds_an_untranslated_and_a_fuzzy_message(tmp_path):
    po = tmp_path / "django.po"
    po.write_text(
        'msgid ""\nmsgstr ""\n"Language: de\\n"\n\n'
        '#: a.py:1\nmsgid "Done"\nmsgstr "Erledigt"\n\n'
        '#: a.py:2\nmsgid "New"\nmsgstr ""\n\n'
        '#: a.py:3\n#, fuzzy\n#| msgid "Old"\nmsgid "Changed"\nmsgstr "Geändert"\n\n'
        '#: a.py:4\nmsgid "Long"\nmsgstr ""\n"Lang"\n\n'
        '#: a.py:5\nmsgid "One"\nmsgid_plural "Many"\nmsgstr[0] "Eins"\nmsgstr[1] ""\n\n'
        '#~ msgid "Gone"\n#~ msgstr ""\n'
    )
    found = _untranslated(po)
    assert [item.split()[0] for item in found] == ["#:", "#:", "#:"]
    assert "a.py:2" in found[0] and "a.py:3" in found[1] and "a.py:5" in found[2]
