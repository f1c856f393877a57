"""Backup codes as keyed hashes; django-otp's clear codes hashed, moved and deleted.

Every ``otp_static.StaticDevice`` becomes the person's ``BackupCodeSet``
(same name, state, throttling and times) and each of its unused
``StaticToken`` codes a ``BackupCode`` holding only
``backup_code_hash(person, code)`` (HMAC-SHA256 under ``FORESTALL_PEPPER``,
which must therefore be the one the servers use), so every unused code keeps
working and nobody has to make new ones. The clear rows are then deleted and
scrubbed from the database files (SQLite: ``secure_delete`` and a WAL
checkpoint; PostgreSQL: ``VACUUM``). Backups and WAL archives taken before
keep the clear codes: docs/security.md.

The codes are not hashed in django-otp's own column: it holds 16 characters
(too few for the hash), and django-otp compares what is typed with what is
stored, so a hash there would itself work as a code.

Reversing cannot bring the codes back (only hashes exist): it deletes the
hashed codes, and people make new ones after signing in with their
authenticator app.
"""

import django.db.models.deletion
import forestall.accounts.models
from django.conf import settings
from django.db import migrations, models


_CLEAR_TABLES = ["otp_static_statictoken", "otp_static_staticdevice"]
_COPIED = ("name", "confirmed", "throttling_failure_timestamp", "throttling_failure_count", "last_used_at")


def hash_clear_codes(apps, schema_editor):
    """Hash every clear django-otp backup code into ``BackupCode``; delete the clear rows."""
    from forestall.accounts.models import backup_code_hash, new_device_id, normalise_backup_code

    ClearDevice = apps.get_model("otp_static", "StaticDevice")
    ClearToken = apps.get_model("otp_static", "StaticToken")
    CodeSet = apps.get_model("accounts", "BackupCodeSet")
    Code = apps.get_model("accounts", "BackupCode")
    alias = schema_editor.connection.alias
    for clear in ClearDevice.objects.using(alias).order_by("pk"):
        # One set per person: a second clear device of the same person joins the first.
        code_set = CodeSet.objects.using(alias).filter(user_id=clear.user_id).first()
        if code_set is None:
            code_set = CodeSet(
                id=new_device_id(),
                user_id=clear.user_id,
                **{name: getattr(clear, name) for name in _COPIED},
            )
            code_set.save(using=alias, force_insert=True)
            # created_at is auto_now_add: keep the time the codes were made.
            CodeSet.objects.using(alias).filter(pk=code_set.pk).update(created_at=clear.created_at)
        tokens = ClearToken.objects.using(alias).filter(device_id=clear.pk)
        hashes = {
            backup_code_hash(clear.user_id, token)
            for token in tokens.values_list("token", flat=True)
            if normalise_backup_code(token)
        }
        Code.objects.using(alias).bulk_create(
            [Code(device_id=code_set.pk, code_hash=digest) for digest in sorted(hashes)],
            ignore_conflicts=True,
        )
    ClearToken.objects.using(alias).all().delete()
    ClearDevice.objects.using(alias).all().delete()


def scrub_clear_tables(apps, schema_editor):
    """Deleted codes leave the files too (outside a transaction: VACUUM needs that)."""
    from forestall.lib.erasure import vacuum_tables

    vacuum_tables(_CLEAR_TABLES, using=schema_editor.connection.alias)


class Migration(migrations.Migration):

    # Not one transaction: the move below is (RunPython atomic=True), and the
    # scrub after it must run outside any (PostgreSQL's VACUUM, SQLite's
    # checkpoint).
    atomic = False

    dependencies = [
        ('accounts', '0004_totp_authenticator_encrypted'),
        ('otp_static', '0003_add_timestamps'),
    ]

    operations = [
        migrations.CreateModel(
            name='BackupCodeSet',
            fields=[
                ('name', models.CharField(help_text='The human-readable name of this device.', max_length=64)),
                ('confirmed', models.BooleanField(default=True, help_text='Is this device ready for use?')),
                ('throttling_failure_timestamp', models.DateTimeField(blank=True, default=None, help_text='A timestamp of the last failed verification attempt. Null if last attempt succeeded.', null=True)),
                ('throttling_failure_count', models.PositiveIntegerField(default=0, help_text='Number of successive failed attempts.')),
                ('created_at', models.DateTimeField(auto_now_add=True, help_text='The date and time when this device was initially created in the system.', null=True)),
                ('last_used_at', models.DateTimeField(blank=True, help_text='The most recent date and time this device was used.', null=True)),
                ('id', models.BigIntegerField(default=forestall.accounts.models.new_device_id, editable=False, primary_key=True, serialize=False)),
                ('user', models.ForeignKey(help_text='The user that this device belongs to.', on_delete=django.db.models.deletion.CASCADE, to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': 'backup codes',
                'verbose_name_plural': 'backup codes',
                'abstract': False,
            },
        ),
        migrations.CreateModel(
            name='BackupCode',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('code_hash', models.CharField(max_length=64)),
                ('device', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='codes', to='accounts.backupcodeset')),
            ],
            options={
                'verbose_name': 'backup code',
                'verbose_name_plural': 'backup codes',
                'constraints': [models.UniqueConstraint(fields=('device', 'code_hash'), name='backup_code_unique')],
            },
        ),
        migrations.RunPython(hash_clear_codes, migrations.RunPython.noop, atomic=True),
        migrations.RunPython(scrub_clear_tables, migrations.RunPython.noop),
    ]
