"""Turning figures into what the pages show: tables, charts and readable durations.

Shared by the staff dashboard (figures as they are) and the public page (the
suppressed release); the two sides keep their own views and templates.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from forestall.public.models import Pathway
from forestall.stats import charts
from forestall.stats import figures as fig
from forestall.stats.events import EXIT_EVENTS, Detail, DurationBucket, Event
from forestall.stats.models import CountChannel, CountLanguage

DASH = "\u2013"


@dataclass
class Table:
    """A data table: a caption, column headings, and rows of (heading, values)."""

    caption: str
    columns: list[str]
    rows: list[tuple[str, list[Any]]] = field(default_factory=list)


def month_label(month: datetime.date) -> str:
    return date_format(month, "M Y")


def format_hours(hours: float | None, open_ended: bool = False) -> str:
    """A duration in words at a sensible unit: hours, days or weeks."""
    if open_ended:
        return _("over 6 months")
    if hours is None:
        return DASH
    if hours < 24:
        value = max(round(hours), 1)
        return ngettext("%(n)s hour", "%(n)s hours", value) % {"n": value}
    days = hours / 24
    if days < 14:
        value = max(round(days), 1)
        return ngettext("%(n)s day", "%(n)s days", value) % {"n": value}
    value = round(days / 7)
    return ngettext("%(n)s week", "%(n)s weeks", value) % {"n": value}


def format_rate(value: float | None) -> str:
    if value is None:
        return DASH
    return f"{value * 100:.1f}\u00a0%"


def estimate(value: fig.DurationEstimate | None) -> str:
    if value is None:
        return DASH
    return format_hours(value.hours, value.open_ended)


def labels_for(dimension: str) -> dict[str, str]:
    choices = {"pathway": Pathway, "channel": CountChannel, "language": CountLanguage}[dimension]
    labels = {value: str(label) for value, label in choices.choices}
    labels[""] = _("Not recorded")
    return labels


# --- the staff dashboard ----------------------------------------------------


def dashboard(
    figures: fig.Figures, *, breakdowns: list[tuple[str, dict[str, dict[str, int]]]]
) -> dict[str, Any]:
    """Everything the staff dashboard template needs, from unsuppressed figures."""
    funnel = figures.funnel
    step_labels = [str(fig.FUNNEL_LABELS[s]) for s in fig.FUNNEL_STEPS]
    funnel_table = Table(
        _("The funnel: how many reached each step"),
        [_("Step"), _("Number"), _("Fewer than the step before")],
    )
    previous = None
    for step, label in zip(fig.FUNNEL_STEPS, step_labels, strict=True):
        value = funnel.steps.get(step, 0)
        funnel_table.rows.append((label, [value, "" if previous is None else previous - value]))
        previous = value
    stages = list(fig.EXIT_STAGES)
    exits_table = Table(
        _("Losses: who left, by reason and by the stage they left at"),
        [_("Reason"), *[str(Detail(s).label) for s in stages], _("Total")],
    )
    for exit_event in EXIT_EVENTS:
        row = [funnel.exits[exit_event].get(s, 0) for s in stages]
        exits_table.rows.append((str(Event(exit_event).label), [*row, sum(row)]))

    months = figures.period.months()
    month_labels = [month_label(m) for m in months]
    trend_events = (Event.CONTACT, Event.MAILBOX_STARTED, Event.SELF_CHECK_COMPLETED)
    trend_table = Table(
        _("Contacts, mailboxes and self-checks per month"),
        [_("Month"), *[str(Event(e).label) for e in trend_events]],
    )
    for month, label in zip(months, month_labels, strict=True):
        trend_table.rows.append(
            (label, [figures.monthly.get(e, {}).get(month, 0) for e in trend_events])
        )
    reach_tables = []
    for dimension, caption in (
        ("pathway", _("First contacts per month by pathway")),
        ("channel", _("First contacts per month by channel")),
        ("language", _("First contacts per month by language")),
    ):
        by_value = figures.reach.get(dimension, {})
        labels = labels_for(dimension)
        values = [v for v in labels if v in by_value]
        table = Table(caption, [_("Month"), *[labels[v] for v in values]])
        for month, label in zip(months, month_labels, strict=True):
            table.rows.append((label, [by_value[v].get(month, 0) for v in values]))
        reach_tables.append(table)

    def bucket_table(event: str, caption: str) -> tuple[Table, Any]:
        counts = figures.durations[event].counts
        table = Table(caption, [_("Time"), _("Number")])
        items = []
        for bucket in fig.BUCKETS:
            label = str(DurationBucket(bucket).label)
            table.rows.append((label, [counts.get(bucket, 0)]))
            items.append((label, counts.get(bucket, 0)))
        chart = charts.bar_chart(f"chart-{event}", items, title=caption, colour=charts.PALETTE[2])
        return table, chart

    reply_table, reply_chart = bucket_table(Event.FIRST_REPLY_SENT, _("Time to the first reply"))
    wait_table, wait_chart = bucket_table(
        Event.THERAPY_STARTED, _("Time on the waiting list before therapy started")
    )
    concern_table, concern_chart = bucket_table(
        Event.CONCERN_DECIDED, _("Time from a safeguarding concern to its decision")
    )
    waiting_table = Table(
        _("People on waiting lists at the end of each month"), [_("Month"), _("People waiting")]
    )
    for month, label in zip(months, month_labels, strict=True):
        waiting_table.rows.append((label, [figures.waiting_list.get(month, 0)]))

    outcome_labels = {
        "recovery": _("Recovery (of courses that started at caseness)"),
        "reliable_improvement": _("Reliable improvement"),
        "reliable_deterioration": _("Reliable deterioration"),
    }
    outcomes_table = Table(
        _("Outcomes of finished courses, with 95 per cent confidence intervals"),
        [_("Measure"), _("Number"), _("Of"), _("Rate"), _("95 per cent interval")],
    )
    for key, proportion in figures.outcomes.items():
        interval = proportion.interval
        outcomes_table.rows.append(
            (
                str(outcome_labels[key]),
                [
                    proportion.numerator,
                    proportion.denominator,
                    format_rate(proportion.rate),
                    f"{format_rate(interval[0])} {DASH} {format_rate(interval[1])}"
                    if interval
                    else DASH,
                ],
            )
        )
    protective_table = Table(
        _("Protective actions agreed and taken"), [_("Action"), _("Agreed"), _("Taken")]
    )
    for kind, counts in figures.protective.items():
        protective_table.rows.append((str(Detail(kind).label), [counts["agreed"], counts["taken"]]))

    breakdown_tables = []
    for caption, rows in breakdowns:
        table = Table(caption, [_("Where"), *step_labels])
        for name, steps in rows.items():
            table.rows.append((name, [steps.get(s, 0) for s in fig.FUNNEL_STEPS]))
        breakdown_tables.append(table)

    answered = figures.answered_share
    return {
        "funnel_table": funnel_table,
        "funnel_chart": charts.bar_chart(
            "chart-funnel",
            [
                (label, funnel.steps.get(step, 0))
                for step, label in zip(fig.FUNNEL_STEPS, step_labels, strict=True)
            ],
            title=str(funnel_table.caption),
        ),
        "exits_table": exits_table,
        "exits_chart": charts.bar_chart(
            "chart-exits",
            [(str(Detail(s).label), funnel.exit_total(s)) for s in stages],
            title=_("Losses by the stage people left at"),
            colour=charts.PALETTE[1],
        ),
        "breakdown_tables": breakdown_tables,
        "trend_table": trend_table,
        "trend_chart": charts.line_chart(
            "chart-trend",
            month_labels,
            [
                (str(Event(e).label), [figures.monthly.get(e, {}).get(m, 0) for m in months])
                for e in trend_events
            ],
            title=str(trend_table.caption),
        ),
        "reach_tables": reach_tables,
        "reply_table": reply_table,
        "reply_chart": reply_chart,
        "reply_median": estimate(figures.durations[Event.FIRST_REPLY_SENT].median),
        "reply_p90": estimate(figures.durations[Event.FIRST_REPLY_SENT].p90),
        "answered": answered,
        "answered_rate": format_rate(answered.rate),
        "wait_table": wait_table,
        "wait_chart": wait_chart,
        "wait_median": estimate(figures.durations[Event.THERAPY_STARTED].median),
        "wait_p90": estimate(figures.durations[Event.THERAPY_STARTED].p90),
        "concern_table": concern_table,
        "concern_chart": concern_chart,
        "concern_median": estimate(figures.durations[Event.CONCERN_DECIDED].median),
        "concern_p90": estimate(figures.durations[Event.CONCERN_DECIDED].p90),
        "waiting_table": waiting_table,
        "waiting_chart": charts.line_chart(
            "chart-waiting",
            month_labels,
            [(_("People waiting"), [figures.waiting_list.get(m, 0) for m in months])],
            title=str(waiting_table.caption),
        ),
        "outcomes_table": outcomes_table,
        "courses_finished": figures.totals.get(Event.COURSE_FINISHED, 0),
        "protective_table": protective_table,
        "protective_chart": charts.bar_chart(
            "chart-protective",
            [(str(Detail(k).label), c["agreed"]) for k, c in figures.protective.items()],
            title=_("Protective actions agreed"),
            colour=charts.PALETTE[3],
        ),
    }
