"""Retention of research consents: kept as long as the case they belong to.

A consent holds no content (the study, the dates, who recorded it); it is
the proof that an export may include a case, and an export must be
reproducible for as long as the study's data may be asked about.
"""

from __future__ import annotations

from forestall.lib.retention import exempt

exempt(
    "research.ResearchConsent",
    "no content, the proof that an export may include a case: kept with the de-identified case",
)
