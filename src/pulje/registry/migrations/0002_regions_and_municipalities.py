"""The five regions and 98 municipalities with their official codes (data/kommuner.csv)."""

import csv
from pathlib import Path

from django.db import migrations

DATA = Path(__file__).resolve().parent.parent / "data" / "kommuner.csv"


def load(apps, schema_editor):
    Region = apps.get_model("registry", "Region")
    Municipality = apps.get_model("registry", "Municipality")
    with DATA.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        Region.objects.update_or_create(code=row["regionskode"], defaults={"name": row["region"]})
    for row in rows:
        Municipality.objects.update_or_create(
            code=row["kommunekode"],
            defaults={"name": row["kommune"], "region_id": row["regionskode"]},
        )


class Migration(migrations.Migration):
    dependencies = [("registry", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
