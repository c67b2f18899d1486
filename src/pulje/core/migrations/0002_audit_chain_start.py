from django.db import migrations

from pulje.core.db import append_only

GENESIS_HASH = "0" * 64  # the value of pulje.core.audit.GENESIS_HASH, frozen here


def create_head(apps, schema_editor):
    apps.get_model("core", "AuditHead").objects.get_or_create(
        pk=1, defaults={"seq": 0, "hash": GENESIS_HASH}
    )


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]

    operations = [
        migrations.RunPython(create_head, migrations.RunPython.noop),
        append_only("core_auditevent"),
    ]
