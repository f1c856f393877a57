"""State changes of reach: partners, keys, the catalogue, its counts (each one transaction)."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, connection, transaction
from django.db.models import Max
from django.utils import timezone

from forestall.audit.actions import record_event
from forestall.lib.locking import lock_rows
from forestall.lib.pagecache import public_pages_changed
from forestall.lib.stale_edits import check_newest_version, check_unchanged
from forestall.reach import keys
from forestall.reach.models import (
    ImpressionCount,
    Partner,
    PartnerKey,
    Variant,
    VariantText,
)

if TYPE_CHECKING:
    from forestall.accounts.models import User


def create_partner(
    slug: str,
    name: str,
    kind: str,
    *,
    languages: str = "",
    contact: str = "",
    by: User | None,
) -> Partner:
    """Register a partner platform (audited)."""
    with transaction.atomic():
        partner = Partner.objects.create(
            slug=slug, name=name, kind=kind, languages=languages, contact=contact
        )
        record_event(by, "reach.partner.create", partner)
        # The landing page recognises partners from a kept list (reach.public_views).
        transaction.on_commit(public_pages_changed)
    return partner


def issue_key(partner: Partner, *, name: str = "", by: User | None) -> tuple[PartnerKey, str]:
    """Make a new key for ``partner``; return the row and the key, which is never shown again."""
    for _attempt in range(5):
        key, prefix = keys.new_key()
        try:
            with transaction.atomic():
                row = PartnerKey.objects.create(
                    partner=partner,
                    name=name,
                    prefix=prefix,
                    key_hash=keys.key_hash(key),
                    created_by=by,
                )
                record_event(by, "reach.key.create", row)
            return row, key
        except IntegrityError:  # pragma: no cover - a 40-bit prefix collision
            continue
    raise RuntimeError("could not find an unused key prefix")


def revoke_key(key: PartnerKey, *, by: User | None) -> None:
    """Revoke ``key`` at once (audited); revoking twice changes nothing."""
    with transaction.atomic():
        updated = PartnerKey.objects.filter(pk=key.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
        if updated:
            record_event(by, "reach.key.revoke", key)
    key.refresh_from_db(fields=["revoked_at"])


def record_results_export(actor: User, *, start: datetime.date, end: datetime.date) -> None:
    """Audit a CSV download of the reach results (``reach.results.export``, with its period).

    The figures are de-identified aggregates, but who took the network's
    reach results out of forestall, and for which period, is recorded like
    the statistics downloads (``statistics.export``).
    """
    record_event(actor, "reach.results.export", reason=f"{start}..{end}")


def authenticate_key(presented: str) -> PartnerKey | None:
    """The active key ``presented`` is, or None (unknown, malformed and revoked alike)."""
    prefix = keys.prefix_of(presented)
    if prefix is None:
        return None
    # The prefix is unique: no ordering, and the partner's (encrypted) contact is not read.
    row = next(
        iter(
            PartnerKey.objects.select_related("partner")
            .defer("partner__contact")
            .filter(prefix=prefix, revoked_at__isnull=True)
            .order_by()[:1]
        ),
        None,
    )
    if row is None or not keys.matches(presented, row.key_hash):
        return None
    today = timezone.localdate()
    if row.last_used_on != today:
        PartnerKey.objects.filter(pk=row.pk).update(last_used_on=today)
        row.last_used_on = today
    return row


def publish_variant_text(
    variant: Variant,
    language: str,
    *,
    title: str,
    crime: str,
    harm: str,
    consequences: str,
    help: str,
    by: User | None,
    edited_from: str | None = None,
) -> VariantText:
    """Publish a new version of ``variant`` in ``language`` (earlier versions stay unchanged).

    ``edited_from`` is the number of the newest version when the editor
    opened the page ("0" for none, ``lib.stale_edits``): if another was
    published since, raises ``ChangedMeanwhile`` and publishes nothing.

    The variant is locked first, so that two publishes at the same moment
    number their versions one after the other (before: both took the same
    number and the second failed on it, a 500; a lock on the texts
    themselves locked nothing, as PostgreSQL cannot lock rows under MAX).
    """
    from forestall.reach.catalogue import catalogue_changed

    with transaction.atomic():
        lock_rows(Variant.objects.filter(pk=variant.pk))
        latest = VariantText.objects.filter(variant=variant, language=language).aggregate(
            latest=Max("version")
        )["latest"]
        if latest:
            newest = VariantText.objects.select_related("created_by").get(
                variant=variant, language=language, version=latest
            )
            check_newest_version(newest, edited_from)
        text = VariantText.objects.create(
            variant=variant,
            language=language,
            version=(latest or 0) + 1,
            title=title,
            crime=crime,
            harm=harm,
            consequences=consequences,
            help=help,
            created_by=by,
        )
        record_event(by, "reach.text.publish", text)
        transaction.on_commit(catalogue_changed)
    return text


def save_variant(variant: Variant, *, by: User | None, edited_from: str | None = None) -> Variant:
    """Create or change a variant's kind, weight and place in the catalogue (audited).

    ``edited_from`` is the version the settings page was opened with
    (``lib.stale_edits``): if they were saved since, raises ``ChangedMeanwhile``
    and saves nothing.
    """
    from forestall.reach.catalogue import catalogue_changed

    with transaction.atomic():
        adding = variant._state.adding
        if not adding:
            check_unchanged(Variant, variant.pk, edited_from)
        variant.updated_by = by
        variant.save()
        record_event(by, "reach.variant.create" if adding else "reach.variant.change", variant)
        transaction.on_commit(catalogue_changed)
    return variant


def replace_impressions(
    partner: Partner,
    day: datetime.date,
    counts: Iterable[tuple[Variant, str, int]],
    *,
    key: PartnerKey | None = None,
) -> int:
    """Store a partner's impressions of ``day``; a resend replaces, never adds. Rows written.

    One ``INSERT … ON CONFLICT DO UPDATE`` per 500 counts (SQLite 3.24+ and
    PostgreSQL alike): a day of 200 counts from a partner is one statement,
    with each variant's id converted for the database once, not per count.
    The report is audited (``reach.impressions.report`` on the key that sent
    it, with the day and the number of counts; never the counts themselves).
    """
    rows = {(variant.pk, language): impressions for variant, language, impressions in counts}
    if not rows:
        return 0
    table = ImpressionCount._meta.db_table
    prepare = Partner._meta.pk.get_db_prep_value  # type: ignore[union-attr]
    partner_id = prepare(partner.pk, connection)
    stored_day = connection.ops.adapt_datefield_value(day)
    variant_ids = {
        variant_id: prepare(variant_id, connection) for variant_id in {v for v, _l in rows}
    }
    items = list(rows.items())
    with transaction.atomic():
        for begin in range(0, len(items), 500):
            batch = items[begin : begin + 500]
            params: list[Any] = []
            extend = params.extend
            for (variant_id, language), impressions in batch:
                extend((partner_id, variant_ids[variant_id], stored_day, language, impressions))
            values = ", ".join(["(%s, %s, %s, %s, %s)"] * len(batch))
            with connection.cursor() as cursor:
                cursor.execute(
                    f'INSERT INTO "{table}" '  # noqa: S608 - fixed names, values as parameters
                    '("partner_id", "variant_id", "day", "language", "impressions") '
                    f"VALUES {values} "
                    'ON CONFLICT ("partner_id", "day", "variant_id", "language") '
                    'DO UPDATE SET "impressions" = excluded."impressions"',
                    params,
                )
        record_event(
            None,
            "reach.impressions.report",
            key if key is not None else partner,
            reason=f"{partner.slug} {day.isoformat()}: {len(rows)} counts",
        )
    return len(rows)


def count_click_through(partner: Partner | None, variant: Variant | None, language: str) -> None:
    """Add one landing to today's count (an unknown partner or variant counts as unknown).

    Counted in memory and written in batches (``forestall.reach.landings``);
    the landing is also a de-identified count in the statistics
    (``reach_landing``, source "reach"), the first step of the reach funnel.
    """
    from forestall.reach.landings import count_landing

    count_landing(partner.pk if partner else None, variant.pk if variant else None, language)
