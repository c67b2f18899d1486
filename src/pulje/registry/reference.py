"""The official regions and municipalities, kept in the project as data (data/kommuner.csv)."""

import csv
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parent / "data" / "kommuner.csv"


def load_regions_and_municipalities(region_model: Any, municipality_model: Any) -> None:
    """Create or correct every region and municipality. Takes the models as arguments so a
    migration can pass its historical models."""
    with DATA.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        region_model.objects.update_or_create(
            code=row["regionskode"], defaults={"name": row["region"]}
        )
    for row in rows:
        municipality_model.objects.update_or_create(
            code=row["kommunekode"],
            defaults={"name": row["kommune"], "region_id": row["regionskode"]},
        )
