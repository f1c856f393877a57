"""The catalogue forestall ships: three variants in English and German.

Written to the research: Project Intercept's four elements in every message
(it is a crime; it harms children; there are consequences; confidential help
is available), and the randomised trials of Prichard et al. (2022, 2024), in
which warnings that named the law and the risk of being traced (deterrent)
and warnings that offered help (therapeutic) both turned people back. The
Ahmia deployment saw click-through to help nearly double with wording about
the harm to children. The tone is plain and warm: the reader is a person who
can stop, not a monster, and the help is real, free and anonymous.

Loaded by the app's first migration with fixed ids, so every installation
and every partner agrees on the ids; network admins publish new versions
rather than change these.
"""

from __future__ import annotations

from typing import Any

DEFAULT_VARIANTS: list[dict[str, Any]] = [
    {
        "id": "6f0b8a1e-2c3d-4e5f-8a9b-0c1d2e3f4a51",
        "slug": "deterrent",
        "kind": "deterrent",
        "weight": 1,
        "texts": {
            "en": {
                "title": "Stop. What you are searching for is illegal.",
                "crime": (
                    "Viewing, downloading or sharing sexual pictures and videos of children "
                    "is a crime, in almost every country."
                ),
                "harm": (
                    "Every one of these pictures and videos shows a real child being abused, "
                    "and every view adds to that child's harm."
                ),
                "consequences": (
                    "Searches and downloads can be traced. People are identified, arrested "
                    "and convicted for this, and it can cost them their family and their work."
                ),
                "help": (
                    "You can stop now. Confidential, free help is available, without giving "
                    "your name: talk to someone who understands."
                ),
            },
            "de": {
                "title": "Stopp. Wonach Sie suchen, ist verboten.",
                "crime": (
                    "Sexuelle Darstellungen von Kindern anzusehen, herunterzuladen oder zu "
                    "teilen, ist eine Straftat, in fast allen Ländern."
                ),
                "harm": (
                    "Jedes dieser Bilder zeigt ein echtes Kind, das missbraucht wurde, und "
                    "jeder Aufruf vergrößert das Leid dieses Kindes."
                ),
                "consequences": (
                    "Suchen und Downloads können zurückverfolgt werden. Menschen werden "
                    "dafür ermittelt, festgenommen und verurteilt, und sie können ihre "
                    "Familie und ihre Arbeit verlieren."
                ),
                "help": (
                    "Sie können jetzt aufhören. Es gibt vertrauliche, kostenlose Hilfe, "
                    "ohne dass Sie Ihren Namen nennen: Sprechen Sie mit jemandem, der "
                    "Sie versteht."
                ),
            },
        },
    },
    {
        "id": "6f0b8a1e-2c3d-4e5f-8a9b-0c1d2e3f4a52",
        "slug": "therapeutic",
        "kind": "therapeutic",
        "weight": 1,
        "texts": {
            "en": {
                "title": "You can get help to stop, confidentially.",
                "crime": (
                    "Sexual pictures and videos of children are illegal, and many people who "
                    "look for them wish they could stop."
                ),
                "harm": (
                    "The children in them are real and are harmed again each time "
                    "they are watched or shared."
                ),
                "consequences": (
                    "Carrying on can lead to a criminal record and to losing the people "
                    "and the life that matter to you."
                ),
                "help": (
                    "You are not alone with these thoughts, and they can be managed. Our "
                    "counsellors and therapists help people like you every day: "
                    "anonymously, free of charge and bound by confidentiality."
                ),
            },
            "de": {
                "title": "Sie können Hilfe bekommen, um aufzuhören, vertraulich.",
                "crime": (
                    "Sexuelle Darstellungen von Kindern sind verboten, und viele Menschen, "
                    "die danach suchen, wünschen sich, damit aufhören zu können."
                ),
                "harm": (
                    "Die Kinder auf diesen Bildern sind echt und werden jedes Mal erneut "
                    "verletzt, wenn die Bilder angesehen oder geteilt werden."
                ),
                "consequences": (
                    "Weiterzumachen kann zu einer Vorstrafe führen und dazu, dass Sie "
                    "die Menschen und das Leben verlieren, die Ihnen wichtig sind."
                ),
                "help": (
                    "Sie sind mit diesen Gedanken nicht allein, und man kann lernen, mit "
                    "ihnen umzugehen. Unsere Beraterinnen, Berater und Therapeuten helfen "
                    "jeden Tag Menschen wie Ihnen: anonym, kostenlos und unter "
                    "Schweigepflicht."
                ),
            },
        },
    },
    {
        "id": "6f0b8a1e-2c3d-4e5f-8a9b-0c1d2e3f4a53",
        "slug": "harm-and-help",
        "kind": "both",
        "weight": 1,
        "texts": {
            "en": {
                "title": "Behind every picture is a child who was hurt.",
                "crime": (
                    "Sexual pictures of children record a crime, and looking at them is one too."
                ),
                "harm": (
                    "The child in the picture lives with it for years: knowing the pictures "
                    "are still being watched is part of the harm."
                ),
                "consequences": (
                    "It has consequences for you as well: police find people through what "
                    "they search and download."
                ),
                "help": (
                    "If you want to stop, you can. Write to us anonymously or take a short, "
                    "anonymous self-check: confidential help, free, without judgement."
                ),
            },
            "de": {
                "title": "Hinter jedem Bild steht ein Kind, dem wehgetan wurde.",
                "crime": (
                    "Sexuelle Darstellungen von Kindern halten eine Straftat fest, und sie "
                    "anzusehen ist ebenfalls eine."
                ),
                "harm": (
                    "Das Kind auf dem Bild lebt jahrelang damit: Zu wissen, dass die Bilder "
                    "weiter angesehen werden, ist Teil des Leids."
                ),
                "consequences": (
                    "Es hat auch für Sie Folgen: Die Polizei findet Menschen über das, was "
                    "sie suchen und herunterladen."
                ),
                "help": (
                    "Wenn Sie aufhören wollen, können Sie das. Schreiben Sie uns anonym "
                    "oder machen Sie einen kurzen, anonymen Selbsttest: vertrauliche Hilfe, "
                    "kostenlos und ohne Verurteilung."
                ),
            },
        },
    },
]


def load_defaults(apps: object, schema_editor: object) -> None:
    """Create the shipped variants and their version-1 texts (a migration's RunPython)."""
    variant_model = apps.get_model("reach", "Variant")  # type: ignore[attr-defined]
    text_model = apps.get_model("reach", "VariantText")  # type: ignore[attr-defined]
    for item in DEFAULT_VARIANTS:
        variant, _created = variant_model.objects.get_or_create(
            id=item["id"],
            defaults={"slug": item["slug"], "kind": item["kind"], "weight": item["weight"]},
        )
        for language, text in item["texts"].items():
            if not text_model.objects.filter(variant=variant, language=language).exists():
                text_model.objects.create(variant=variant, language=language, version=1, **text)
