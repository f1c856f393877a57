"""Demo data of the inbox (idempotent): the demo mailboxes with their conversations
(``demo_mailboxes``), then reply templates in English and German."""

from __future__ import annotations

from forestall.demo import DemoNetwork
from forestall.inbox import demo_mailboxes
from forestall.inbox.models import ReplyTemplate

# (language, title, body)
TEMPLATES = [
    (
        "en",
        "First reply: thank you for writing",
        "Thank you for writing to us. It takes courage to put this into words, and you have "
        "done the right thing by reaching out.\n\nEverything you write here is confidential. "
        "You do not need to tell us your name or where you live.\n\n"
        "Could you tell me a little more about what is worrying you most at the moment?",
    ),
    (
        "en",
        "Blocking software",
        "Many people find it helps to make certain content harder to reach. Blocking "
        "software on your phone and computer can be one step. Would you be willing to try "
        "that this week? Next time you write, you could tell me how it went.",
    ),
    (
        "en",
        "Offer of a centre",
        "There is confidential help near you: a prevention centre can offer free and "
        "confidential therapy. If you would like, I can pass your enquiry to a centre. I "
        "would only do this with your agreement.",
    ),
    (
        "de",
        "Erste Antwort: Danke für Ihre Nachricht",
        "Danke, dass Sie uns geschrieben haben. Es braucht Mut, das in Worte zu fassen, und "
        "es war richtig, sich Hilfe zu holen.\n\nAlles, was Sie hier schreiben, bleibt "
        "vertraulich. Sie müssen uns weder Ihren Namen noch Ihren Wohnort nennen.\n\n"
        "Mögen Sie mir etwas mehr darüber erzählen, was Sie im Moment am meisten beschäftigt?",
    ),
    (
        "de",
        "Sperrsoftware",
        "Vielen hilft es, bestimmte Inhalte schwerer erreichbar zu machen. Eine Sperrsoftware "
        "auf Handy und Computer kann ein Schritt sein. Wären Sie bereit, das diese Woche "
        "auszuprobieren? Wenn Sie das nächste Mal schreiben, können Sie mir erzählen, wie es "
        "gelaufen ist.",
    ),
    (
        "de",
        "Angebot einer Anlaufstelle",
        "Es gibt vertrauliche Hilfe in Ihrer Nähe: Eine Präventionsambulanz bietet kostenlose "
        "und vertrauliche Therapie an. Wenn Sie möchten, gebe ich Ihre Anfrage an eine "
        "Anlaufstelle weiter, aber nur mit Ihrem Einverständnis.",
    ),
]


def seed(network: DemoNetwork) -> None:
    demo_mailboxes.seed(network)
    for language, title, body in TEMPLATES:
        ReplyTemplate.objects.update_or_create(
            language=language, title=title, defaults={"body": body, "is_active": True}
        )
    network.say(f"  inbox: {len(TEMPLATES)} reply templates (en, de)")
