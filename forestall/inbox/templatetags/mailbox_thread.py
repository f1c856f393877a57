"""``{% mailbox_conversations conversations %}``: the signed-in mailbox's messages.

The same markup the mailbox template wrote with two nested ``{% for %}``
loops (a ``<p class="addressed">`` and an ``<ol class="messages">`` per
conversation, an ``<li>`` per message, the last one ``id="latest"``), written
here in one pass. In the template, each message cost about a dozen template
nodes (the loop's bookkeeping, two ``{% if %}``, three variables, two
filters): the largest part of the page that is rendered for every visitor.

Values are escaped as the template escaped them: the message text through
``linebreaks`` with autoescaping, the centre's name and the author's kind
with ``escape``; translated words are used as ``{% translate %}`` and
``{% blocktranslate %}`` use them (not escaped: they are ours). Nothing is
kept between requests: the markup is built from this request's rows.
"""

from __future__ import annotations

from collections.abc import Sequence

from django import template
from django.utils.html import escape, linebreaks
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

from forestall.inbox.models import ANY_CENTRE, MessageAuthor
from forestall.inbox.thread import ThreadConversation
from forestall.templatetags.forestall_time import time_elements

register = template.Library()


@register.simple_tag
def mailbox_conversations(conversations: Sequence[ThreadConversation]) -> SafeString:
    if not conversations:
        empty = gettext(
            "There are no messages yet. Write whatever you want to share: "
            "a few sentences are enough."
        )
        return mark_safe(f"\n  <p>{empty}</p>\n")  # noqa: S308 - our own translation
    you_wrote = gettext("You wrote")
    counsellor_replied = gettext("A counsellor replied")
    time_element = time_elements()
    last_conversation = conversations[-1]
    parts: list[str] = []
    for conversation in conversations:
        if conversation.centre is not None:
            addressed = gettext("Written to %(centre)s") % {
                "centre": escape(conversation.centre.display_name)
            }
        else:
            # The choice's own name, as in "Who should answer?".
            addressed = gettext("Written to: %(choice)s") % {"choice": escape(str(ANY_CENTRE))}
        parts.append(f'\n  <p class="addressed">{addressed}</p>\n  <ol class="messages">\n  ')
        messages = conversation.messages
        for number, message in enumerate(messages, start=1):
            latest = (
                ' id="latest"'
                if number == len(messages) and conversation is last_conversation
                else ""
            )
            author = (
                you_wrote if message.author_kind == MessageAuthor.SEEKER else counsellor_replied
            )
            body = linebreaks(message.body, autoescape=True)
            parts.append(
                f'\n    <li class="message {escape(message.author_kind)}"{latest}>'
                f'\n      <p class="meta">{author} · {time_element(message.created_at)}</p>'
                f'\n      <div class="body" dir="auto">{body}</div>'
                "\n    </li>\n  "
            )
        parts.append("\n  </ol>\n")
    # Every value in it was escaped above; the words are our own translations.
    return mark_safe("".join(parts))  # noqa: S308
