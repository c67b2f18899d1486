"""Allocation runs: a proposal for how to share a call's money, made by the solver.

A run keeps everything it was made from and everything it found, as the solver's own JSON
(``problem_to_json``, ``result_to_json``), so it can be read, compared and solved again
however the applications change later. It is made queued, with its problem; the worker
solves it once and stores what it found (``services.solve_queued_run``); after that it is
never changed, except that it is confirmed at most once: then its proposal became the
call's decisions (``services.confirm_allocation``).
"""

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from pulje.calls.models import Call

# A run the worker has had this long (queued: not taken; running: past the problem's time
# limit, which bounds the whole solve) has most likely lost its worker.
STALLED_AFTER = dt.timedelta(minutes=5)
# A reduced grant is a whole multiple of this unless the caseworker sets another (500 kr.).
DEFAULT_REDUCTION_UNIT_ORE = 50_000


class RunMethod(models.TextChoices):
    """The solver's methods (``solver.Method``), named for people."""

    OPTIMAL = "optimal", _("Best proposal (optimisation)")
    GREEDY = "greedy", _("Ranking by score")
    FIRST_COME = "first_come", _("First come, first served")
    LOTTERY = "lottery", _("Lottery")
    ENVELOPES = "envelopes", _("Regional envelopes")


class RunObjective(models.TextChoices):
    """The solver's objectives (``solver.Objective``), named for people."""

    SCORE = "score", _("Highest scores, weighted by amount")
    PARTICIPANTS = "participants", _("Most participants")
    COUNT = "count", _("Most projects")


class RunStatus(models.TextChoices):
    """Queued and being computed (by the worker: ``tasks.solve_allocation_run``), then the
    solver's status (``solver.Status``), or "error" for a problem it could not read or a
    solve that failed."""

    QUEUED = "queued", _("Waiting for the solver")
    RUNNING = "running", _("Being computed")
    OPTIMAL = "optimal", _("Best possible")
    FEASIBLE = "feasible", _("Meets every rule, not proven best")
    DONE = "done", _("Done by the method's rule")
    INFEASIBLE = "infeasible", _("No proposal meets every rule")
    TIME_LIMIT = "time_limit", _("No proposal found in the time allowed")
    ERROR = "error", _("The problem could not be solved")

    @classmethod
    def pending(cls) -> list[str]:
        """Statuses of a run the worker has not finished."""
        return [cls.QUEUED.value, cls.RUNNING.value]

    @classmethod
    def confirmable(cls) -> list[str]:
        """Statuses whose proposal may become decisions."""
        return [cls.OPTIMAL.value, cls.FEASIBLE.value, cls.DONE.value]


class AllocationRun(models.Model):
    call = models.ForeignKey(
        Call, verbose_name=_("call"), on_delete=models.PROTECT, related_name="allocation_runs"
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("run again from"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        help_text=_("The run this one was made from with other locks."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("made by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("made"), auto_now_add=True)
    method = models.CharField(_("method"), max_length=20, choices=RunMethod.choices)
    objective = models.CharField(_("objective"), max_length=20, choices=RunObjective.choices)
    seed = models.CharField(_("lottery seed"), max_length=200, blank=True)
    # A reduced grant is a whole multiple of this (issue 14.6); shown on the run page.
    reduction_unit_ore = models.BigIntegerField(
        _("reduction unit (øre)"), default=DEFAULT_REDUCTION_UNIT_ORE
    )
    # The caseworker's choices on the form, to fill it in again for the next run.
    options = models.JSONField(_("options"), default=dict)
    problem = models.JSONField(_("problem"))
    result = models.JSONField(_("result"), null=True, blank=True)
    # The simple ranking (greedy) on the same problem, for the side-by-side comparison.
    baseline = models.JSONField(_("greedy baseline"), null=True, blank=True)
    # Why the problem could not be solved, in Danish (the solver's ProblemError), if it could not.
    errors = models.JSONField(_("errors"), default=list, blank=True)
    # Each candidate's application status when the run was made: confirming a run whose
    # applications have moved on since is refused.
    statuses = models.JSONField(_("application statuses"), default=dict)
    # Copied from the result, for the list of runs without reading every result.
    status = models.CharField(_("status"), max_length=20, choices=RunStatus.choices)
    grants = models.PositiveIntegerField(_("grants proposed"), default=0)
    total_ore = models.BigIntegerField(_("amount proposed (øre)"), default=0)
    # The worker's solve: the django-tasks result it was queued as, when it began and ended,
    # and when a person asked it to stop (it then stops with the best proposal found so far).
    task_result_id = models.CharField(_("task"), max_length=64, blank=True)
    started_at = models.DateTimeField(_("computing began"), null=True, blank=True)
    finished_at = models.DateTimeField(_("computing ended"), null=True, blank=True)
    stop_requested_at = models.DateTimeField(_("stop asked for"), null=True, blank=True)
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("confirmed by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("allocation run")
        verbose_name_plural = _("allocation runs")
        constraints = [
            models.CheckConstraint(
                condition=Q(confirmed_at__isnull=True, confirmed_by__isnull=True)
                | Q(confirmed_at__isnull=False, confirmed_by__isnull=False),
                name="allocationrun_confirmed_fields_agree",
            ),
            models.CheckConstraint(
                condition=Q(confirmed_at__isnull=True) | Q(status__in=RunStatus.confirmable()),
                name="allocationrun_confirmed_only_if_solved",
            ),
            models.CheckConstraint(condition=Q(total_ore__gte=0), name="allocationrun_total_gte_0"),
        ]
        indexes = [models.Index(fields=["call", "-created_at"], name="allocationrun_call_newest")]

    def __str__(self) -> str:
        return f"{self.call} #{self.pk}"

    @property
    def confirmable(self) -> bool:
        return self.status in RunStatus.confirmable()

    @property
    def pending(self) -> bool:
        """Whether the worker has yet to finish the run (queued or being computed)."""
        return self.status in RunStatus.pending()

    @property
    def is_stalled(self) -> bool:
        """A pending run no worker has taken, or one running well past its time limit."""
        now = timezone.now()
        if self.status == RunStatus.QUEUED:
            return self.created_at < now - STALLED_AFTER
        limit = dt.timedelta(seconds=float(self.problem.get("time_limit", 0.0)))
        started = self.started_at
        return self.status == RunStatus.RUNNING and (
            started is not None and started < now - limit - STALLED_AFTER
        )
