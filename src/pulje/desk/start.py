"""Who a user is to pulje (their roles) and what each role has to do next: the menu shows
each role its own pages, login lands on the role's start page, and a person with several
roles sees each role's tasks on one page (docs/architecture.md, "Roles and start pages").

A role is what a person's rows say, not a flag: a caseworker works a call (a proven member
of the organisation that administers its pool), a funder administers pools and works no call
(the ministry above BL), an assessor sits on a call's panel or has an assignment, and an
applicant acts (or asks to act) for an organisation that administers no pool.
"""

from collections import Counter
from dataclasses import dataclass, field

from django.db.models import Count, Exists, OuterRef, Q
from django.urls import reverse

from pulje.accounts.models import Membership, User
from pulje.applications.models import Application, ApplicationStatus
from pulje.applications.selectors import applications_for
from pulje.assessment.models import Assignment, AssignmentState, PanelMember
from pulje.assessment.selectors import score_summaries
from pulje.calls.models import Call
from pulje.desk.selectors import CaseworkCall, casework_calls
from pulje.desk.tasks import CONDITIONS, MODERATE, TASK_LABELS, TASKS, annotate_tasks
from pulje.funds.models import Pool


@dataclass(frozen=True)
class Roles:
    caseworker: bool = False
    funder: bool = False
    assessor: bool = False
    applicant: bool = False
    # Acts or asks to act for any organisation (their "Your organisation" page).
    member: bool = False

    @property
    def count(self) -> int:
        return sum((self.caseworker, self.funder, self.assessor, self.applicant))

    @property
    def administers_pools(self) -> bool:
        """Sees the pool tree and reads (or works) the queues of the calls on it."""
        return self.caseworker or self.funder

    @property
    def applies(self) -> bool:
        """Applies, or has no role yet: a newcomer is an applicant to be."""
        return self.applicant or self.count == 0


def roles_of(user: User) -> Roles:
    """The user's roles (one query; none for anyone not logged in)."""
    if not user.is_authenticated:
        return Roles()
    memberships = Membership.objects.filter(user=user)
    administered = Pool.objects.filter(
        administrator__in=memberships.proven().values("organisation")
    )
    flags = (
        User.objects.filter(pk=user.pk)
        .annotate(
            administers=Exists(administered),
            works=Exists(Call.objects.filter(pool__in=administered)),
            panel=Exists(PanelMember.objects.filter(user=user)),
            assigned=Exists(Assignment.objects.filter(assessor=user)),
            applies=Exists(
                memberships.exclude(
                    Exists(Pool.objects.filter(administrator=OuterRef("organisation")))
                )
            ),
            member=Exists(memberships),
        )
        .values("administers", "works", "panel", "assigned", "applies", "member")
        .get()
    )
    # pulje's administrators work every call (funds.selectors.pools_of).
    works = flags["works"] or user.is_superuser
    return Roles(
        caseworker=works,
        funder=flags["administers"] and not works,
        assessor=flags["panel"] or flags["assigned"],
        applicant=flags["applies"],
        member=flags["member"],
    )


def start_page(roles: Roles) -> str | None:
    """The page a user with exactly one role starts on; None for several roles (they start
    on the page of all their tasks) or none (a newcomer registers their organisation)."""
    if roles.count != 1:
        return None
    if roles.caseworker:
        return reverse("desk:calls")
    if roles.funder:
        return reverse("funds:pool_list")
    if roles.assessor:
        return reverse("assessment:mine")
    return reverse("applications:dashboard")


@dataclass(frozen=True)
class TaskCount:
    task: str
    count: int

    @property
    def label(self) -> str:
        return str(TASK_LABELS[self.task])


@dataclass(frozen=True)
class CallTasks:
    row: CaseworkCall
    tasks: list[TaskCount]

    @property
    def call(self) -> Call:
        return self.row.call


def call_tasks(rows: list[CaseworkCall]) -> list[CallTasks]:
    """Each worked call's counts of applications per task (``tasks.TASKS``, in the order of
    the work); a call the user only reads gets none. Four queries however many calls: the
    counts, and the applications in assessment with their score summaries (moderation)."""
    worked = [row.call.pk for row in rows if row.works]
    if not worked:
        return [CallTasks(row, []) for row in rows]
    counted = (
        annotate_tasks(Application.objects.filter(call_id__in=worked, submitted_at__isnull=False))
        .values("call_id")
        .annotate(**{task: Count("pk", filter=q) for task, q in CONDITIONS.items()})
    )
    counts = {values["call_id"]: values for values in counted}
    assessed = list(
        Application.objects.filter(call_id__in=worked, status__in=ApplicationStatus.assessed())
    )
    summaries = score_summaries(assessed)
    moderate = Counter(a.call_id for a in assessed if summaries[a.pk].flagged)
    result = []
    for row in rows:
        if not row.works:
            result.append(CallTasks(row, []))
            continue
        found = {**counts.get(row.call.pk, {}), MODERATE: moderate[row.call.pk]}
        result.append(CallTasks(row, [TaskCount(task, found.get(task, 0)) for task in TASKS]))
    return result


@dataclass(frozen=True)
class AssessorTasks:
    to_declare: int
    to_score: int
    done: int


@dataclass(frozen=True)
class ApplicantTasks:
    drafts: int
    in_process: int
    to_accept: int


@dataclass(frozen=True)
class StartTasks:
    roles: Roles
    calls: list[CallTasks] = field(default_factory=list)
    assessor: AssessorTasks | None = None
    applicant: ApplicantTasks | None = None


def start_tasks(user: User, *, roles: Roles | None = None) -> StartTasks:
    """Every role's next tasks for ``user``, counted: per call they work, as assessor, as
    applicant. At most ten queries however many calls and applications: the roles, the
    calls (three), their counts (four), the assignments and the applications."""
    roles = roles or roles_of(user)
    calls = call_tasks(casework_calls(user)) if roles.administers_pools else []
    assessor = None
    if roles.assessor:
        states = Counter(Assignment.objects.filter(assessor=user).values_list("state", flat=True))
        assessor = AssessorTasks(
            to_declare=states[AssignmentState.TO_DECLARE],
            to_score=states[AssignmentState.TO_SCORE],
            done=states[AssignmentState.SUBMITTED],
        )
    applicant = None
    if roles.applicant:
        by_status = applications_for(user).aggregate(
            drafts=Count("pk", filter=Q(status=ApplicationStatus.DRAFT)),
            in_process=Count("pk", filter=Q(status__in=ApplicationStatus.undecided())),
            to_accept=Count("pk", filter=Q(status=ApplicationStatus.GRANTED)),
        )
        applicant = ApplicantTasks(**by_status)
    return StartTasks(roles=roles, calls=calls, assessor=assessor, applicant=applicant)
