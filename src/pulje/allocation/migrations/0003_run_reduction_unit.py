from django.db import migrations, models


class Migration(migrations.Migration):
    """The reduction unit on every run (issue 14.6). Runs made before it cut grants in whole
    kroner, so they get 100 øre; new runs default to 500 kr."""

    dependencies = [
        ("allocation", "0002_run_in_a_worker"),
    ]

    operations = [
        migrations.AddField(
            model_name="allocationrun",
            name="reduction_unit_ore",
            field=models.BigIntegerField(default=100, verbose_name="reduction unit (øre)"),
        ),
        migrations.AlterField(
            model_name="allocationrun",
            name="reduction_unit_ore",
            field=models.BigIntegerField(default=50000, verbose_name="reduction unit (øre)"),
        ),
    ]
