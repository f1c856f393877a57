"""Demo centres: four centres in three regions with different languages and services."""

from __future__ import annotations

from forestall.demo import DemoNetwork
from forestall.directory.models import Centre, Region

REGIONS = [
    ("berlin", "Berlin"),
    ("north", "Northern Germany"),
    ("bavaria", "Bavaria"),
]

CENTRES = [
    # slug, name, region, accepts new clients, typical wait (weeks)
    ("berlin", "Prevention Centre Berlin", "berlin", True, 6),
    ("hamburg", "Prevention Centre Hamburg", "north", True, 10),
    ("kiel", "Prevention Centre Kiel", "north", False, 16),
    ("regensburg", "Prevention Centre Regensburg", "bavaria", True, 4),
]


def seed(network: DemoNetwork) -> None:
    regions = {}
    for slug, name in REGIONS:
        regions[slug], _created = Region.objects.update_or_create(
            slug=slug, defaults={"name": name}
        )
    for slug, name, region, accepts, wait in CENTRES:
        centre, _created = Centre.objects.update_or_create(
            slug=slug,
            defaults={
                "name": name,
                "region": regions[region],
                "accepts_new_clients": accepts,
                "typical_wait_weeks": wait,
            },
        )
        network.centres[slug] = centre
    network.say(f"  centres: {', '.join(network.centres)}")
