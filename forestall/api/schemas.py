"""Response schemas of the partner API (they make the OpenAPI document)."""

from __future__ import annotations

from datetime import date
from typing import Literal
from uuid import UUID

from ninja import Field, Schema


class Label(Schema):
    key: str
    label: str


class Period(Schema):
    start: str
    end: str


class DisclosureControl(Schema):
    threshold: int
    rounding_base: int
    withheld_marker: None = None


class DifferentialPrivacy(Schema):
    epsilon: float
    mechanism: str
    per_cell_epsilon: float
    sensitivity: int
    scale: float
    contribution_bounds: dict[str, int]


class StatisticsTable(Schema):
    id: str
    title: str
    row_dimension: str
    column_dimension: str
    rows: list[Label]
    columns: list[Label]
    cells: list[list[int | None]]
    row_totals: list[int | None] | None
    column_totals: list[int | None] | None
    total: int | None


class Estimate(Schema):
    id: str
    label: str
    statistic: str
    unit: str
    value: float | None
    lower: float | None
    upper: float | None
    numerator: int | None
    denominator: int | None
    open_ended: bool


class WaitingListMonth(Schema):
    month: str
    people_waiting: int | None


class StatisticsRelease(Schema):
    schema_: str = Field(alias="schema")
    period: Period
    disclosure_control: DisclosureControl
    differential_privacy: DifferentialPrivacy | None = None
    tables: list[StatisticsTable]
    estimates: list[Estimate]
    waiting_list: list[WaitingListMonth]


class TableSummary(Schema):
    id: str
    title: str
    row_dimension: str
    column_dimension: str


class FunnelStep(Schema):
    step: str
    label: str
    count: int | None


class Funnel(Schema):
    period: Period
    steps: list[FunnelStep]


class Error(Schema):
    detail: str


# --- Reach (/api/v1/reach/) --------------------------------------------------
# The reach views write their bodies themselves (a signed body must be sent
# byte for byte, and the impressions report is checked by hand so that unknown
# fields are refused by name); these schemas document exactly those bodies.


class ReachError(Schema):
    """Every 4xx of the reach API: ``detail`` says what is wrong in words."""

    detail: str = Field(description="What is wrong, in English.")
    fields: list[str] | None = Field(
        None, description="The fields at fault (unknown, missing or malformed), by path."
    )
    problems: list[str] | None = Field(
        None, description="Every problem of a report, one a line (at most 100)."
    )
    languages: list[str] | None = Field(None, description="The languages there are.")
    key_ids: list[str] | None = Field(None, description="The ids of the published keys.")


class CatalogueElements(Schema):
    """The four elements Project Intercept requires of every message, as plain text."""

    crime: str = Field(description="It is a crime.")
    harm: str = Field(description="It harms children.")
    consequences: str = Field(description="There are consequences.")
    help: str = Field(description="Confidential help is available.")


class CatalogueVariant(Schema):
    id: UUID = Field(description="The variant's id (stable across text versions).")
    slug: str
    kind: Literal["deterrent", "therapeutic", "both"]
    language: str = Field(description="The language of the texts, e.g. 'en'.")
    text_version: int = Field(ge=1, description="The published version of this text.")
    title: str = Field(description="Plain text: escape it when rendering.")
    body: str = Field(description="The four elements as paragraphs, separated by a blank line.")
    elements: CatalogueElements
    help_url: str = Field(description="The landing page; replace {partner} with your short name.")
    onion_url: str | None = Field(
        None, description="The landing page on the network's onion address, where there is one."
    )
    weight: int = Field(ge=0, description="Allocate variants at random in proportion to this.")


class Catalogue(Schema):
    version: str = Field(description="Changes whenever a text or a weight changes.")
    language: str
    variants: list[CatalogueVariant]


class PublishedKey(Schema):
    key_id: str
    public_key: str = Field(description="Base64 of the 32 raw bytes of the Ed25519 public key.")


class PublicKey(Schema):
    key_id: str = Field(description="The key asked for (by default the one signing now).")
    algorithm: Literal["Ed25519"]
    public_key: str = Field(description="Base64 of the 32 raw bytes of the Ed25519 public key.")
    keys: list[PublishedKey] = Field(description="Every published key, the signing one last.")


class ImpressionCount(Schema):
    model_config = {"extra": "forbid"}

    variant: UUID = Field(description="A variant id from the catalogue.")
    language: str = Field(pattern=r"^[a-z]{2,3}$", description="The language it was shown in.")
    impressions: int = Field(ge=0, description="How often it was shown on that day.")


class ImpressionReport(Schema):
    """A partner's impressions of one day. No other field is accepted (400 names it)."""

    model_config = {"extra": "forbid"}

    day: date = Field(description="YYYY-MM-DD, today or earlier.")
    counts: list[ImpressionCount] = Field(max_length=10_000)


class ImpressionReceipt(Schema):
    partner: str = Field(description="The short name of the partner the key belongs to.")
    day: date
    rows: int = Field(ge=0, description="Counts stored (a resend replaces them).")


def component_schemas(*models: type[Schema]) -> dict[str, object]:
    """JSON schemas of ``models`` (and what they refer to) for ``components.schemas``."""
    from pydantic.json_schema import models_json_schema

    _keys, found = models_json_schema(
        [(model, "validation") for model in models],
        ref_template="#/components/schemas/{model}",
    )
    return dict(found.get("$defs", {}))
