"""The background job moves from letters to core (pulje.core.jobs), in the state only: the
table stays ``letters_job`` with its rows, so nothing is copied. Audit events written before
the move name the job ``letters.job``; later ones ``core.job``."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0003_sent_email"),
        ("calls", "0002_kinds_may_be_empty"),
        ("letters", "0002_letter_send_error_job_done_with_failures"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Job",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        (
                            "kind",
                            models.CharField(
                                choices=[("decision_letters", "Decision letters")],
                                max_length=30,
                                verbose_name="kind",
                            ),
                        ),
                        (
                            "status",
                            models.CharField(
                                choices=[
                                    ("queued", "Queued"),
                                    ("running", "Running"),
                                    ("done", "Done"),
                                    ("partial", "Done, some letters not e-mailed"),
                                    ("failed", "Failed"),
                                ],
                                default="queued",
                                max_length=10,
                                verbose_name="status",
                            ),
                        ),
                        ("payload", models.JSONField(default=dict, verbose_name="payload")),
                        ("total", models.PositiveIntegerField(default=0, verbose_name="total")),
                        ("done_count", models.PositiveIntegerField(default=0, verbose_name="done")),
                        ("error", models.TextField(blank=True, verbose_name="error")),
                        (
                            "attempts",
                            models.PositiveSmallIntegerField(default=0, verbose_name="attempts"),
                        ),
                        (
                            "task_result_id",
                            models.CharField(blank=True, max_length=64, verbose_name="task result"),
                        ),
                        (
                            "created_at",
                            models.DateTimeField(auto_now_add=True, verbose_name="created"),
                        ),
                        (
                            "started_at",
                            models.DateTimeField(blank=True, null=True, verbose_name="started"),
                        ),
                        (
                            "finished_at",
                            models.DateTimeField(blank=True, null=True, verbose_name="finished"),
                        ),
                        (
                            "call",
                            models.ForeignKey(
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to="calls.call",
                                verbose_name="call",
                            ),
                        ),
                        (
                            "created_by",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                                verbose_name="created by",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "job",
                        "verbose_name_plural": "jobs",
                        "db_table": "letters_job",
                        "ordering": ["-created_at"],
                        "constraints": [
                            models.CheckConstraint(
                                condition=models.Q(("done_count__lte", models.F("total"))),
                                name="job_done_lte_total",
                            )
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
