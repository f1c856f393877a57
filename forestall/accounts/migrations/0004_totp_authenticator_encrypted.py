"""forestall's own TOTP authenticator, its secret encrypted; django-otp's clear secrets moved and deleted.

Every ``otp_totp.TOTPDevice`` becomes a ``TOTPAuthenticator`` with the same
secret (now an envelope under the newest key of ``FORESTALL_KEYS``, so the key
ring must be configured when this runs), name, state, time step, drift, last
used step and throttling, so nobody has to enrol again and no used code opens
again. The clear rows are then deleted; on SQLite (``secure_delete``) the
write-ahead log is checkpointed and truncated afterwards, on PostgreSQL the
table is vacuumed, so the clear secrets are gone from the database files too
(backups and WAL archives taken before keep them: docs/security.md).

Reversing moves the secrets back into django-otp's table, in clear: only for
rolling back a release.
"""

import django.db.models.deletion
import forestall.accounts.models
import forestall.lib.crypto
from django.conf import settings
from django.db import migrations, models


_CLEAR_TABLE = "otp_totp_totpdevice"
_COPIED = (
    "name", "confirmed", "step", "t0", "digits", "tolerance", "drift", "last_t",
    "throttling_failure_timestamp", "throttling_failure_count", "last_used_at",
)


def encrypt_clear_secrets(apps, schema_editor):
    ClearDevice = apps.get_model("otp_totp", "TOTPDevice")
    Authenticator = apps.get_model("accounts", "TOTPAuthenticator")
    alias = schema_editor.connection.alias
    for clear in ClearDevice.objects.using(alias).order_by("pk"):
        authenticator = Authenticator(
            id=forestall.accounts.models.new_device_id(),
            user_id=clear.user_id,
            key=clear.key.lower(),
            **{name: getattr(clear, name) for name in _COPIED},
        )
        authenticator.save(using=alias, force_insert=True)
        # created_at is auto_now_add: keep the enrolment time.
        Authenticator.objects.using(alias).filter(pk=authenticator.pk).update(
            created_at=clear.created_at
        )
    ClearDevice.objects.using(alias).all().delete()


def decrypt_into_clear_table(apps, schema_editor):
    ClearDevice = apps.get_model("otp_totp", "TOTPDevice")
    Authenticator = apps.get_model("accounts", "TOTPAuthenticator")
    alias = schema_editor.connection.alias
    for authenticator in Authenticator.objects.using(alias).order_by("pk"):
        clear = ClearDevice.objects.using(alias).create(
            user_id=authenticator.user_id,
            key=authenticator.key,
            **{name: getattr(authenticator, name) for name in _COPIED},
        )
        ClearDevice.objects.using(alias).filter(pk=clear.pk).update(
            created_at=authenticator.created_at
        )
    Authenticator.objects.using(alias).all().delete()


def scrub_clear_table(apps, schema_editor):
    """Deleted secrets leave the files too (outside a transaction: VACUUM needs that)."""
    from forestall.lib.erasure import vacuum_tables

    vacuum_tables([_CLEAR_TABLE], using=schema_editor.connection.alias)


class Migration(migrations.Migration):

    # Not one transaction: the move below is (RunPython atomic=True), and the
    # scrub after it must run outside any (PostgreSQL's VACUUM, SQLite's
    # checkpoint).
    atomic = False

    dependencies = [
        ('accounts', '0003_verbose_names'),
        ('otp_totp', '0003_add_timestamps'),
    ]

    operations = [
        migrations.CreateModel(
            name='TOTPAuthenticator',
            fields=[
                ('name', models.CharField(help_text='The human-readable name of this device.', max_length=64)),
                ('confirmed', models.BooleanField(default=True, help_text='Is this device ready for use?')),
                ('throttling_failure_timestamp', models.DateTimeField(blank=True, default=None, help_text='A timestamp of the last failed verification attempt. Null if last attempt succeeded.', null=True)),
                ('throttling_failure_count', models.PositiveIntegerField(default=0, help_text='Number of successive failed attempts.')),
                ('created_at', models.DateTimeField(auto_now_add=True, help_text='The date and time when this device was initially created in the system.', null=True)),
                ('last_used_at', models.DateTimeField(blank=True, help_text='The most recent date and time this device was used.', null=True)),
                ('id', models.BigIntegerField(default=forestall.accounts.models.new_device_id, editable=False, primary_key=True, serialize=False)),
                ('key', forestall.lib.crypto.EncryptedTextField(default=forestall.accounts.models.new_totp_secret, validators=[forestall.accounts.models.validate_hex_secret])),
                ('step', models.PositiveSmallIntegerField(default=30)),
                ('t0', models.BigIntegerField(default=0)),
                ('digits', models.PositiveSmallIntegerField(choices=[(6, 6), (8, 8)], default=6)),
                ('tolerance', models.PositiveSmallIntegerField(default=1)),
                ('drift', models.SmallIntegerField(default=0)),
                ('last_t', models.BigIntegerField(default=-1)),
                ('user', models.ForeignKey(help_text='The user that this device belongs to.', on_delete=django.db.models.deletion.CASCADE, to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': 'authenticator app',
                'verbose_name_plural': 'authenticator apps',
                'abstract': False,
            },
        ),
        migrations.RunPython(encrypt_clear_secrets, decrypt_into_clear_table, atomic=True),
        migrations.RunPython(scrub_clear_table, migrations.RunPython.noop),
    ]
