"""Which self-help modules the front door points to: by pathway, and by the self-check's answer.

The self-check's results and the pathway pages link into the modules that
fit (not only to a programme's list), in the reader's language and with the
titles of the versions shown now.
"""

from __future__ import annotations

from django.urls import reverse
from django.utils import translation

from forestall.selfhelp.content import catalogue

# (programme, module) to start with, per pathway of the front door.
MODULES_FOR_PATHWAY = {
    "self": (("self", "understanding"), ("self", "online"), ("self", "safety-plan")),
    "other": (("family", "signs"), ("family", "talking"), ("family", "children-safe")),
    "professional": (("family", "signs"), ("family", "children-safe")),
}
# The self-check's "What worries you most?" answer → the module that fits it best.
MODULE_FOR_WORRY = {
    "own_thoughts": ("self", "understanding"),
    "images": ("self", "online"),
    "someone_else": ("family", "signs"),
    "professional": ("family", "children-safe"),
}


def matching_modules(pathway: str, worry: str = "") -> list[tuple[str, str]]:
    """(title, address) of the modules that fit, the one for ``worry`` first."""
    wanted = []
    if worry in MODULE_FOR_WORRY:
        wanted.append(MODULE_FOR_WORRY[worry])
    wanted += [m for m in MODULES_FOR_PATHWAY.get(pathway, ()) if m not in wanted]
    language = translation.get_language() or "en"
    shown = catalogue()
    links = []
    for programme_slug, module_slug in wanted:
        found = shown.find(programme_slug, module_slug)
        if found is not None:
            title = found[1].text(language).title
            url = reverse("selfhelp:module", args=[programme_slug, module_slug])
            links.append((title, url))
    return links
