from django.db import migrations

from pulje.core.db import append_only


class Migration(migrations.Migration):
    dependencies = [("ledger", "0001_initial"), ("core", "0002_audit_chain_start")]

    operations = [append_only("ledger_entry")]
