from django.db import migrations, models


def name_the_kinds_checked(apps, schema_editor):
    """Screenings made before the call's applicant kinds were used checked against housing
    organisations only: their ``applicant_kind`` reasons say so, as the new message needs."""
    Screening = apps.get_model("casework", "Screening")
    for screening in Screening.objects.iterator():
        reasons = [
            {**reason, "params": {"applicant_kinds": ["housing"], **reason.get("params", {})}}
            if reason.get("code") == "applicant_kind"
            else reason
            for reason in screening.reasons
        ]
        if reasons != screening.reasons:
            screening.reasons = reasons
            screening.save(update_fields=["reasons"])


class Migration(migrations.Migration):
    dependencies = [
        ("casework", "0002_caseworker_conflicts"),
    ]

    operations = [
        migrations.RenameField(
            model_name="screeningrules",
            old_name="require_housing_applicant",
            new_name="require_eligible_applicant",
        ),
        migrations.AlterField(
            model_name="screeningrules",
            name="require_eligible_applicant",
            field=models.BooleanField(
                default=True,
                verbose_name="the applicant must be of a kind the call is open to, with a valid CVR number",
            ),
        ),
        migrations.RunPython(name_the_kinds_checked, migrations.RunPython.noop),
    ]
