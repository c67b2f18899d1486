import django.db.models.deletion
from django.db import migrations, models


def organisation_of_each_code(apps, schema_editor):
    ProofCode = apps.get_model("accounts", "ProofCode")
    for code in ProofCode.objects.select_related("membership"):
        code.organisation_id = code.membership.organisation_id
        code.save(update_fields=["organisation"])


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_membership_roles_proofs_invitations"),
        ("registry", "0004_organisation_registry_email"),
    ]

    operations = [
        migrations.AddField(
            model_name="proofcode",
            name="organisation",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="registry.organisation",
                verbose_name="organisation",
            ),
        ),
        migrations.RunPython(organisation_of_each_code, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="proofcode",
            name="organisation",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="registry.organisation",
                verbose_name="organisation",
            ),
        ),
        migrations.AlterField(
            model_name="proofcode",
            name="membership",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="codes",
                to="accounts.membership",
                verbose_name="membership",
            ),
        ),
    ]
