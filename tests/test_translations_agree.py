"""One English text, one German text, whichever app's catalogue it is in.

Every app keeps its own German catalogue, and Django merges them: a message
has one German translation at run time, the one in the catalogue that wins.
The others are dead, and the German pages showed an accidental mix (the case
page said "Beratungsstelle" for "Centre" where other pages said "Zentrum"). A
message that means something else in one place gets a context (``pgettext``,
``{% translate "…" context "…" %}``), which makes it a message of its own.
"""

from __future__ import annotations

import collections
import gettext
import re
from pathlib import Path

import pytest

from tests.factories_cases import make_case

ROOT = Path(__file__).resolve().parent.parent
CATALOGUES = sorted(ROOT.glob("forestall/**/locale/de/LC_MESSAGES/django.po"))
SHY = "\u00ad"
KEYWORD = r"^(msgctxt|msgid|msgid_plural|msgstr(?:\[\d+\])?)\s+(\".*\")$"

# (context or None, msgid) → German text(s); plural forms are a tuple.
Key = tuple[str | None, str]


def _app(path: Path) -> str:
    return str(path.relative_to(ROOT)).split("/locale/")[0]


def _unquote(line: str) -> str:
    text = line.strip()
    assert text.startswith('"') and text.endswith('"'), line
    escapes = {"n": "\n", "t": "\t", '"': '"', "\\": "\\"}
    return re.sub(r"\\(.)", lambda match: escapes[match.group(1)], text[1:-1])


def read_po(path: Path) -> dict[Key, object]:
    """The translated entries of a .po file (not the header, not obsolete or fuzzy ones)."""
    found: dict[Key, object] = {}
    for entry in re.split(r"\n\s*\n", path.read_text()):
        fields: dict[str, str] = {}
        current = None
        fuzzy = False
        for line in entry.splitlines():
            if line.startswith("#"):
                fuzzy = fuzzy or (line.startswith("#,") and "fuzzy" in line)
                continue
            keyword = re.match(KEYWORD, line)
            if keyword:
                current = keyword.group(1)
                fields[current] = _unquote(keyword.group(2))
            elif line.startswith('"') and current:
                fields[current] += _unquote(line)
        if not fields.get("msgid") or fuzzy:
            continue
        key = (fields.get("msgctxt"), fields["msgid"])
        if "msgid_plural" in fields:
            forms = sorted(name for name in fields if name.startswith("msgstr["))
            found[key] = tuple(fields[name] for name in forms)
        elif fields.get("msgstr"):
            found[key] = fields["msgstr"]
    return found


def read_mo(path: Path) -> dict[Key, object]:
    """The entries of the compiled catalogue beside a .po file."""
    with path.with_suffix(".mo").open("rb") as handle:
        catalog = gettext.GNUTranslations(handle)._catalog  # type: ignore[attr-defined]
    singular: dict[Key, object] = {}
    plural: dict[Key, dict[int, str]] = collections.defaultdict(dict)
    for raw, text in catalog.items():
        msgid, form = raw if isinstance(raw, tuple) else (raw, None)
        if not msgid:
            continue
        context, _sep, msgid = msgid.rpartition("\x04")
        key = (context or None, msgid)
        if form is None:
            singular[key] = text
        else:
            plural[key][form] = text
    for key, forms in plural.items():
        singular[key] = tuple(forms[n] for n in sorted(forms))
    return singular


def disagreements(read) -> list[str]:
    by_message: dict[Key, dict[str, object]] = collections.defaultdict(dict)
    for path in CATALOGUES:
        for key, german in read(path).items():
            by_message[key][_app(path)] = german
    found = []
    for (context, msgid), apps in sorted(by_message.items(), key=lambda item: repr(item[0])):
        if len(set(apps.values())) > 1:
            where = "; ".join(f"{app}: {german!r}" for app, german in sorted(apps.items()))
            label = f"{msgid!r}" + (f" (context {context!r})" if context else "")
            found.append(f"{label} → {where}")
    return found


def test_there_are_catalogues_to_compare():
    assert len(CATALOGUES) > 5
    assert all(path.with_suffix(".mo").exists() for path in CATALOGUES)


@pytest.mark.parametrize("read", [read_po, read_mo], ids=["po", "mo"])
def test_a_message_has_one_german_text_in_every_catalogue(read):
    found = disagreements(read)
    assert not found, (
        "a message has different German texts in different apps' catalogues (Django uses "
        "only one); use one text, or give the use that means something else a context:\n"
        + "\n".join(found)
    )


def test_a_german_page_gets_forestall_s_text_not_django_s_own():
    """What German pages really get, for every message in forestall's catalogues.

    Django's own catalogues (the admin's before all: it is the first app) and
    third-party apps' translate some of the same words and win over an app's
    catalogue: the staff forms' "Save" said "Sichern" (the admin's word) where
    forestall says "Speichern". ``forestall/locale`` (LOCALE_PATHS) comes first
    of all and carries forestall's word for such collisions.
    """
    from django.utils import translation

    expected = {}
    for path in CATALOGUES:
        for key, german in read_mo(path.with_suffix(".mo")).items():
            if not isinstance(german, tuple) and key[1]:
                expected[key] = german
    wrong = []
    with translation.override("de"):
        for (context, msgid), german in sorted(expected.items(), key=repr):
            got = translation.pgettext(context, msgid) if context else translation.gettext(msgid)
            if got != german:
                wrong.append(f"{msgid!r} (context {context!r}): page gets {got!r}, ours {german!r}")
    assert not wrong, (
        "another catalogue wins for these; put forestall's text in forestall/locale:\n"
        + "\n".join(wrong)
    )


def test_the_reader_sees_contexts_plurals_and_continuation_lines(tmp_path):
    po = tmp_path / "django.po"
    po.write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
        '#: a.py:1\nmsgctxt "protective action"\nmsgid "Action"\nmsgstr "Maßnahme"\n\n'
        'msgid ""\n"Long "\n"text"\nmsgstr ""\n"Langer "\n"Text"\n\n'
        'msgid "one"\nmsgid_plural "many"\nmsgstr[0] "eins"\nmsgstr[1] "viele"\n\n'
        '#, fuzzy\nmsgid "Guess"\nmsgstr "Geraten"\n\n'
        'msgid "Untranslated"\nmsgstr ""\n'
    )
    assert read_po(po) == {
        ("protective action", "Action"): "Maßnahme",
        (None, "Long text"): "Langer Text",
        (None, "one"): ("eins", "viele"),
    }


def _german(client, url: str) -> str:
    response = client.get(url, HTTP_ACCEPT_LANGUAGE="de")
    assert response.status_code == 200, url
    return response.content.decode()


def test_the_german_case_page_says_zentrum(sign_in, clinician_a, centre_a):
    case = make_case(centre_a)
    page = _german(sign_in(clinician_a), f"/staff/cases/{case.pk}/")
    assert "<dt>Zentrum</dt>" in page
    assert "Beratungsstelle" not in page
    assert f"Kinderschutz{SHY}anliegen melden" in page


def test_german_staff_pages_name_the_centre_in_german(sign_in, clinician_a, manager_a, centre_a):
    """The directory has each centre's German name; staff pages showed the English one."""
    type(centre_a).objects.filter(pk=centre_a.pk).update(
        name="Prevention Centre A", name_de="Präventionszentrum A"
    )
    case = make_case(centre_a)
    browser = sign_in(clinician_a)
    for url in (f"/staff/cases/{case.pk}/", "/staff/cases/", "/staff/"):
        page = _german(browser, url)
        assert "Präventionszentrum A" in page and "Prevention Centre A" not in page, url
    audit = _german(sign_in(manager_a), "/staff/audit/")  # the case reads above, at centre A
    assert "Präventionszentrum A" in audit and "Prevention Centre A" not in audit
    # The inbox queue's "addressed to" column (its own compiled query).
    from forestall.accounts.models import Role
    from tests import factories
    from tests.factories_cases import make_conversation

    make_conversation(centre_a)
    counsellor = factories.make_user(Role.COUNSELLOR, centre_a, username="counsellor.de")
    queue = _german(sign_in(counsellor), "/staff/inbox/")
    assert "<td>Präventionszentrum A</td>" in queue and "Prevention Centre A" not in queue


def test_the_german_audit_log_says_zentrum_and_protokoll(sign_in, network_admin, centre_a):
    page = _german(sign_in(network_admin), "/staff/audit/")
    assert '<th scope="col">Zentrum</th>' in page
    assert '<th scope="col">Aktion</th>' in page
    assert "<h1>Protokoll</h1>" in page
    assert "Beratungsstelle" not in page and "Zugriffsprotokoll" not in page


def test_make_messages_extracts_every_app_into_its_own_catalogue():
    """``make messages`` once listed ten apps by hand: reach, research and self-help were
    missing, so their words would have been extracted into the project's catalogue too."""
    import subprocess

    dry_run = subprocess.run(
        ["make", "-n", "-o", "setup", "messages"],  # noqa: S607 - make from PATH, as CI runs it
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    lines = dry_run.splitlines()
    per_app = next(line for line in lines if line.startswith("for app in "))
    project_step = next(
        line for line in lines if "makemessages" in line and "cd forestall &&" in line
    )
    for catalogue in sorted(ROOT.glob("forestall/*/locale")):
        app = catalogue.parent.name
        assert f" {app} " in per_app.replace(";", " "), app
        assert f"--ignore '{app}/*'" in project_step, app
