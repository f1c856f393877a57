"""Flags (e.g. a positive self-harm item) become encrypted; questionnaires answered
in the mailbox are marked so that deleting the mailbox deletes them too."""

import json

from django.db import migrations, models

import forestall.lib.crypto
from forestall.lib.crypto import associated_data, key_ring


def _seal(value):
    return json.dumps(value, separators=(",", ":"), sort_keys=True).encode()


def encrypt_flags(apps, schema_editor):
    Administration = apps.get_model("instruments", "Administration")
    ring = key_ring()
    rows = Administration.objects.values_list("pk", "flags_plain")
    for pk, flags in rows.iterator(chunk_size=1000):
        envelope = ring.encrypt(_seal(flags or []), associated_data(Administration, "flags", pk))
        Administration.objects.filter(pk=pk).update(flags=envelope)


def decrypt_flags(apps, schema_editor):
    Administration = apps.get_model("instruments", "Administration")
    for administration in Administration.objects.all().iterator(chunk_size=1000):
        Administration.objects.filter(pk=administration.pk).update(
            flags_plain=administration.flags or []
        )


class Migration(migrations.Migration):
    dependencies = [("instruments", "0002_binary_envelopes")]

    operations = [
        migrations.AddField(
            model_name="administration",
            name="via_mailbox",
            field=models.BooleanField(default=False, verbose_name="answered in the mailbox"),
        ),
        migrations.RenameField(
            model_name="administration", old_name="flags", new_name="flags_plain"
        ),
        migrations.AddField(
            model_name="administration",
            name="flags",
            field=forestall.lib.crypto.EncryptedJSONField(
                blank=True, null=True, verbose_name="flags"
            ),
        ),
        migrations.RunPython(encrypt_flags, decrypt_flags),
        migrations.RemoveField(model_name="administration", name="flags_plain"),
        migrations.AlterField(
            model_name="administration",
            name="flags",
            field=forestall.lib.crypto.EncryptedJSONField(
                blank=True, default=list, null=True, verbose_name="flags"
            ),
        ),
    ]
