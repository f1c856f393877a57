"""Demo mailboxes with conversations in English and German (idempotent).

So that the counsellors' inbox has a queue after ``make demo``: some
conversations wait (one urgent), some were answered by demo counsellors.
Codenames can never be recovered from the database, so the demo mailboxes'
codenames are derived from fixed seeds; only one, ``DEMO_CODENAME``, is
documented (docs/front-door.md) and printed, so that evaluators can sign in
at ``/mailbox/`` and read a counsellor's reply. It is sample data, not a
secret.
"""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass

from django.db.models import F
from django.utils import timezone

from forestall.demo import DemoNetwork
from forestall.inbox import actions
from forestall.inbox.models import Conversation, Mailbox, Message
from forestall.lib.codenames import WORD_COUNT, codename_hash, wordlist
from forestall.public.models import Pathway

DEMO_CODENAME = "sample garden pebble lantern quiet harbor velvet"


@dataclass(frozen=True)
class DemoMailbox:
    key: str
    language: str
    pathway: str
    centre: str | None  # centre slug; None: the network
    hours_ago: int
    messages: tuple[str, ...]
    reply_by: str | None = None  # demo counsellor's username
    reply: str = ""
    follow_up: str = ""
    urgent: bool = False


DEMO_MAILBOXES = [
    DemoMailbox(
        key="documented",
        language="en",
        pathway=Pathway.SELF,
        centre=None,
        hours_ago=50,
        messages=(
            "I have had sexual thoughts about children for a long time and they frighten me. "
            "I have never acted on them and I never want to. Is there anyone I can talk to?",
        ),
        reply_by="counsellor.network",
        reply="Thank you for writing to us. It takes courage to put this into words, and "
        "you have done the right thing. Thoughts like these are more common than people "
        "think, and help works. Could you tell me a little about what makes them hardest "
        "to handle at the moment?",
    ),
    DemoMailbox(
        key="en-waiting",
        language="en",
        pathway=Pathway.SELF,
        centre=None,
        hours_ago=30,
        messages=(
            "I looked at images online that I know I should not have. I deleted everything "
            "but I am scared it will happen again. What can I do?",
        ),
    ),
    DemoMailbox(
        key="en-other",
        language="en",
        pathway=Pathway.OTHER,
        centre="berlin",
        hours_ago=72,
        messages=(
            "My brother said something about a neighbour's child that worried me. "
            "I do not know if I am overreacting. How can I talk to him about it?",
        ),
        reply_by="counsellor.berlin",
        reply="You are not overreacting by taking this seriously. Let us think together "
        "about what he said and how you might start the conversation.",
        follow_up="Thank you. He said it again yesterday. I would like to talk to someone "
        "at a centre.",
    ),
    DemoMailbox(
        key="de-waiting",
        language="de",
        pathway=Pathway.SELF,
        centre="hamburg",
        hours_ago=5,
        messages=(
            "Ich habe Angst vor meinen eigenen Gedanken und weiß nicht, mit wem ich "
            "darüber sprechen kann. Gibt es in Hamburg eine Therapie?",
        ),
    ),
    DemoMailbox(
        key="de-urgent",
        language="de",
        pathway=Pathway.SELF,
        centre=None,
        hours_ago=1,
        urgent=True,
        messages=(
            "Ich passe heute Abend auf ein Kind auf und habe Angst, die Kontrolle zu "
            "verlieren. Bitte helfen Sie mir.",
        ),
    ),
    DemoMailbox(
        key="de-professional",
        language="de",
        pathway=Pathway.PROFESSIONAL,
        centre="berlin",
        hours_ago=96,
        messages=(
            "Ich bin Hausärztin. Ein Patient hat mir anvertraut, dass er sich zu Kindern "
            "hingezogen fühlt. Wohin kann ich ihn vermitteln?",
        ),
        reply_by="counsellor.berlin",
        reply="Danke für Ihre Anfrage. Ihr Patient kann sich vertraulich und kostenlos an "
        "unser Zentrum in Berlin wenden; ich schicke Ihnen gern die nächsten Schritte.",
    ),
]


def demo_codename(mailbox: DemoMailbox) -> str:
    """The documented codename, or a fixed one derived from the mailbox's key."""
    if mailbox.key == "documented":
        return DEMO_CODENAME
    words = wordlist(mailbox.language)
    chooser = random.Random(f"forestall-demo-{mailbox.key}")  # noqa: S311 - demo data only
    return " ".join(chooser.choice(words) for _ in range(WORD_COUNT))


def _backdate(conversation: Conversation, hours_ago: int) -> None:
    """Move a fresh demo conversation into the past so that the queue has an order."""
    shift = datetime.timedelta(hours=hours_ago)
    Conversation.objects.filter(pk=conversation.pk).update(
        created_at=F("created_at") - shift,
        waiting_since=F("waiting_since") - shift,
        last_message_at=F("last_message_at") - shift,
    )
    Message.objects.filter(conversation=conversation).update(created_at=F("created_at") - shift)


def _seed_one(network: DemoNetwork, spec: DemoMailbox) -> bool:
    digest = codename_hash(demo_codename(spec))
    if Mailbox.objects.filter(codename_hash=digest).exists():
        return False
    mailbox = Mailbox.objects.create(
        codename_hash=digest,
        language=spec.language,
        pathway=spec.pathway,
        urgent=spec.urgent,
        last_active_on=timezone.localdate(),
    )
    centre = network.centres.get(spec.centre) if spec.centre else None
    for body in spec.messages:
        actions.post_seeker_message(mailbox, body, centre)
    conversation = mailbox.conversations.get()
    _backdate(conversation, spec.hours_ago)
    counsellor = network.staff.get(spec.reply_by) if spec.reply_by else None
    if counsellor is not None:
        conversation.refresh_from_db()
        actions.claim_conversation(counsellor, conversation)
        actions.send_reply(counsellor, conversation, spec.reply)
        actions.release_conversation(counsellor, conversation)
        # The reply came a few hours after the question, not just now.
        reply_time = conversation.created_at + datetime.timedelta(hours=min(6, spec.hours_ago))
        Conversation.objects.filter(pk=conversation.pk).update(
            first_reply_at=reply_time, last_message_at=reply_time
        )
        Message.objects.filter(conversation=conversation, author=counsellor).update(
            created_at=reply_time
        )
        if spec.follow_up:
            actions.post_seeker_message(mailbox, spec.follow_up, centre)
    return True


def seed(network: DemoNetwork) -> None:
    created = sum(_seed_one(network, spec) for spec in DEMO_MAILBOXES)
    network.say(
        f"  front door: {len(DEMO_MAILBOXES)} demo mailboxes ({created} new); "
        f'sign in at /mailbox/ with the demo codename "{DEMO_CODENAME}"'
    )
