"""Network admins edit, preview and publish the self-help modules through the staff side.

Like the public pages' texts: only network admins (everyone else gets the
404 of a missing page), every publish a new version that never changes and
is audited, the preview rendered by the public page's own partials and
sanitiser, bad input refused with a translated 4xx that keeps every word,
and a help-seeker's saved answers still shown with the questions of the
version they were given under.
"""

from __future__ import annotations

import html
import re

import pytest
from django.test import Client

from forestall.audit.models import AuditEntry
from forestall.inbox.models import Message
from forestall.selfhelp.content import catalogue, shipped_catalogue, shipped_sources
from forestall.selfhelp.models import ModuleVersion
from tests.test_mailbox import open_new_mailbox

pytestmark = pytest.mark.django_db

EDIT = "/staff/self-help/self/motivation/"
PUBLIC = "/self-help/self/motivation/"


def sources() -> dict[str, str]:
    return shipped_sources("self", "motivation")


def form_data(en: str | None = None, de: str | None = None, **extra: str) -> dict[str, str]:
    shipped = sources()
    return {
        "minutes": "15",
        "text_en": shipped["en"] if en is None else en,
        "text_de": shipped["de"] if de is None else de,
        # As the page sends it: the version it was opened from (lib.stale_edits).
        "based_on": str(_newest_version()),
        **extra,
    }


def _newest_version() -> int:
    published = ModuleVersion.objects.filter(programme="self", module="motivation")
    newest = published.order_by("-version").values_list("version", flat=True).first()
    shipped = shipped_catalogue().find("self", "motivation")
    return max(newest or 0, shipped[1].version if shipped else 0)


def changed_sources() -> tuple[str, str]:
    """Version 2: a new first heading, and the 'stage' question asks something else."""
    en = sources()["en"].replace("Change happens in stages", "Change comes step by step")
    en = en.replace("label: I am thinking about whether to change", "label: Still unsure")
    de = sources()["de"].replace(
        "Veränderung geschieht in Phasen", "Veränderung kommt Schritt für Schritt"
    )
    return en, de


# --- Who may edit -----------------------------------------------------------------


def test_a_network_admin_sees_every_module_and_edits_from_the_shipped_text(sign_in, network_admin):
    client = sign_in(network_admin)
    page = client.get("/staff/self-help/").content.decode()
    for programme in catalogue().programmes:
        for module in programme.modules:
            assert f"/staff/self-help/{programme.slug}/{module.slug}/" in page
    assert "/staff/self-help/" in client.get("/staff/").content.decode()
    edit = client.get(EDIT)
    assert edit.status_code == 200
    assert "Weighing it up" in edit.content.decode()
    assert "Veränderung geschieht in Phasen" in edit.content.decode()


@pytest.mark.parametrize(
    "persona", ["counsellor_a", "clinician_a", "analyst", "manager_a", "outsider"]
)
def test_everyone_else_gets_not_found_and_stores_nothing(sign_in, persona, request, network_admin):
    version = ModuleVersion.objects.create(
        programme="self", module="motivation", version=9, minutes=15, texts=sources()
    )
    client = sign_in(request.getfixturevalue(persona))
    assert client.get("/staff/self-help/").status_code == 404
    assert client.get(EDIT).status_code == 404
    assert client.post(EDIT, form_data(publish="1")).status_code == 404
    assert client.get(f"/staff/self-help/versions/{version.pk}/").status_code == 404
    assert ModuleVersion.objects.count() == 1
    assert "/staff/self-help/" not in client.get("/staff/").content.decode()


def test_editing_needs_a_staff_sign_in(client):
    response = client.get("/staff/self-help/")
    assert response.status_code == 302 and "/staff/login/" in response["Location"]
    assert client.post(EDIT, form_data(publish="1")).status_code == 302
    assert not ModuleVersion.objects.exists()


def test_an_unknown_module_is_not_found_for_admins_too(sign_in, network_admin):
    client = sign_in(network_admin)
    assert client.get("/staff/self-help/self/nope/").status_code == 404
    assert client.get("/staff/self-help/nope/motivation/").status_code == 404
    missing = "/staff/self-help/versions/00000000-0000-4000-8000-000000000000/"
    assert client.get(missing).status_code == 404


def test_publishing_needs_the_csrf_token(network_admin):
    from tests import factories

    client = factories.signed_in_client(network_admin, Client(enforce_csrf_checks=True))
    assert client.post(EDIT, form_data(publish="1")).status_code == 403
    assert not ModuleVersion.objects.exists()


# --- Preview, publish, history -------------------------------------------------------


def test_the_preview_is_sanitised_and_stores_nothing(sign_in, network_admin):
    hostile = sources()["en"].replace(
        "You are reading this, so you are already past the first stage.",
        "<script>alert(1)</script> [bad](javascript:alert(1)) ![img](https://evil.example/x.png)"
        " [ok](/centres/) **strong words**",
    )
    response = sign_in(network_admin).post(EDIT, form_data(en=hostile, preview="en"))
    assert response.status_code == 200
    page = response.content.decode()
    preview = page.split('id="preview-title"')[1]
    assert "<strong>strong words</strong>" in preview
    assert '<a href="/centres/"' in preview
    assert "<script>alert" not in page and "&lt;script&gt;" in preview
    assert 'href="javascript' not in page and "<img" not in page
    assert 'name="stage"' in preview  # the exercise's fields, as the public form shows them
    assert not ModuleVersion.objects.exists()
    german = sign_in(network_admin).post(EDIT, form_data(preview="de")).content.decode()
    assert "Veränderung geschieht in Phasen" in german.split('id="preview-title"')[1]


def test_the_preview_shows_exactly_what_the_public_page_shows_once_published(
    sign_in, network_admin
):
    en, de = changed_sources()
    client = sign_in(network_admin)
    preview = client.post(EDIT, form_data(en=en, de=de, preview="en")).content.decode()
    previewed = re.findall(r'<div class="prose">(.*?)</div>', preview, re.S)
    client.post(EDIT, form_data(en=en, de=de, publish="1"))
    public = Client().get(PUBLIC).content.decode()
    shown = re.findall(r'<div class="prose">(.*?)</div>', public, re.S)
    assert previewed and previewed == shown
    assert "Change comes step by step" in public


def test_publishing_adds_a_version_audited_shown_at_once_and_in_the_history(sign_in, network_admin):
    en, de = changed_sources()
    client = sign_in(network_admin)
    response = client.post(EDIT, form_data(en=en, de=de, publish="1"))
    assert response.status_code == 302
    shipped = shipped_catalogue().find("self", "motivation")[1]
    published = ModuleVersion.objects.get(shipped=False)
    assert published.version == shipped.version + 1
    assert published.published_by == network_admin
    # The shipped version is kept too, so answers given under it keep their questions.
    kept = ModuleVersion.objects.get(shipped=True)
    assert kept.version == shipped.version and kept.texts == sources()
    assert AuditEntry.objects.filter(
        action="selfhelp_module.publish", target_id=published.pk
    ).exists()
    assert "Change comes step by step" in Client().get(PUBLIC).content.decode()
    assert "Veränderung kommt Schritt für Schritt" in Client().get("/de" + PUBLIC).content.decode()
    assert catalogue().find("self", "motivation")[1].version == published.version
    history = client.get(EDIT).content.decode()
    assert f"/staff/self-help/versions/{published.pk}/" in history
    assert f"/staff/self-help/versions/{kept.pk}/" in history and "network_admin" in history
    # The editor now starts from the published version.
    assert "Change comes step by step" in history

    old = client.get(f"/staff/self-help/versions/{kept.pk}/")
    assert old.status_code == 200 and "Change happens in stages" in old.content.decode()
    assert AuditEntry.objects.filter(action="selfhelp_module.read", target_id=kept.pk).exists()

    client.post(EDIT, form_data(publish="1"))
    assert ModuleVersion.objects.order_by("-version").first().version == shipped.version + 2
    assert "Change happens in stages" in Client().get(PUBLIC).content.decode()


def test_a_published_version_never_changes(network_admin):
    version = ModuleVersion.objects.create(
        programme="self", module="motivation", version=5, minutes=15, texts=sources()
    )
    version.minutes = 20
    with pytest.raises(ValueError, match="never changes"):
        version.save()
    assert ModuleVersion.objects.get().minutes == 15


# --- Bad input: a translated 4xx, every word kept, never a 500 ------------------------

BROKEN = {
    "syntax": "title: [unclosed\n",
    "alias": "a: &a ['x', 'x']\nb: [*a, *a, *a]\n",
    "not-a-mapping": "- just\n- a list\n",
    "no-exercises": "title: T\nsummary: S\nsections:\n  - heading: H\n    body: B\nnext: N\n",
    "bad-kind": sources()["en"].replace("kind: rating", "kind: slider"),
    "boolean-id": sources()["en"].replace("id: keeping", "id: no"),
    "other-shape": sources()["en"].replace("id: importance", "id: weight"),
    "empty": "",
    "too-long": "title: " + "x" * 41000 + "\n",
    "recursive": "&a [*a]\n",
    # Well-formed YAML that PyYAML's constructors cannot build: these were 500s.
    "impossible-date": "2999-99-99\n",
    "impossible-tagged-date": sources()["en"].replace(
        "title:", "when: !!timestamp 2025-13-45\ntitle:", 1
    ),
    "deep-nesting": "title: " + "[" * 3000 + "]" * 3000 + "\n",
    # A double-quoted escape that is no character: published, it made the
    # module's public pages and editor a 500 for everyone.
    "lone-surrogate": re.sub(
        r"(?m)^title: .*$", lambda _m: 'title: "\\ud800"', sources()["en"], count=1
    ),
    # PyYAML keeps the last of two equal keys: the first title was lost without a word.
    "duplicate-key": "title: First title\n" + sources()["en"],
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_a_broken_definition_is_refused_with_the_text_kept(sign_in, network_admin, case):
    text = BROKEN[case]
    client = sign_in(network_admin)
    for action in ("publish", "preview"):
        response = client.post(
            EDIT, form_data(en=text, **{action: "en" if action == "preview" else "1"})
        )
        assert response.status_code == 400, (case, action)
        page = response.content.decode()
        assert "errorlist" in page
        if text:
            assert html.escape(text[:60]) in page, (case, action)
    assert not ModuleVersion.objects.exists()


def test_a_title_that_looks_like_a_date_is_a_title(sign_in, network_admin):
    """YAML 1.1 read ``2025-01-01`` as a date, refused as "not a text"; it stays text."""
    en = re.sub(r"(?m)^title: .*$", "title: 2025-01-01", sources()["en"], count=1)
    response = sign_in(network_admin).post(EDIT, form_data(en=en, publish="1"))
    assert response.status_code == 302
    _programme, module = catalogue().find("self", "motivation")
    assert module.texts["en"].title == "2025-01-01"


def test_the_refusal_is_in_german_for_a_german_editor(sign_in, network_admin):
    response = sign_in(network_admin).post(
        EDIT, form_data(en="title: [unclosed\n", publish="1"), HTTP_ACCEPT_LANGUAGE="de"
    )
    assert response.status_code == 400
    assert "kann noch nicht veröffentlicht werden" in response.content.decode()
    assert "title: [unclosed" in response.content.decode()


@pytest.mark.parametrize(
    ("case", "german"),
    [
        ("title: 12345", "YAML liest 12345 als Zahl oder als ja/nein"),
        ("title: yes", "YAML liest True als Zahl oder als ja/nein"),
        ("title: ''", "Hier muss ein Text stehen"),
        ('title: "\\ud800"', "kein gültiges YAML (ein \\u-Escape, das kein Zeichen ist"),
        ("title: [unclosed", "Zeile 2: kein gültiges YAML"),
        (
            "title: A\ntitle: B",
            "Zeile 2: kein gültiges YAML (der Schlüssel title steht zweimal da)",
        ),
        ("- a list", "Hier müssen Schlüssel mit Werten stehen"),
        ("a: &x 1\nb: *x", "YAML-Aliase (*name) sind nicht erlaubt"),
    ],
)
def test_every_refusal_says_what_is_wrong_in_german(sign_in, network_admin, case, german):
    """The editor's refusals were English inside a German sentence; now German throughout."""
    # A case that is not a title line replaces the whole block.
    en = (
        re.sub(r"(?m)^title: .*$", lambda _m: case, sources()["en"], count=1)
        if case.startswith("title:")
        else case
    )
    response = sign_in(network_admin).post(
        EDIT, form_data(en=en, publish="1"), HTTP_ACCEPT_LANGUAGE="de"
    )
    assert response.status_code == 400
    page = html.unescape(response.content.decode())
    assert german in page
    for english in ("is required", "not valid YAML", "are not allowed", "written twice"):
        assert english not in page


def test_a_title_that_yaml_reads_as_a_number_is_explained_in_english_too(sign_in, network_admin):
    en = re.sub(r"(?m)^title: .*$", "title: 2026", sources()["en"], count=1)
    response = sign_in(network_admin).post(EDIT, form_data(en=en, publish="1"))
    assert response.status_code == 400
    page = html.unescape(response.content.decode())
    assert (
        "YAML reads 2026 as a number or as yes/no, not as a text. "
        'Put the text in quotes, for example "2026".' in page
    )
    assert not ModuleVersion.objects.exists()


def test_a_version_published_before_the_duplicate_key_rule_still_shows(
    sign_in, network_admin, client
):
    """Refusing a key written twice is a rule for publishing, not for reading:
    a version stored before it (the second ``title:`` won) must keep working."""
    texts = sources()
    texts["en"] = "title: Lost first title\n" + texts["en"]
    ModuleVersion.objects.create(
        programme="self", module="motivation", version=2, minutes=15, texts=texts
    )
    assert client.get(PUBLIC).status_code == 200
    assert sign_in(network_admin).get(EDIT).status_code == 200
    _programme, module = catalogue().find("self", "motivation")
    assert module.version == 2


def test_bad_minutes_are_refused_with_the_texts_kept(sign_in, network_admin):
    en, _de = changed_sources()
    for minutes in ("0", "x", "1000", ""):
        data = form_data(en=en, publish="1")
        data["minutes"] = minutes
        response = sign_in(network_admin).post(EDIT, data)
        assert response.status_code == 400
        assert "Change comes step by step" in response.content.decode()
    assert not ModuleVersion.objects.exists()


# --- Saved answers keep their version --------------------------------------------------


def test_saved_answers_keep_the_questions_of_their_version_after_a_publish(
    client, sign_in, network_admin, network_counsellor
):
    open_new_mailbox(client)
    client.post(PUBLIC, {"exercise": "balance", "stage": "thinking", "change": "calmer evenings"})
    en = (
        sources()["en"]
        .replace("id: thinking", "id: unsure")
        .replace("label: I am thinking about whether to change", "label: Still unsure")
    )
    de = sources()["de"].replace("id: thinking", "id: unsure")
    response = sign_in(network_admin).post(EDIT, form_data(en=en, de=de, publish="1"))
    assert response.status_code == 302

    page = client.get(PUBLIC).content.decode()
    earlier = page.split('id="earlier-title"')[1].split("</section>")[0]
    assert "I am thinking about whether to change" in earlier and "calmer evenings" in earlier
    assert "Still unsure" in page  # the current form asks the new question
    assert 'value="unsure" id' in page and 'value="unsure" checked' not in page

    printed = client.get(PUBLIC + "print/?exercise=balance").content.decode()
    assert "I am thinking about whether to change" in printed

    client.post(PUBLIC + "share/", {"exercise": "balance"})
    body = Message.objects.get().body
    assert "I am thinking about whether to change" in body and "calmer evenings" in body
