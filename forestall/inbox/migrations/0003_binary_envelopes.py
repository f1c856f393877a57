"""Stored envelopes become bytes (version 2); see forestall/lib/crypto_migration.py."""

from django.db import migrations

from forestall.lib.crypto_migration import binary_envelopes


class Migration(migrations.Migration):
    dependencies = [("inbox", "0002_conversation_flagged_urgent_contactsummary_and_more")]

    operations = [binary_envelopes("inbox")]
