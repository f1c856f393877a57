"""The inbox queue's kept filter forms and its rows written without the template loop."""

from __future__ import annotations

import datetime
import re

from forestall.accounts.models import Role
from tests import factories
from tests.factories_inbox import make_conversation


def _filters(page: str) -> str:
    return page[
        page.index('class="card filters"') : page.index(
            "</form>", page.index('class="card filters"')
        )
    ]


def test_each_counsellor_is_offered_their_own_addressees(counsellor_a, centre_a, centre_b, sign_in):
    other = factories.make_user(Role.COUNSELLOR, centre_b, username="counsellor_b")
    for _round in range(2):  # the second round is served from the kept forms
        own = _filters(sign_in(counsellor_a).get("/staff/inbox/").content.decode())
        assert f'value="{centre_a.pk}"' in own and f'value="{centre_b.pk}"' not in own
        theirs = _filters(sign_in(other).get("/staff/inbox/").content.decode())
        assert f'value="{centre_b.pk}"' in theirs and f'value="{centre_a.pk}"' not in theirs


def test_the_chosen_filters_stay_selected(counsellor_a, sign_in):
    client = sign_in(counsellor_a)
    for _round in range(2):
        chosen = _filters(client.get("/staff/inbox/?status=all&claim=mine").content.decode())
        assert '<option value="all" selected>' in chosen
        assert '<option value="mine" selected>' in chosen
        plain = _filters(client.get("/staff/inbox/").content.decode())
        assert '<option value="all" selected>' not in plain
        assert '<option value="mine" selected>' not in plain


def test_a_typed_person_reference_is_shown_back_and_never_kept(counsellor_a, sign_in):
    from django.core.cache import caches

    client = sign_in(counsellor_a)
    page = client.get("/staff/inbox/?status=all&person=P-TYPED-1").content.decode()
    assert 'value="P-TYPED-1"' in page
    kept = caches["chrome"]
    assert not any(b"P-TYPED-1" in repr(value).encode() for value in kept._cache.values())  # type: ignore[attr-defined]


def test_rows_show_priority_waiting_and_target(counsellor_a, centre_a, sign_in):
    make_conversation(
        centre_a, urgent=True, body="<b>Help</b> please", waited=datetime.timedelta(hours=5)
    )
    page = sign_in(counsellor_a).get("/staff/inbox/").content.decode()
    row = re.search(r"<tr>\n  <td>.*?</tr>", page, re.S)[0]
    assert '<strong class="error">Urgent (the person asked)</strong>' in row
    assert ' class="breached">' in row and '<strong class="error">Overdue: target' in row
    assert "&lt;b&gt;Help&lt;/b&gt; please" in row
    assert '<span class="visually-hidden"> conversation 1</span>' in row


def test_waits_in_words_are_the_words_of_timesince():
    from django.utils import timezone, translation
    from django.utils.timesince import timesince, timeuntil

    from forestall.inbox.queue import span_in_words

    now = timezone.now()
    spans = [0, 30, 59, 60, 61, 3599, 3600, 86399, 86400, 90061, 7 * 86400 + 5, 27 * 86400 + 86399]
    spans += [28 * 86400, 45 * 86400, 400 * 86400, -120]
    for language in ("en", "de"):
        with translation.override(language):
            for seconds in spans:
                moment = now - datetime.timedelta(seconds=seconds, microseconds=1234)
                assert span_in_words(moment, now) == timesince(moment, now)
                later = now + datetime.timedelta(seconds=seconds)
                assert span_in_words(now, later) == timeuntil(later, now)


def test_every_value_in_a_row_is_escaped(counsellor_a, centre_a, sign_in):
    """The rows are written without the template's autoescape: each value escaped by hand."""
    from django.utils import timezone

    from forestall.directory.models import Centre

    Centre.objects.filter(pk=centre_a.pk).update(name='<i>Zentrum</i> & "Süd"')
    claimant = factories.make_user(Role.COUNSELLOR, centre_a, username="<script>x</script>")
    conversation = make_conversation(
        centre_a, body="<img src=x onerror=alert(1)>", waited=datetime.timedelta(minutes=5)
    )
    conversation.claimed_by = claimant
    conversation.claimed_until = timezone.now() + datetime.timedelta(minutes=30)
    conversation.save(update_fields=["claimed_by", "claimed_until"])
    page = sign_in(counsellor_a).get("/staff/inbox/").content.decode()
    row = re.search(r"<tr>\n  <td>.*?</tr>", page, re.S)[0]
    assert "&lt;i&gt;Zentrum&lt;/i&gt; &amp; &quot;Süd&quot;" in row
    assert "&lt;script&gt;x&lt;/script&gt;" in row
    assert "&lt;img src=x onerror=alert(1)&gt;" in row
    assert "<script>" not in row and "<img" not in row and "<i>" not in row


def test_the_german_queue_says_open_as_a_verb(counsellor_a, centre_a, sign_in):
    """The last column's link opens a conversation: "Öffnen", not the adjective "Offen"."""
    make_conversation(centre_a)
    page = sign_in(counsellor_a).get("/staff/inbox/", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert '">Öffnen<span class="visually-hidden"> Gespräch 1</span></a>' in page
    assert "Offen" not in page
