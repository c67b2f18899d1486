from django.db import migrations

from pulje.registry.reference import load_regions_and_municipalities


def load(apps, schema_editor):
    load_regions_and_municipalities(
        apps.get_model("registry", "Region"), apps.get_model("registry", "Municipality")
    )


class Migration(migrations.Migration):
    dependencies = [("registry", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
