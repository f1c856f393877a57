"""Demo centres: four centres in three regions with different languages and services."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from forestall.demo import DemoNetwork
from forestall.directory.models import Centre, Channel, Language, Region, Service

# slug, English name, German name
REGIONS = [
    ("berlin", "Berlin", "Berlin"),
    ("north", "Northern Germany", "Norddeutschland"),
    ("bavaria", "Bavaria", "Bayern"),
]

# Each centre differs in languages, services and channels so that every
# finder filter can be tried: Kiel is the only one with Polish, Regensburg
# the only one without secure messaging, Hamburg the only one for young people.
CENTRES: list[dict[str, Any]] = [
    {
        "slug": "berlin",
        "name": "Prevention Centre Berlin",
        "name_de": "Präventionszentrum Berlin",
        "region": "berlin",
        "accepts_new_clients": True,
        "typical_wait_weeks": 6,
        "description": (
            "Confidential therapy for adults who are worried about their sexual "
            "thoughts about children, and advice for the people close to them."
        ),
        "description_de": (
            "Vertrauliche Therapie für Erwachsene, die sich wegen ihrer sexuellen Gedanken "
            "über Kinder Sorgen machen, und Beratung für die Menschen, die ihnen nahestehen."
        ),
        "address": "Luisenstraße 57\n10117 Berlin",
        "latitude": Decimal("52.52437"),
        "longitude": Decimal("13.37955"),
        "opening_hours": "Mon-Thu 9:00-18:00\nFri 9:00-14:00",
        "public_phone": "+49 30 0000 0001",
        "public_email": "berlin@example.org",
        "public_website": "https://example.org/berlin",
        "languages": [Language.GERMAN, Language.ENGLISH, Language.TURKISH, Language.ARABIC],
        "services": [Service.OWN_THOUGHTS, Service.IMAGES, Service.FAMILY_FRIENDS],
        "channels": [Channel.IN_PERSON, Channel.PHONE, Channel.VIDEO, Channel.MESSAGING],
    },
    {
        "slug": "hamburg",
        "name": "Prevention Centre Hamburg",
        "name_de": "Präventionszentrum Hamburg",
        "region": "north",
        "accepts_new_clients": True,
        "typical_wait_weeks": 10,
        "description": (
            "Help for adults and for young people with harmful sexual behaviour, "
            "and consultations for professionals."
        ),
        "description_de": (
            "Hilfe für Erwachsene und für Jugendliche mit sexuell grenzverletzendem Verhalten "
            "sowie Beratung für Fachkräfte."
        ),
        "address": "Martinistraße 52\n20246 Hamburg",
        "latitude": Decimal("53.58860"),
        "longitude": Decimal("9.97530"),
        "opening_hours": "Mon-Fri 8:30-16:30",
        "public_phone": "+49 40 0000 0002",
        "public_email": "hamburg@example.org",
        "public_website": "",
        "languages": [Language.GERMAN, Language.ENGLISH, Language.RUSSIAN],
        "services": [
            Service.OWN_THOUGHTS,
            Service.IMAGES,
            Service.YOUNG_PEOPLE,
            Service.PROFESSIONALS,
        ],
        "channels": [Channel.IN_PERSON, Channel.PHONE, Channel.MESSAGING],
    },
    {
        "slug": "kiel",
        "name": "Prevention Centre Kiel",
        "name_de": "Präventionszentrum Kiel",
        "region": "north",
        "accepts_new_clients": False,
        "typical_wait_weeks": 16,
        "description": "Therapy in small groups and one-to-one, in German and Polish.",
        "description_de": "Therapie in kleinen Gruppen und einzeln, auf Deutsch und Polnisch.",
        "address": "Niemannsweg 147\n24105 Kiel",
        "latitude": Decimal("54.33720"),
        "longitude": Decimal("10.13930"),
        "opening_hours": "Tue and Thu 10:00-19:00",
        "public_phone": "",
        "public_email": "kiel@example.org",
        "public_website": "",
        "languages": [Language.GERMAN, Language.POLISH],
        "services": [Service.OWN_THOUGHTS, Service.FAMILY_FRIENDS],
        "channels": [Channel.IN_PERSON, Channel.VIDEO],
    },
    {
        "slug": "regensburg",
        "name": "Prevention Centre Regensburg",
        "name_de": "Präventionszentrum Regensburg",
        "region": "bavaria",
        "accepts_new_clients": True,
        "typical_wait_weeks": 4,
        "description": "Consultations in person for adults, their families and professionals.",
        "description_de": "Beratung vor Ort für Erwachsene, ihre Familien und Fachkräfte.",
        "address": "Universitätsstraße 84\n93053 Regensburg",
        "latitude": Decimal("48.99850"),
        "longitude": Decimal("12.09530"),
        "opening_hours": "Mon, Wed, Fri 9:00-15:00",
        "public_phone": "+49 941 0000 0004",
        "public_email": "",
        "public_website": "https://example.org/regensburg",
        "languages": [Language.GERMAN, Language.FRENCH],
        "services": [Service.IMAGES, Service.FAMILY_FRIENDS, Service.PROFESSIONALS],
        "channels": [Channel.IN_PERSON, Channel.PHONE],
    },
]


def seed(network: DemoNetwork) -> None:
    regions = {}
    for slug, name, name_de in REGIONS:
        regions[slug], _created = Region.objects.update_or_create(
            slug=slug, defaults={"name": name, "name_de": name_de}
        )
    for spec in CENTRES:
        fields = dict(spec)
        slug = fields.pop("slug")
        languages = fields.pop("languages")
        services = fields.pop("services")
        channels = fields.pop("channels")
        fields["region"] = regions[fields["region"]]
        centre, _created = Centre.objects.update_or_create(slug=slug, defaults=fields)
        centre.set_offers(languages=languages, services=services, channels=channels)
        network.centres[slug] = centre
    network.say(f"  centres: {', '.join(network.centres)}")
