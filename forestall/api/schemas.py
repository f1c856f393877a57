"""Response schemas of the partner API (they make the OpenAPI document)."""

from __future__ import annotations

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
