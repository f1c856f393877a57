"""Stored envelopes become bytes (version 2); see forestall/lib/crypto_migration.py."""

from django.db import migrations

from forestall.lib.crypto_migration import binary_envelopes


class Migration(migrations.Migration):
    dependencies = [("cases", "0002_cases_pathway_appointments_referrals")]

    operations = [binary_envelopes("cases")]
