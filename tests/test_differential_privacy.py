"""Optional differential privacy of the public release (OpenDP discrete Laplace)."""

from __future__ import annotations

import builtins
import csv
import datetime
import io

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.utils import timezone

from forestall.directory.models import Centre
from forestall.stats import dp
from forestall.stats import figures as fig
from forestall.stats.models import NoisyRelease
from forestall.stats.release import Release, public_release, release_period
from tests import factories
from tests.factories_stats import seed_counts

DP_ON = {"FORESTALL_STATISTICS_DP_EPSILON": 1.0}


# Every test here that has counts reads the same ones: they are recorded once
# for the module (``module_db``); what a test adds (a noisy release, an event)
# is rolled back after it. The other tests need no rows at all.


@pytest.fixture(scope="module")
def _counted_centre_ids(module_db) -> list:
    north, south = factories.make_region("North"), factories.make_region("South")
    centres = [
        factories.make_centre("Centre A", north),
        factories.make_centre("Centre B", north),
        factories.make_centre("Centre C", south),
    ]
    today = timezone.localdate()
    start = today.replace(day=1) - datetime.timedelta(days=400)
    seed_counts(centres, start=start, days=400, per_day=9, seed=5)
    return [centre.pk for centre in centres]


@pytest.fixture
def counts(_counted_centre_ids, db) -> None:
    """Four hundred days of events at centres A, B and C (recorded once per module)."""


@pytest.fixture
def centre_a(_counted_centre_ids, db) -> Centre:
    return Centre.objects.get(pk=_counted_centre_ids[0])


def all_figures(release: Release):
    """Every published count of the release: cells, totals and waiting-list sizes."""
    for table in release.tables.values():
        for _row, _column, value in table.records():
            yield table.id, value
        for row in table.cells:
            for value in row:
                yield table.id, value
    for _month, size in release.waiting_list:
        yield "waiting_list", size


def true_funnel_by_centre(release: Release) -> dict[tuple[str, str], int]:
    by_centre = fig.funnel_by(fig.Scope(), release.period, "centre_id")
    from forestall.directory.models import Centre

    slugs = dict(Centre.objects.values_list("pk", "slug"))
    return {
        (slugs[pk], str(step)): steps.get(step, 0)
        for pk, steps in by_centre.items()
        for step in fig.FUNNEL_STEPS
    }


def test_differential_privacy_is_off_by_default_and_the_release_is_the_true_counts(
    client, counts, settings
):
    assert settings.FORESTALL_STATISTICS_DP_EPSILON is None
    settings.FORESTALL_SUPPRESSION_THRESHOLD = 1
    release = public_release()
    assert release.differential_privacy is None
    table = release.tables["funnel_by_centre"]
    true = true_funnel_by_centre(release)
    for (row, _label), cells in zip(table.rows, table.cells, strict=True):
        for (column, _clabel), value in zip(table.columns, cells, strict=True):
            assert value == true[(row, column)]
    assert release.waiting_list
    data = client.get("/statistics/data.json").json()
    assert data["differential_privacy"] is None
    assert "differential_privacy" not in client.get("/statistics/data.csv").content.decode()
    assert not NoisyRelease.objects.exists()


def test_with_differential_privacy_published_counts_differ_from_the_true_counts(counts, settings):
    settings.FORESTALL_SUPPRESSION_THRESHOLD = 1
    settings.FORESTALL_STATISTICS_DP_EPSILON = 1.0
    release = public_release()
    table = release.tables["funnel_by_centre"]
    true = true_funnel_by_centre(release)
    published = {
        (row, column): value
        for (row, _label), cells in zip(table.rows, table.cells, strict=True)
        for (column, _clabel), value in zip(table.columns, cells, strict=True)
    }
    assert set(true) <= set(published)
    differences = [published[key] - true.get(key, 0) for key in published]
    assert sum(1 for d in differences if d != 0) > len(differences) // 2
    # The scale is K / epsilon: the noise is there, but not absurd.
    assert max(abs(d) for d in differences) < 40 * dp.SENSITIVITY


def test_the_noisy_release_is_drawn_once_per_period_so_downloads_cannot_average_it_away(
    client, counts, centre_a, settings
):
    settings.FORESTALL_STATISTICS_DP_EPSILON = 1.0
    first = client.get("/statistics/data.json").json()
    again = [client.get("/statistics/data.json").json() for _ in range(3)]
    assert all(download == first for download in again)
    assert client.get("/api/v1/statistics/").json()["tables"] == first["tables"]
    assert NoisyRelease.objects.count() == 1
    # More events in the period do not redraw (nor reveal themselves by a difference).
    period = release_period(timezone.localdate())
    from forestall.stats import actions
    from forestall.stats.events import Event

    actions.record(Event.CONTACT, centre=centre_a, day=period.start, count=50)
    assert client.get("/statistics/data.json").json()["tables"] == first["tables"]
    assert NoisyRelease.objects.count() == 1


def test_noisy_totals_are_the_sums_of_the_published_noisy_cells(counts, settings):
    settings.FORESTALL_SUPPRESSION_THRESHOLD = 1  # nothing withheld: every sum is visible
    settings.FORESTALL_STATISTICS_DP_EPSILON = 1.0
    release = public_release()
    for table in release.tables.values():
        if table.column_totals is not None:
            for j, total in enumerate(table.column_totals):
                assert total == sum(row[j] for row in table.cells), table.id
        if table.row_totals is not None:
            for row, total in zip(table.cells, table.row_totals, strict=True):
                assert total == sum(row), table.id
        if table.has_total:
            assert table.total == sum(map(sum, table.cells)), table.id
    # A region's row is the sum of its centres' rows.
    regions = release.tables["funnel_by_region"]
    centres = release.tables["funnel_by_centre"]
    columns = len(centres.columns)
    assert [sum(row[j] for row in regions.cells[:-1]) for j in range(columns)] == [
        sum(row[j] for row in centres.cells) for j in range(columns)
    ]


def test_no_published_noisy_count_is_negative(counts, settings):
    settings.FORESTALL_SUPPRESSION_THRESHOLD = 1
    settings.FORESTALL_STATISTICS_DP_EPSILON = 0.05  # a lot of noise: many would go below zero
    release = public_release()
    values = [value for _table, value in all_figures(release)]
    assert values and all(value >= 0 for value in values if value is not None)
    assert 0 in values  # clamped cells exist


def test_suppression_still_holds_on_the_noisy_release(counts, settings):
    settings.FORESTALL_STATISTICS_DP_EPSILON = 2.0
    release = public_release()
    threshold = release.threshold
    assert threshold == 5
    for table_id, value in all_figures(release):
        assert value is None or not 0 < value < threshold, table_id
    assert release.waiting_list == []  # not published under differential privacy
    for estimate in release.estimates.values():
        for count in (estimate.numerator, estimate.denominator):
            assert count is None or not 0 < count < threshold


def test_the_metadata_states_the_budget_in_json_csv_and_the_api(client, counts, settings):
    settings.FORESTALL_STATISTICS_DP_EPSILON = 1.0
    data = client.get("/statistics/data.json").json()
    budget = data["differential_privacy"]
    assert budget["epsilon"] == 1.0
    assert budget["mechanism"] == "discrete_laplace"
    assert budget["sensitivity"] == dp.SENSITIVITY == sum(budget["contribution_bounds"].values())
    assert budget["per_cell_epsilon"] == pytest.approx(1.0 / dp.SENSITIVITY)
    assert budget["scale"] == pytest.approx(dp.SENSITIVITY / 1.0)
    rows = list(csv.reader(io.StringIO(client.get("/statistics/data.csv").content.decode())))
    metadata = {row[1]: row[3] for row in rows if row[0] == "differential_privacy"}
    assert metadata["epsilon"] == "1.0"
    assert metadata["mechanism"] == "discrete_laplace"
    assert float(metadata["per_cell_epsilon"]) == pytest.approx(1.0 / dp.SENSITIVITY)
    assert client.get("/api/v1/statistics/").json()["differential_privacy"] == budget


def test_the_public_page_says_plainly_that_differential_privacy_is_on_in_english_and_german(
    client, counts, settings
):
    off = client.get("/statistics/").content.decode()
    assert "differential privacy" not in off
    settings.FORESTALL_STATISTICS_DP_EPSILON = 1.0
    english = client.get("/statistics/").content.decode()
    assert "differential privacy, with a privacy budget of ε = 1 for this whole release" in english
    assert "is not published while differential privacy is on" in english
    german = client.get("/de/statistics/").content.decode()
    assert "Differential Privacy" in german
    assert "Datenschutzbudget von ε = 1 für diese gesamte" in german
    assert "Wartelisten stehen, wird nicht" in german


def test_the_mechanism_adds_discrete_laplace_noise_of_the_documented_scale():
    scale = 4.0
    draws = dp.add_noise([0] * 20000, scale)
    assert all(isinstance(value, int) for value in draws)
    mean_absolute = sum(abs(value) for value in draws) / len(draws)
    expected = dp.expected_absolute_noise(scale)
    # P(k) ∝ a^|k| with a = exp(-1/scale): E|X| = 2a / (1 - a²) ≈ 3.958 for scale 4
    assert expected == pytest.approx(3.958, abs=0.002)
    assert mean_absolute == pytest.approx(expected, rel=0.06)
    assert abs(sum(draws) / len(draws)) < 0.2  # unbiased
    budget = dp.Budget(epsilon=1.0)
    assert budget.scale == dp.SENSITIVITY
    assert budget.per_cell_epsilon * dp.SENSITIVITY == pytest.approx(budget.epsilon)


def test_the_startup_check_fails_loudly_when_opendp_is_missing(settings, monkeypatch):
    assert dp.check_opendp() == []  # off: nothing to check
    settings.FORESTALL_STATISTICS_DP_EPSILON = 1.0
    assert dp.check_opendp() == []
    real_import = builtins.__import__

    def no_opendp(name, *args, **kwargs):
        if name == "opendp" or name.startswith("opendp."):
            raise ImportError("No module named 'opendp'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_opendp)
    errors = dp.check_opendp()
    assert [error.id for error in errors] == ["forestall.stats.E002"]
    assert "OpenDP is not installed" in errors[0].msg
    assert "\n" not in errors[0].msg
    with pytest.raises(SystemCheckError, match="OpenDP is not installed"):
        call_command("check")


def test_the_startup_check_rejects_an_epsilon_that_is_not_positive(settings):
    settings.FORESTALL_STATISTICS_DP_EPSILON = 0.0
    assert [error.id for error in dp.check_opendp()] == ["forestall.stats.E001"]
