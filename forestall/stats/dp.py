"""Optional differential privacy for the public release (OpenDP, discrete Laplace).

Off unless ``FORESTALL_STATISTICS_DP_EPSILON`` is set (the total privacy
budget ε of one release period). Staff dashboards never use it.

**Privacy unit.** One person's events in one release period. The counts
carry no person id (by design), so how much one person can change them is an
assumption about the service, written down in ``CONTRIBUTION_BOUNDS``: per
group of cells, how many cells one person's events can raise, each by at most
one. Their sum ``K`` is the L1 sensitivity of the vector of all noised cells.

**Mechanism and budget.** Every noised cell (zeros included) gets
independent discrete Laplace noise (OpenDP ``make_laplace`` over integers,
a two-sided geometric distribution) with scale ``K / ε``. For a vector with
L1 sensitivity ``K`` that is ε-differentially private as a whole; read per
cell it is ``ε / K`` each, added up over the ``K`` cells a person can touch
(sequential composition). Everything published is computed from the noisy
cells only (totals, rates, percentiles: post-processing costs no budget).

**Drawn once.** OpenDP draws from its own CSPRNG and cannot be seeded, so the
noisy cells are stored per release period (``NoisyRelease``) and every later
request serves exactly those numbers: downloading the release many times
cannot average the noise away, and later corrections to the counts of a
closed period do not change (or leak through) the published figures.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.checks import Error, register
from django.db import IntegrityError, transaction

MECHANISM = "discrete_laplace"

# How many cells of each group one person's events in one release period can
# raise (each by one). Assumptions, not enforced: a person who exceeds them
# is protected with a proportionally larger ε (group privacy).
CONTRIBUTION_BOUNDS: dict[str, int] = {
    # one event per funnel step (contact, case opened, assessed, therapy
    # started, therapy completed), at one centre or at none
    "funnel": 5,
    # one first contact, counted once in each of the three reach tables
    # (month by pathway, by channel and by language)
    "reach": 3,
    # leaves once: one reason at one stage
    "exits": 1,
    # each of the 8 kinds of protective action agreed once and taken once
    "protective": 16,
    # one first reply, one wait for therapy, one concern decision
    "times": 3,
    # one finished course of outcome measures, counted once by caseness
    "finished": 1,
    # recovered, reliably improved, reliably deteriorated: at most once each
    "outcomes": 3,
}
SENSITIVITY: int = sum(CONTRIBUTION_BOUNDS.values())


class OpenDPMissing(RuntimeError):
    pass


@dataclass(frozen=True)
class Budget:
    """What the metadata of the release says about differential privacy."""

    epsilon: float
    sensitivity: int = SENSITIVITY

    @property
    def per_cell_epsilon(self) -> float:
        return self.epsilon / self.sensitivity

    @property
    def scale(self) -> float:
        return self.sensitivity / self.epsilon

    @property
    def mean_absolute_noise(self) -> float:
        return expected_absolute_noise(self.scale)

    def as_json(self) -> dict[str, Any]:
        return {
            "epsilon": self.epsilon,
            "mechanism": MECHANISM,
            "per_cell_epsilon": self.per_cell_epsilon,
            "sensitivity": self.sensitivity,
            "scale": self.scale,
            "contribution_bounds": dict(CONTRIBUTION_BOUNDS),
        }


def configured_budget() -> Budget | None:
    """The budget from the settings, or ``None`` when differential privacy is off."""
    epsilon = settings.FORESTALL_STATISTICS_DP_EPSILON
    if epsilon is None:
        return None
    return Budget(epsilon=float(epsilon))


def _opendp() -> Any:
    try:
        import opendp.prelude as dp
    except ImportError as error:
        raise OpenDPMissing(
            "FORESTALL_STATISTICS_DP_EPSILON is set but OpenDP is not installed: "
            'pip install "forestall[dp]" (or unset the variable)'
        ) from error
    dp.enable_features("contrib")
    return dp


def add_noise(values: Sequence[int], scale: float) -> list[int]:
    """``values`` plus independent discrete Laplace noise of ``scale`` (OpenDP)."""
    if not values:
        return []
    dp = _opendp()
    measurement = dp.m.make_laplace(
        dp.vector_domain(dp.atom_domain(T=int)), dp.l1_distance(T=int), scale=float(scale)
    )
    return [int(value) for value in measurement([int(v) for v in values])]


def expected_absolute_noise(scale: float) -> float:
    """E|X| of the discrete Laplace with P(x) ∝ exp(-|x| / scale)."""
    if scale <= 0:
        return 0.0
    a = math.exp(-1.0 / scale)
    return 2 * a / ((1 - a) * (1 + a))


def privatise(period: Any, cells: dict[str, int], budget: Budget) -> dict[str, int]:
    """The noisy cells of ``period``: drawn once, stored, then always the same.

    Cells already drawn for the period keep their stored value; cells seen
    for the first time (a new centre, say) are drawn now and stored. Noisy
    counts below zero are published as zero.
    """
    from forestall.stats.models import NoisyRelease

    key = {"period_start": period.start, "period_end": period.end, "epsilon": budget.epsilon}
    stored = NoisyRelease.objects.filter(**key).values_list("cells", flat=True).first() or {}
    if any(name not in stored for name in cells):
        stored = _draw_missing(key, cells, budget)
    return {name: stored[name] for name in cells}


def _draw_missing(key: dict[str, Any], cells: dict[str, int], budget: Budget) -> dict[str, int]:
    from forestall.stats.models import NoisyRelease

    for _attempt in range(3):
        try:
            with transaction.atomic():
                release, _created = NoisyRelease.objects.select_for_update().get_or_create(**key)
                missing = [name for name in cells if name not in release.cells]
                noisy = add_noise([cells[name] for name in missing], budget.scale)
                release.cells.update(
                    {name: max(value, 0) for name, value in zip(missing, noisy, strict=True)}
                )
                if missing:
                    release.save(update_fields=["cells"])
                return dict(release.cells)
        except IntegrityError:  # another request created the row first: read it
            continue
    raise RuntimeError("could not store the noisy release")  # pragma: no cover


@register()
def check_opendp(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    """Startup check: differential privacy switched on needs OpenDP and a positive ε."""
    epsilon = settings.FORESTALL_STATISTICS_DP_EPSILON
    if epsilon is None:
        return []
    if not epsilon > 0 or math.isinf(epsilon):
        return [
            Error(
                "FORESTALL_STATISTICS_DP_EPSILON must be a positive number.",
                id="forestall.stats.E001",
            )
        ]
    try:
        _opendp()
    except OpenDPMissing as error:
        return [Error(str(error), id="forestall.stats.E002")]
    return []
