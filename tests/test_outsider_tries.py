"""An outside tester's attacks on the queue and the signed-in mailbox as rewritten for speed.

Each test is an attack that must stay impossible: markup written into a page,
one centre's conversations shown at another, a HEAD request marking replies
read, an ended session reopened, another mailbox's messages, a page in the
wrong language after switching back and forth, a 500 for a nonsense filter.
"""

from __future__ import annotations

import datetime

import pytest
from django.core import signing
from django.test import Client, RequestFactory
from django.utils import timezone

from forestall.accounts.models import Role
from forestall.inbox.mailbox_session import _SALT, COOKIE_NAME, signed_in_mailbox
from forestall.inbox.models import Conversation, Mailbox, Message, MessageAuthor
from tests.factories import answering_messages, make_centre, make_user
from tests.factories_inbox import make_conversation, make_offline_contact
from tests.test_mailbox import open_new_mailbox

MARKUP = '<script>alert(1)</script><img src=x onerror="alert(2)">'


@pytest.fixture(autouse=True)
def _page_cache_on(settings):
    """As in production: whole public pages and the parts kept for everyone are cached."""
    settings.FORESTALL_PAGE_CACHE_SECONDS = 60


def _escaped_only(content: bytes) -> None:
    assert b"<script>alert" not in content
    assert b"<img src=x" not in content
    assert b"&lt;script&gt;alert(1)&lt;/script&gt;" in content


# --- The queue -------------------------------------------------------------


@pytest.fixture
def two_centres(centre_a, centre_b, counsellor_a, network_counsellor):
    a = make_conversation(centre_a, body="secret of A " + MARKUP)
    b = make_conversation(centre_b, body="secret of B")
    network = make_conversation(None, body="secret of the network")
    return a, b, network


def test_markup_in_centre_name_claimant_names_and_message_is_escaped_in_the_queue(
    sign_in, counsellor_a
):
    centre = make_centre(MARKUP)
    counsellor = make_user(Role.COUNSELLOR, centre, username="c1")
    colleague = make_user(Role.COUNSELLOR, centre, username="c2")
    colleague.first_name, colleague.last_name = MARKUP, "<b>bold</b>"
    colleague.save()
    conversation = make_conversation(centre, body=MARKUP)
    Conversation.objects.filter(pk=conversation.pk).update(
        claimed_by=colleague, claimed_until=timezone.now() + datetime.timedelta(minutes=10)
    )
    for query in ("", "?status=all", f"?addressed_to={centre.pk}", "?claim="):
        response = sign_in(counsellor).get("/staff/inbox/" + query)
        assert response.status_code == 200, query
        content = response.content
        _escaped_only(content)
        assert b"<b>bold</b>" not in content
        assert b"&lt;b&gt;bold&lt;/b&gt;" in content


def test_a_counsellor_never_sees_another_centres_conversations_under_any_filter(
    sign_in, counsellor_a, centre_b, two_centres
):
    _a, b, network = two_centres
    client = sign_in(counsellor_a)
    queries = [
        "",
        "?status=all",
        f"?addressed_to={centre_b.pk}",
        f"?addressed_to={centre_b.pk}&status=all",
        "?addressed_to=network&status=all",
        "?claim=unclaimed&status=all",
        "?claim=mine&status=all",
        f"?person={b.reference}&status=all",
        f"?reference={b.reference}",
        f"?status=all&addressed_to=&addressed_to={centre_b.pk}",
        "?status=all&page=2",
    ]
    for query in queries:
        response = client.get("/staff/inbox/" + query, follow=True)
        assert response.status_code in (200, 400), query
        # What was typed (a reference in the filter) is echoed back; nothing else of B.
        content = response.content.replace(f'value="{b.reference}"'.encode(), b"")
        for foreign in (b, network):
            assert foreign.reference.encode() not in content, query
        assert b"secret of B" not in content, query
        assert b"secret of the network" not in content, query
        assert b"Centre B</td>" not in content, query


def test_another_centres_id_as_addressee_is_refused_not_honoured(
    sign_in, counsellor_a, centre_b, two_centres
):
    a, _b, _network = two_centres
    response = sign_in(counsellor_a).get(f"/staff/inbox/?addressed_to={centre_b.pk}")
    assert response.status_code == 400
    # The filter is ignored: counsellor A's own queue, and nothing of B's.
    assert a.reference.encode() in response.content
    assert b"secret of B" not in response.content


@pytest.mark.parametrize("role", [Role.CLINICIAN, Role.CENTRE_MANAGER, Role.SAFEGUARDING_LEAD])
def test_staff_who_do_not_counsel_see_no_conversation_in_the_queue(
    sign_in, centre_a, two_centres, role
):
    user = make_user(role, centre_a)
    for query in ("", "?status=all", "?status=all&addressed_to=network", "?claim=unclaimed"):
        response = sign_in(user).get("/staff/inbox/" + query)
        assert response.status_code in (200, 400)
        for conversation in two_centres:
            assert conversation.reference.encode() not in response.content
        assert b"secret of" not in response.content


def test_a_network_counsellor_sees_the_networks_conversations_only(
    sign_in, network_counsellor, two_centres
):
    a, b, network = two_centres
    for query in ("", "?addressed_to=network", "?status=all&claim=unclaimed"):
        content = sign_in(network_counsellor).get("/staff/inbox/" + query).content
        assert network.reference.encode() in content
        assert b"secret of the network" in content
        assert a.reference.encode() not in content and b.reference.encode() not in content
        assert b"secret of A" not in content and b"secret of B" not in content


def test_a_persons_reference_from_another_centre_finds_nothing_there(
    sign_in, counsellor_a, centre_a, centre_b
):
    counsellor_b = make_user(Role.COUNSELLOR, centre_b)
    at_b = make_offline_contact(counsellor_b, centre_b)
    person = at_b.person_reference
    client = sign_in(counsellor_a)
    for query in (f"?status=all&person={person}", f"?reference={person}"):
        response = client.get("/staff/inbox/" + query, follow=True)
        content = response.content.replace(f'value="{person}"'.encode(), b"")
        assert at_b.conversation.reference.encode() not in content, query
        assert b"Centre B" not in content, query
        assert b"conversations (" not in content and b"1 conversation (" not in content


def test_a_counsellor_with_other_roles_elsewhere_sees_only_where_they_counsel(
    sign_in, counsellor_a, centre_b, network_counsellor, two_centres
):
    from tests.factories import add_role

    add_role(counsellor_a, Role.CLINICIAN, centre_b)
    add_role(counsellor_a, Role.CENTRE_MANAGER, None)
    a, b, network = two_centres
    queries = ("?status=all", f"?status=all&addressed_to={centre_b.pk}", "?addressed_to=network")
    for query in queries:
        content = sign_in(counsellor_a).get("/staff/inbox/" + query).content
        assert b.reference.encode() not in content and network.reference.encode() not in content
    # A network counsellor who also counsels at centre B sees both, each filter on its own.
    add_role(network_counsellor, Role.COUNSELLOR, centre_b)
    client = sign_in(network_counsellor)
    both = client.get("/staff/inbox/").content
    assert b.reference.encode() in both and network.reference.encode() in both
    assert a.reference.encode() not in both
    only_b = client.get(f"/staff/inbox/?addressed_to={centre_b.pk}").content
    assert b.reference.encode() in only_b and network.reference.encode() not in only_b
    only_network = client.get("/staff/inbox/?addressed_to=network").content
    assert network.reference.encode() in only_network and b.reference.encode() not in only_network


NONSENSE = [
    "page=-1",
    "page=0",
    "page=99999",
    "page=x",
    "page=" + "9" * 5000,
    "page=1e3",
    "page=2.5",
    "page=&page=2",
    "status=nonsense",
    "status=",
    "status=all&status=closed",
    "language=xx",
    "language=de&language=en",
    "addressed_to=not-a-uuid",
    "addressed_to=00000000-0000-0000-0000-000000000000",
    "addressed_to=network",
    "claim=someone",
    "claim=mine&claim=unclaimed",
    "person=" + "A" * 500,
    "person=%00%01",
    "person=<script>",
    "reference=%00",
    "reference=" + "x" * 5000,
    "status=%00",
]


@pytest.mark.parametrize("query", NONSENSE)
def test_nonsense_queue_parameters_never_answer_500_or_leak(
    sign_in, counsellor_a, two_centres, query
):
    response = sign_in(counsellor_a).get("/staff/inbox/?" + query, follow=True)
    assert response.status_code in (200, 400), query
    assert b"secret of B" not in response.content
    assert b"<script>" not in response.content.replace(b"<script src=", b"")


def test_the_count_and_pager_match_the_conversations_on_every_page(
    sign_in, counsellor_a, centre_a, centre_b
):
    made = [
        make_conversation(centre_a, waited=datetime.timedelta(minutes=minutes))
        for minutes in range(1, 53)
    ]
    make_conversation(centre_b)
    client = sign_in(counsellor_a)
    seen = set()
    for page, shown in ((1, "1\u201350"), (2, "51\u201352")):
        content = client.get(f"/staff/inbox/?page={page}").content.decode()
        assert f"52 conversations ({shown} shown)" in content
        seen |= {c.reference for c in made if c.reference in content}
    assert seen == {c.reference for c in made}
    # Whatever else is in the address goes into the pager's links escaped.
    hostile = client.get("/staff/inbox/?page=2&x=%22%3E%3Cscript%3Ealert(1)%3C/script%3E")
    assert b"<script>alert" not in hostile.content and b'rel="prev"' in hostile.content
    # Past the end: the last page, not an empty one or an error.
    last = client.get("/staff/inbox/?page=99999").content.decode()
    assert "52 conversations (51\u201352 shown)" in last
    # Longest waiting first: the first page holds the 50 that waited longest.
    first = client.get("/staff/inbox/?page=1").content.decode()
    assert made[-1].reference in first and made[0].reference not in first


def test_claims_show_you_a_colleague_by_name_and_a_lapsed_claim_as_nobody(
    sign_in, counsellor_a, centre_a
):
    colleague = make_user(Role.COUNSELLOR, centre_a, username="colleague_login")
    colleague.first_name, colleague.last_name = "Maria", "Muster"
    colleague.save()
    mine, theirs, lapsed = (make_conversation(centre_a) for _ in range(3))
    now = timezone.now()
    Conversation.objects.filter(pk=mine.pk).update(
        claimed_by=counsellor_a, claimed_until=now + datetime.timedelta(minutes=10)
    )
    Conversation.objects.filter(pk=theirs.pk).update(
        claimed_by=colleague, claimed_until=now + datetime.timedelta(minutes=10)
    )
    Conversation.objects.filter(pk=lapsed.pk).update(
        claimed_by=colleague, claimed_until=now - datetime.timedelta(minutes=1)
    )
    client = sign_in(counsellor_a)
    content = client.get("/staff/inbox/").content.decode()

    def row(conversation):
        start = content.index(conversation.reference)
        return content[start : content.index("</tr>", start)]

    assert "<td>You</td>" in row(mine)
    assert "<td>Maria Muster</td>" in row(theirs)
    assert "Maria" not in row(lapsed) and "<td>—</td>" in row(lapsed)
    unclaimed = client.get("/staff/inbox/?claim=unclaimed").content.decode()
    assert lapsed.reference in unclaimed and mine.reference not in unclaimed
    assert theirs.reference not in unclaimed
    claimed = client.get("/staff/inbox/?claim=mine").content.decode()
    assert mine.reference in claimed
    assert theirs.reference not in claimed and lapsed.reference not in claimed
    german = client.get("/staff/inbox/", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "<td>Sie</td>" in german


def test_the_queue_switches_language_back_and_forth_without_mixing(
    sign_in, counsellor_a, network_counsellor, centre_a
):
    make_conversation(centre_a)
    make_conversation(None)
    english = {"Inbox", "Claimed by", "Normal</td>", "Everything I answer", "5\xa0minutes"}
    german = {"Posteingang", "Übernommen von", "5\xa0Minuten"}
    for user in (counsellor_a, network_counsellor):
        client = sign_in(user)
        for language in ("de", "en", "de", "en"):
            for query in ("", "?status=all", "?status=all&addressed_to=network"):
                content = client.get(
                    "/staff/inbox/" + query, HTTP_ACCEPT_LANGUAGE=language
                ).content.decode()
                shown = german if language == "de" else english
                hidden = english - {"Normal</td>"} if language == "de" else german
                assert all(word in content for word in shown), (language, query)
                assert not any(word in content for word in hidden), (language, query)
                if language == "en" and user is network_counsellor:
                    assert "Any centre / the network</td>" in content or "addressed_to" not in query
    counsellor_a.language = "de"
    counsellor_a.save()
    content = sign_in(counsellor_a).get("/staff/inbox/", HTTP_ACCEPT_LANGUAGE="en").content
    assert b"Posteingang" in content and b"Claimed by" not in content


# --- The signed-in mailbox ---------------------------------------------------


def _reply(conversation: Conversation, body: str) -> Message:
    return Message.objects.create(
        conversation=conversation, author_kind=MessageAuthor.COUNSELLOR, body=body
    )


def _mailbox_of(client: Client) -> Mailbox:
    request = RequestFactory().get("/mailbox/")
    request.COOKIES[COOKIE_NAME] = client.cookies[COOKIE_NAME].value
    mailbox = signed_in_mailbox(request)
    assert mailbox is not None
    return mailbox


@pytest.fixture
def seeker(client, db):
    open_new_mailbox(client)
    return client


def test_markup_in_messages_and_centre_names_is_escaped_in_the_mailbox(seeker):
    centre = make_centre(MARKUP, name_de=MARKUP + " de")
    mailbox = _mailbox_of(seeker)
    conversation = Conversation.objects.create(mailbox=mailbox, centre=centre, language="en")
    Message.objects.create(
        conversation=conversation, author_kind=MessageAuthor.SEEKER, body=MARKUP + "\n\nline"
    )
    _reply(conversation, "</div></li></ol>" + MARKUP)
    for path in ("/mailbox/", "/de/mailbox/"):
        response = seeker.get(path)
        assert response.status_code == 200
        _escaped_only(response.content)
        assert b"</div></li></ol><" not in response.content


def test_empty_and_very_long_messages_are_refused_calmly_and_kept(seeker):
    assert seeker.post("/mailbox/write/", {"body": "", "centre": ""}).status_code == 400
    long = "x" * 200_000
    response = seeker.post("/mailbox/write/", {"body": long, "centre": ""})
    assert response.status_code == 400
    assert long.encode() in response.content
    assert not Message.objects.filter(conversation__mailbox=_mailbox_of(seeker)).exists()


def test_a_head_request_never_marks_replies_read(seeker):
    mailbox = _mailbox_of(seeker)
    conversation = Conversation.objects.create(mailbox=mailbox, language="en")
    reply = _reply(conversation, "A reply")
    for path in ("/mailbox/", "/de/mailbox/"):
        response = seeker.head(path)
        assert response.status_code == 200
        reply.refresh_from_db()
        assert reply.read_at is None
    seeker.get("/mailbox/")
    reply.refresh_from_db()
    assert reply.read_at is not None


def test_an_expired_or_forged_session_shows_nothing_of_the_mailbox(seeker, settings):
    mailbox = _mailbox_of(seeker)
    conversation = Conversation.objects.create(mailbox=mailbox, language="en")
    _reply(conversation, "only for the owner")
    token = signing.TimestampSigner(salt=_SALT).unsign(seeker.cookies[COOKIE_NAME].value)
    stale = signing.TimestampSigner(salt=_SALT)
    old = timezone.now() - datetime.timedelta(minutes=settings.FORESTALL_MAILBOX_IDLE_MINUTES + 1)
    import unittest.mock

    with unittest.mock.patch("time.time", return_value=old.timestamp()):
        expired_cookie = stale.sign(token)
    for value in (expired_cookie, token, token + ":forged", "x" * 4000):
        other = Client()
        other.cookies[COOKIE_NAME] = value
        for path in ("/mailbox/", "/de/mailbox/"):
            response = other.get(path)
            assert b"only for the owner" not in response.content
            assert response.status_code in (200, 302)


def test_one_mailbox_never_shows_another_mailboxs_messages(db):
    first, second = Client(), Client()
    open_new_mailbox(first)
    open_new_mailbox(second)
    conversation = Conversation.objects.create(mailbox=_mailbox_of(first), language="en")
    Message.objects.create(
        conversation=conversation, author_kind=MessageAuthor.SEEKER, body="first's secret"
    )
    _reply(conversation, "reply to first")
    for path in ("/mailbox/", "/de/mailbox/"):
        content = second.get(path).content
        assert b"first's secret" not in content and b"reply to first" not in content
    assert Message.objects.get(body__isnull=False, author_kind="counsellor").read_at is None


def test_the_mailbox_switches_language_back_and_forth_without_mixing(seeker):
    centre = make_centre("Hilfe Nord", name_de="Hilfe Nord (de)")
    conversation = Conversation.objects.create(
        mailbox=_mailbox_of(seeker), centre=centre, language="en"
    )
    Message.objects.create(conversation=conversation, author_kind=MessageAuthor.SEEKER, body="hi")
    _reply(conversation, "hello")
    english = {"Your mailbox", "You wrote", "A counsellor replied", "Written to Hilfe Nord<"}
    german = {"Ihr Postfach", "Sie schrieben", "Antwort der Beratung", "Hilfe Nord (de)"}
    for _round in range(2):
        for path, shown, hidden in (
            ("/de/mailbox/", german, english),
            ("/mailbox/", english, german),
        ):
            content = seeker.get(path).content.decode()
            assert all(word in content for word in shown), path
            assert not any(word in content for word in hidden), path


def test_a_head_request_never_leaves_an_empty_page_in_the_public_page_cache(client, db, settings):
    for path in ("/de/", "/", "/de/mailbox/", "/mailbox/"):
        assert client.head(path).status_code == 200
        response = client.get(path)
        assert response.status_code == 200 and b"</html>" in response.content, path


def test_a_session_past_its_maximum_age_or_signed_out_opens_nothing(seeker):
    from forestall.inbox.models import MailboxSession

    mailbox = _mailbox_of(seeker)
    conversation = Conversation.objects.create(mailbox=mailbox, language="en")
    _reply(conversation, "only for the owner")
    cookie = seeker.cookies[COOKIE_NAME].value
    assert b"only for the owner" in seeker.get("/mailbox/").content
    MailboxSession.objects.filter(mailbox=mailbox).update(
        created_at=timezone.now() - datetime.timedelta(hours=MailboxSession.MAX_AGE_HOURS + 1)
    )
    assert b"only for the owner" not in seeker.get("/mailbox/").content
    MailboxSession.objects.filter(mailbox=mailbox).update(created_at=timezone.now())
    replay = Client()
    replay.cookies[COOKIE_NAME] = cookie
    assert b"only for the owner" in replay.get("/mailbox/").content
    seeker.cookies[COOKIE_NAME] = cookie
    seeker.post("/mailbox/sign-out/")
    replay.cookies[COOKIE_NAME] = cookie
    assert b"only for the owner" not in replay.get("/mailbox/").content
    assert b"only for the owner" not in replay.get("/de/mailbox/").content


def _steady(content: bytes) -> str:
    """A page without what differs between two visits (tokens, nonces)."""
    import re

    text = content.decode()
    text = re.sub(r'name="(csrfmiddlewaretoken|once)" value="[^"]*"', "", text)
    return re.sub(r'nonce="[^"]*"', "", text)


def test_staff_pages_are_the_same_in_each_language_however_often_it_switches(
    sign_in, counsellor_a, network_counsellor, centre_a
):
    conversation = make_conversation(centre_a)
    pages = [
        "/staff/inbox/",
        "/staff/inbox/?status=all",
        "/staff/inbox/templates/",
        "/staff/inbox/contacts/new/",
        f"/staff/inbox/{conversation.pk}/",
        "/staff/",
    ]
    client = sign_in(counsellor_a)
    first: dict[tuple[str, str], str] = {}
    for language in ("de", "en", "de", "en", "de"):
        for page in pages:
            response = client.get(page, HTTP_ACCEPT_LANGUAGE=language, follow=True)
            assert response.status_code == 200, page
            shown = _steady(response.content)
            assert first.setdefault((language, page), shown) == shown, (language, page)
    for page in pages:
        assert first["de", page] != first["en", page], page


@pytest.mark.parametrize(
    "path", ["/", "/self-check/", "/mailbox/", "/mailbox/start/", "/centres/", "/confidentiality/"]
)
def test_public_pages_are_the_same_in_each_language_however_often_it_switches(client, db, path):
    first: dict[str, str] = {}
    for prefix in ("/de", "", "/de", "", "/de"):
        visitor = client if prefix else Client()
        response = visitor.get(prefix + path, follow=True)
        assert response.status_code == 200, prefix + path
        shown = _steady(response.content)
        assert first.setdefault(prefix, shown) == shown, prefix + path
    assert first["/de"] != first[""]


def test_centre_choices_escape_markup_and_refuse_an_inactive_or_unknown_centre(seeker):
    answering_messages(make_centre(MARKUP, name_de=MARKUP + " de"))
    hidden = answering_messages(make_centre("Closed centre", is_active=False))
    for path in ("/mailbox/", "/de/mailbox/"):
        response = seeker.get(path)
        _escaped_only(response.content)
        assert b"Closed centre" not in response.content
    for centre in (str(hidden.pk), "not-a-uuid", "00000000-0000-0000-0000-000000000000"):
        response = seeker.post("/mailbox/write/", {"body": "hello", "centre": centre})
        assert response.status_code == 400, centre
    assert not Conversation.objects.filter(mailbox=_mailbox_of(seeker)).exists()


def test_nothing_typed_into_the_filters_is_kept_for_a_colleague(sign_in, counsellor_a, centre_a):
    """The filter forms are kept per process for everyone with the same choices and filters.

    A person's reference that cleans to nothing (only spaces and tabs) was
    kept as typed in the hidden field and shown to every colleague after.
    """
    colleague = make_user(Role.COUNSELLOR, centre_a)
    assert sign_in(counsellor_a).get("/staff/inbox/?person=%20%09%20").status_code == 200
    content = sign_in(colleague).get("/staff/inbox/").content.decode()
    assert '<input type="hidden" name="person" id="id_person">' in content
