"""Stored envelopes become bytes (version 2); see forestall/lib/crypto_migration.py."""

from django.db import migrations

from forestall.lib.crypto_migration import binary_envelopes


class Migration(migrations.Migration):
    dependencies = [("safeguarding", "0003_disclosure_people_are_kept")]

    operations = [binary_envelopes("safeguarding")]
