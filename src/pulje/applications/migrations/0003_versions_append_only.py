from django.db import migrations

from pulje.core.db import append_only


class Migration(migrations.Migration):
    dependencies = [("applications", "0002_initial"), ("core", "0002_audit_chain_start")]

    operations = [append_only("applications_applicationversion")]
