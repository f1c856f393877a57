"""The self-help programmes through HTTP: read without an account, keep with a mailbox.

Nothing typed is stored without a mailbox; with one, answers, progress, the
place and ratings are encrypted in its workbook, keep the module version, go
with "delete everything" and retention, and never reach a log or the raw
database. Sharing puts the answers in the counsellor's conversation.
"""

from __future__ import annotations

import datetime
import logging
import re

import pytest
from django.test import Client
from django.utils import timezone

from forestall.inbox.models import Mailbox, Message, MessageAuthor
from forestall.selfhelp.content import catalogue
from forestall.selfhelp.models import ModuleCount, Workbook
from tests.database_dump import raw_database_text
from tests.test_mailbox import open_new_mailbox

pytestmark = pytest.mark.django_db

ANSWER = "Zebrafink-Antwort 4711 about my evenings"
PLAN = "/self-help/self/safety-plan/"


def module_urls(prefix: str = "") -> list[str]:
    return [
        f"{prefix}/self-help/{p.slug}/{m.slug}/" for p in catalogue().programmes for m in p.modules
    ]


def count(event: str, module: str = "") -> int:
    rows = ModuleCount.objects.filter(event=event)
    if module:
        rows = rows.filter(module=module)
    return sum(rows.values_list("count", flat=True))


def save_plan(client: Client, text: str = ANSWER, prefix: str = ""):
    return client.post(
        f"{prefix}{PLAN}",
        {"exercise": "plan", "warning-signs": text, "reasons": "my family"},
    )


# --- Content -----------------------------------------------------------------


def test_the_programmes_have_the_modules_the_issue_asks_for():
    programmes = {p.slug: p for p in catalogue().programmes}
    assert 8 <= len(programmes["self"].modules) <= 12
    assert 3 <= len(programmes["family"].modules) <= 6
    for programme in programmes.values():
        for module in programme.modules:
            assert 10 <= module.minutes <= 20
            for language in ("en", "de"):
                text = module.texts[language]
                assert text.sections and text.exercises and text.next_html


def test_german_texts_are_german_and_not_copies_of_the_english():
    for programme in catalogue().programmes:
        for module in programme.modules:
            en, de = module.texts["en"], module.texts["de"]
            assert en.title != de.title
            assert [s.heading for s in en.sections] != [s.heading for s in de.sections]
            german = " ".join(section.html for section in de.sections)
            assert any(word in german for word in (" die ", " und ", " der ", " Sie "))


# --- Reading without an account ---------------------------------------------


@pytest.mark.parametrize("prefix", ["", "/de"])
def test_every_programme_page_reads_without_an_account(client, prefix):
    for url in [f"{prefix}/self-help/", f"{prefix}/self-help/self/", f"{prefix}/self-help/family/"]:
        response = client.get(url)
        assert response.status_code == 200
        assert b"quick-exit" in response.content
    for url in module_urls(prefix):
        response = client.get(url)
        assert response.status_code == 200, url
        assert b'id="quick-exit"' in response.content
        assert b'class="crisis-line' in response.content, url
        assert b"<textarea" in response.content or b'type="radio"' in response.content
        assert len(response.content) < 30 * 1024, (url, len(response.content))


def test_the_module_page_says_nothing_is_stored_before_anyone_writes(client):
    content = client.get(PLAN).content.decode()
    assert content.index("Nothing you write here is stored") < content.index("<textarea")
    german = client.get("/de" + PLAN).content.decode()
    assert german.index("Nichts, was Sie hier schreiben, wird gespeichert") < german.index(
        "<textarea"
    )


def test_an_exercise_without_a_mailbox_is_shown_back_and_stored_nowhere(client):
    response = save_plan(client)
    assert response.status_code == 200
    assert ANSWER in response.content.decode()
    assert "have not been stored anywhere" in response.content.decode()
    assert not Workbook.objects.exists()
    assert ANSWER not in raw_database_text()


def test_unknown_programmes_modules_and_exercises_are_404_or_400(client):
    assert client.get("/self-help/nope/").status_code == 404
    assert client.get("/self-help/self/nope/").status_code == 404
    assert client.post(PLAN, {"exercise": "nope", "x": "y"}).status_code == 400
    assert client.get(PLAN + "print/?exercise=nope").status_code == 404


# --- Keeping progress in a mailbox ------------------------------------------


def test_starting_a_mailbox_from_a_module_comes_back_to_the_module(client):
    codename_page = client.post(
        "/mailbox/start/", {"pathway": "self", "selfhelp": "self/safety-plan"}, follow=True
    )
    codename = re.search(rb'id="codename"[^>]*>([^<]+)<', codename_page.content).group(1)
    assert b'name="selfhelp" value="self/safety-plan"' in codename_page.content
    response = client.post(
        "/mailbox/start/confirm/",
        {"codename": codename.decode().strip(), "confirmed": "on", "selfhelp": "self/safety-plan"},
    )
    assert response.status_code == 302
    assert response["Location"] == PLAN


def test_signing_in_from_a_module_comes_back_to_it_and_only_to_real_places(client):
    codename = open_new_mailbox(client)
    client.post("/mailbox/sign-out/")
    page = client.get("/mailbox/?selfhelp=self/online")
    assert b'name="selfhelp" value="self/online"' in page.content
    response = client.post("/mailbox/", {"codename": codename, "selfhelp": "self/online"})
    assert response["Location"] == "/self-help/self/online/"
    client.post("/mailbox/sign-out/")
    for bad in ["//evil.example/", "self/../../x"]:
        response = client.post("/mailbox/", {"codename": codename, "selfhelp": bad})
        assert response["Location"] == "/mailbox/", bad
        client.post("/mailbox/sign-out/")


def test_saved_answers_are_encrypted_keep_the_version_and_come_back_after_sign_in(client):
    codename = open_new_mailbox(client)
    response = save_plan(client)
    assert response.status_code == 302
    assert response["Location"].startswith(PLAN + "?saved=plan")
    mailbox = Mailbox.objects.get()
    data = Workbook.objects.get(mailbox=mailbox).data
    answer = data["answers"]["self/safety-plan/plan"]
    assert answer["version"] == catalogue().find("self", "safety-plan")[1].version
    assert answer["values"]["warning-signs"] == ANSWER
    assert data["place"] == "self/safety-plan"
    assert ANSWER.encode() not in raw_database_text().encode()
    assert ANSWER not in raw_database_text()

    for url in module_urls() + module_urls("/de"):
        signed_in_page = client.get(url)
        assert len(signed_in_page.content) < 30 * 1024, (url, len(signed_in_page.content))

    fresh = Client()
    fresh.post("/mailbox/", {"codename": codename})
    index = fresh.get("/self-help/").content.decode()
    assert 'href="/self-help/self/safety-plan/"' in index and "Continue where I left off" in index
    assert ANSWER in fresh.get(PLAN).content.decode()


def test_the_first_save_counts_a_start_once_and_done_counts_a_completion(client):
    open_new_mailbox(client)
    save_plan(client)
    save_plan(client, "again")
    assert count("started", "safety-plan") == 1
    response = client.post(PLAN + "done/")
    assert response["Location"] == "/self-help/self/keeping-going/"
    client.post(PLAN + "done/")
    assert count("completed", "safety-plan") == 1
    assert Workbook.objects.get().data["modules"]["self/safety-plan"]["completed"]
    # Without a mailbox the completion is counted, and nothing is stored.
    Client().post("/de/self-help/family/signs/done/")
    assert ModuleCount.objects.get(module="signs", event="read_through", language="de").count == 1
    assert not ModuleCount.objects.filter(module="signs", event="completed").exists()


def test_ratings_need_a_mailbox_and_show_back_as_progress(client):
    response = client.post(PLAN + "rating/", {"moment": "before", "urges": "7"})
    assert response.status_code == 401
    assert not Workbook.objects.exists()
    open_new_mailbox(client)
    assert client.post(PLAN + "rating/", {"moment": "before"}).status_code == 400
    assert client.post(PLAN + "rating/", {"moment": "before", "urges": "11"}).status_code == 400
    client.post(PLAN + "rating/", {"moment": "before", "urges": "7", "confidence": "3"})
    client.post(PLAN + "rating/", {"moment": "after", "urges": "4", "confidence": "6"})
    progress = client.get("/self-help/my-progress/").content.decode()
    assert re.search(r"<td>before</td><td>7</td><td>3</td>", progress)
    assert re.search(r"<td>after</td><td>4</td><td>6</td>", progress)
    # Its headings are whole questions: at phone width the table scrolls in
    # its own focusable box instead of widening the page.
    assert re.search(
        r'<div class="table-wrap" tabindex="0" role="region" aria-labelledby="ratings-[\w-]+">\s*'
        r'<table class="ratings">',
        progress,
    )


def test_the_same_rating_sent_twice_is_kept_once(client):
    """A double click on "Save" without JavaScript sends the rating twice."""
    open_new_mailbox(client)
    rating = {"moment": "before", "urges": "7", "confidence": "3"}
    client.post(PLAN + "rating/", rating)
    client.post(PLAN + "rating/", rating)
    client.post(PLAN + "rating/", {**rating, "urges": "6"})
    progress = client.get("/self-help/my-progress/").content.decode()
    assert len(re.findall(r"<td>before</td><td>7</td><td>3</td>", progress)) == 1
    assert len(re.findall(r"<td>before</td><td>6</td><td>3</td>", progress)) == 1


def test_the_days_of_the_ratings_are_written_as_the_reader_writes_dates(client):
    open_new_mailbox(client)
    client.post(PLAN + "rating/", {"moment": "before", "urges": "7"})
    today = timezone.localdate()
    german = client.get("/de/self-help/my-progress/").content.decode()
    english = client.get("/self-help/my-progress/").content.decode()
    assert f"<td>{today:%d.%m.%Y}</td>" in german
    assert f"<td>{today.day} {today:%b %Y}</td>" in english
    assert today.isoformat() not in german + english


def test_an_answer_containing_the_codename_is_refused_and_kept_on_the_page(client):
    codename = open_new_mailbox(client)
    response = save_plan(client, f"note {codename}")
    assert response.status_code == 400
    assert "contains your codename" in response.content.decode()
    assert not Workbook.objects.exists()


def test_an_overlong_answer_is_refused_with_the_text_kept(client):
    open_new_mailbox(client)
    long_text = "x" * 2500
    response = save_plan(client, long_text)
    assert response.status_code == 400
    assert long_text in response.content.decode()


# --- Print and share ---------------------------------------------------------


def test_the_print_page_shows_saved_answers_or_the_posted_ones(client):
    anonymous = Client()
    response = anonymous.post(PLAN + "print/", {"exercise": "plan", "warning-signs": ANSWER})
    assert response.status_code == 200 and ANSWER in response.content.decode()
    assert ANSWER not in raw_database_text()
    open_new_mailbox(client)
    save_plan(client)
    printed = client.get(PLAN + "print/?exercise=plan").content.decode()
    assert ANSWER in printed and "my family" in printed


def test_sharing_puts_the_answers_in_the_counsellors_conversation(client, network_counsellor):
    from tests import factories

    open_new_mailbox(client)
    assert client.post(PLAN + "share/", {"exercise": "plan"})["Location"].endswith(
        "not_saved=plan#exercise-plan"
    )
    save_plan(client)
    response = client.post(PLAN + "share/", {"exercise": "plan"})
    assert response["Location"] == "/mailbox/?sent=1#latest"
    message = Message.objects.get()
    assert message.author_kind == MessageAuthor.SEEKER
    assert ANSWER in message.body and "Safety plan" in message.body
    assert count("shared", "safety-plan") == 1
    staff = factories.signed_in_client(network_counsellor)
    conversation = f"/staff/inbox/{message.conversation.pk}/"
    page = staff.get(conversation)
    assert page.status_code == 200
    assert ANSWER in page.content.decode()
    # The counsellor replies to it there, and the person reads the reply in the mailbox.
    staff.post(conversation + "claim/")
    reply = "Thank you for sharing your plan: your warning signs are a good start."
    assert staff.post(conversation + "reply/", {"body": reply}).status_code == 302
    assert reply in client.get("/mailbox/").content.decode()


# --- Erasure, retention, logs -----------------------------------------------


def test_delete_everything_removes_progress_and_answers(client):
    open_new_mailbox(client)
    save_plan(client)
    assert Workbook.objects.count() == 1
    client.post("/mailbox/delete/")
    assert not Workbook.objects.exists()
    assert ANSWER not in raw_database_text()
    assert b"Continue where" not in client.get("/self-help/").content


def test_retention_purges_the_workbook_with_the_mailbox(client):
    from forestall.lib.retention import get_policy, purge

    open_new_mailbox(client)
    save_plan(client)
    Mailbox.objects.update(last_active_on=timezone.localdate() - datetime.timedelta(days=400))
    purge(get_policy("mailbox"), apply=True)
    assert not Workbook.objects.exists()


def test_no_answer_text_reaches_a_log(client, caplog):
    caplog.set_level(logging.DEBUG)
    open_new_mailbox(client)
    save_plan(client)
    Client().post(PLAN, {"exercise": "plan", "warning-signs": ANSWER})
    client.post(PLAN + "share/", {"exercise": "plan"})
    assert ANSWER.lower() not in caplog.text.lower()


# --- Statistics ---------------------------------------------------------------


def _add_counts(module_slug: str, started: int, completed: int, day: datetime.date) -> None:
    for event, number in (("started", started), ("completed", completed)):
        ModuleCount.objects.create(
            day=day, programme="self", module=module_slug, language="en", event=event, count=number
        )


def test_the_staff_statistics_show_completion_per_module(analyst):
    from tests import factories

    _add_counts("online", 40, 10, timezone.localdate())
    page = factories.signed_in_client(analyst).get("/staff/statistics/").content.decode()
    assert "Self-help: modules started and completed" in page
    row = re.search(r"The online world</th>(.*?)</tr>", page, re.S).group(1)
    assert re.findall(r">(\d+%?)<", row)[:2] == ["40", "10"]
    assert "25%" in row


def test_the_public_statistics_publish_completion_rates_under_suppression(client, settings):
    from forestall.stats.release import release_period

    day = release_period(timezone.localdate()).start
    _add_counts("online", 40, 10, day)
    _add_counts("feelings", 3, 1, day)
    page = client.get("/statistics/").content.decode()
    online = re.search(r"The online world</th>(.*?)</tr>", page, re.S).group(1)
    assert "40" in online and "25%" in online
    feelings = re.search(r"Feelings, stress and coping</th>(.*?)</tr>", page, re.S).group(1)
    assert ">3<" not in feelings and ">1<" not in feelings
    assert "%" not in feelings and 'class="withheld"' in feelings


# --- CSRF and the page cache ---------------------------------------------------


def test_an_anonymous_module_page_sets_no_cookie_so_it_can_be_cached(client, settings):
    settings.FORESTALL_PAGE_CACHE_SECONDS = 60
    first = client.get(PLAN)
    assert first.status_code == 200 and not first.cookies
    assert b"csrfmiddlewaretoken" not in first.content
    assert client.get(PLAN).content == first.content


def _signed_in_with_csrf_checks() -> Client:
    """A browser that signs in to a new mailbox through the real forms, tokens and all."""
    signed_in = Client(enforce_csrf_checks=True)
    page = signed_in.get("/mailbox/start/")
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page.content).group(1)
    codename_page = signed_in.post(
        "/mailbox/start/", {"pathway": "self", "csrfmiddlewaretoken": token.decode()}, follow=True
    )
    codename = re.search(rb'id="codename"[^>]*>([^<]+)<', codename_page.content).group(1)
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', codename_page.content)
    signed_in.post(
        "/mailbox/start/confirm/",
        {
            "codename": codename.decode().strip(),
            "confirmed": "on",
            "csrfmiddlewaretoken": token.group(1).decode(),
        },
    )
    return signed_in


def _token(client: Client, path: str) -> str:
    page = client.get(path)
    return re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page.content).group(1).decode()


def test_anonymous_posts_need_no_token_but_signed_in_posts_do():
    anonymous = Client(enforce_csrf_checks=True)
    response = anonymous.post(PLAN, {"exercise": "plan", "reasons": "my family"})
    assert response.status_code == 200 and "my family" in response.content.decode()
    signed_in = _signed_in_with_csrf_checks()
    for path, data in [
        (PLAN, {"exercise": "plan", "reasons": "x"}),
        (PLAN + "rating/", {"moment": "before", "urges": "3"}),
        (PLAN + "done/", {}),
        (PLAN + "share/", {"exercise": "plan"}),
    ]:
        assert signed_in.post(path, data).status_code == 403, path
    assert not Workbook.objects.exists()
    token = _token(signed_in, PLAN)
    response = signed_in.post(
        PLAN, {"exercise": "plan", "reasons": "x", "csrfmiddlewaretoken": token}
    )
    assert response.status_code == 302 and Workbook.objects.exists()


def test_a_cross_site_post_cannot_write_into_a_signed_in_persons_progress():
    """The attack: a page elsewhere posts into the module while the person is signed in.

    The test client sends the cookies whatever their ``SameSite`` (like an old
    browser would); the attacker cannot read the person's token, and a token
    of the attacker's own session does not fit the person's cookie. Nothing
    in the workbook, the counts or the conversation changes.
    """
    victim = _signed_in_with_csrf_checks()
    token = _token(victim, PLAN)
    victim.post(PLAN, {"exercise": "plan", "reasons": "my own words", "csrfmiddlewaretoken": token})
    before = Workbook.objects.get().data
    counts = list(ModuleCount.objects.values_list("event", "count"))
    attacker = Client(enforce_csrf_checks=True)
    attacker_token = _token(attacker, "/mailbox/start/")
    forged = {"HTTP_ORIGIN": "https://evil.example", "HTTP_REFERER": "https://evil.example/x"}
    for extra in ({}, {"csrfmiddlewaretoken": attacker_token}):
        for path, data in [
            (PLAN, {"exercise": "plan", "reasons": "WRITTEN BY THE ATTACKER"}),
            (PLAN + "rating/", {"moment": "before", "urges": "10", "confidence": "0"}),
            (PLAN + "done/", {}),
            (PLAN + "share/", {"exercise": "plan"}),
            ("/self-help/self/online/", {"exercise": "online-plan", "steps": "block"}),
        ]:
            response = victim.post(path, {**data, **extra}, **forged)
            assert response.status_code == 403, (path, extra)
    assert Workbook.objects.get().data == before
    assert list(ModuleCount.objects.values_list("event", "count")) == counts
    assert not Message.objects.exists()
    assert "my own words" in victim.get(PLAN).content.decode()


def test_the_mailbox_cookie_is_never_sent_with_a_cross_site_post(client):
    """The first layer: a browser keeps the mailbox cookie out of any cross-site request."""
    response = client.post("/mailbox/start/", {"pathway": "self"}, follow=True)
    codename = re.search(rb'id="codename"[^>]*>([^<]+)<', response.content).group(1)
    confirmed = client.post(
        "/mailbox/start/confirm/", {"codename": codename.decode().strip(), "confirmed": "on"}
    )
    cookies = [c for c in confirmed.cookies.values() if c.value]
    assert cookies and all(c["samesite"] == "Strict" and c["httponly"] for c in cookies)


# --- Bad input ------------------------------------------------------------------

HOSTILE = ["", "zz", "-1", "99999999999999999999", "<script>x</script>", "\x00", "ü" * 3000]
FIELDS = ["exercise", "moment", "urges", "warning-signs", "stage", "steps", "selfhelp"]


@pytest.mark.parametrize(
    "path",
    [
        "/self-help/",
        "/self-help/my-progress/",
        "/self-help/self/",
        PLAN,
        "/self-help/self/motivation/",
        PLAN + "rating/",
        PLAN + "done/",
        PLAN + "print/",
        PLAN + "share/",
    ],
)
def test_hostile_input_never_gets_a_500_signed_in_or_not(client, path):
    signed_in = Client(raise_request_exception=False)
    open_new_mailbox(signed_in)
    for visitor in (Client(raise_request_exception=False), signed_in):
        for value in HOSTILE:
            assert visitor.get(path, dict.fromkeys(FIELDS, value)).status_code < 500
            response = visitor.post(path, dict.fromkeys(FIELDS, value))
            assert response.status_code < 500, (path, value[:10], response.status_code)
    response = signed_in.post("/self-help/self/motivation/", {"exercise": "balance", "stage": "x"})
    assert response.status_code == 400
    assert "Please choose one of the options." in response.content.decode()


def test_the_workbook_is_in_the_erasure_of_a_mailbox_and_its_bytes_are_overwritten(client):
    from django.db import connection

    from forestall.lib import erasure

    assert Workbook._meta.db_table in erasure.cascade_tables(Mailbox)
    open_new_mailbox(client)
    save_plan(client)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT data FROM {Workbook._meta.db_table}")  # noqa: S608 - our table
        envelope = bytes(cursor.fetchone()[0])
    assert len(envelope) > 40 and ANSWER.encode() not in envelope
    if connection.vendor != "sqlite":
        return  # PostgreSQL: VACUUM and the WAL are the operator's (docs/operating.md)
    assert envelope[-32:] in connection.connection.serialize()
    client.post("/mailbox/delete/")
    assert envelope[-32:] not in connection.connection.serialize()


# --- The front door links into the modules ------------------------------------------


def test_the_self_check_result_links_into_the_module_that_fits_the_answer(client):
    page = client.post("/self-check/", {"help_wanted": "read", "worry": "images"}).content.decode()
    modules = page.split('id="selfhelp-modules"')[1].split("</section>")[0]
    assert modules.index('href="/self-help/self/online/"') < modules.index(
        'href="/self-help/self/understanding/"'
    )
    german = client.post("/de/self-check/", {"help_wanted": "read", "worry": "someone_else"})
    assert 'href="/de/self-help/family/signs/"' in german.content.decode()
    assert "Was die Anzeichen bedeuten können" in german.content.decode()


@pytest.mark.parametrize(
    ("page", "module"),
    [
        ("/help/self/", "/self-help/self/understanding/"),
        ("/help/someone-else/", "/self-help/family/signs/"),
        ("/de/help/self/", "/de/self-help/self/online/"),
    ],
)
def test_the_pathway_pages_link_into_the_modules(client, page, module):
    response = client.get(page)
    assert response.status_code == 200
    assert f'href="{module}"' in response.content.decode()
