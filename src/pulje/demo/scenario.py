"""The 2020 loneliness pool as a demo, built through pulje's own services.

Every step looks for what it would create by its natural key (CVR, pool code, e-mail) and
posts money with an idempotency key, so running it twice changes nothing the second time.
The organisations, CVR numbers and people are made up; the pool's figures are the real ones
(the political agreement of 6 November 2020 and BL's published rules): 50 mio. kr. split
10/15/20/5, and BL's 15 mio. in three grant bands.

The round's calendar is the real one moved as a whole (``Calendar``), so that on whatever day
the demo is loaded its call is open, its projects start after the deadline and its money is
to be spent after that: no letter written in the demo says "spend by 2021" in 2026.
"""

import datetime as dt
import random
from calendar import monthrange
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from allauth.mfa.totp.internal.auth import TOTP
from django.db import transaction
from django.utils import timezone, translation
from stdnum import iban as stdnum_iban

from pulje.accounts.mfa import has_authenticator_app, needs_second_factor
from pulje.accounts.models import User
from pulje.accounts.services.users import register_user
from pulje.applications.models import Application, ApplicationStatus
from pulje.applications.services import (
    fingerprint,
    save_draft,
    start_application,
    submit_application,
)
from pulje.assessment.models import Assignment, AssignmentState
from pulje.assessment.services import (
    ASSIGNABLE,
    add_assessor,
    assign_assessor,
    declare_interest,
    ensure_rubric,
    submit_scores,
)
from pulje.calls.models import Call, QuestionKind
from pulje.calls.services import add_question, create_call
from pulje.casework.models import ScreeningRules
from pulje.casework.selectors import failed_screening
from pulje.casework.services import set_screening_rules
from pulje.core.money import format_dkk, kr
from pulje.demo import data
from pulje.funds.models import Pool, ReportingRequirement
from pulje.funds.services import create_pool, set_reporting_rules
from pulje.ledger.models import Entry
from pulje.ledger.services import appropriate, delegate
from pulje.letters.rendering import danish_date
from pulje.registry.models import HousingDepartment, Municipality, Organisation, OrganisationKind
from pulje.registry.services.memberships import add_membership
from pulje.registry.services.organisations import (
    register_department,
    register_organisation,
    update_organisation,
)
from pulje.registry.testing import fake_cvr


@dataclass
class Login:
    email: str
    role: str


@dataclass
class DemoSummary:
    created: dict[str, int] = field(default_factory=dict)
    logins: list[Login] = field(default_factory=list)

    def count(self, what: str, created: bool) -> None:
        self.created[what] = self.created.get(what, 0) + int(created)


# BL's real round: the deadline was Friday 5 February 2021 at noon.
ROUND_DEADLINE = dt.date(2021, 2, 5)
# The demo's deadline: this many days after the day it is first loaded.
DAYS_TO_DEADLINE = 60


@dataclass(frozen=True)
class Calendar:
    """The round's real dates moved by whole ``months``, so the weekdays differ but every
    date keeps its place in its month (a month's last day stays its last day) and the
    months between any two stay the same: a period of one month is still one month."""

    months: int

    def day(self, real: dt.date) -> dt.date:
        year, month = divmod(real.year * 12 + real.month - 1 + self.months, 12)
        month += 1
        last = monthrange(year, month)[1]
        at_end = real.day == monthrange(real.year, real.month)[1]
        return dt.date(year, month, last if at_end else min(real.day, last))

    def iso(self, real: str) -> str:
        return self.day(dt.date.fromisoformat(real)).isoformat()


def demo_calendar(deadline: dt.date) -> Calendar:
    """The calendar that moves the round's deadline into ``deadline``'s month."""
    return Calendar(
        (deadline.year - ROUND_DEADLINE.year) * 12 + deadline.month - ROUND_DEADLINE.month
    )


def _deadline() -> dt.datetime:
    """BL's call's deadline: the call's own once it exists (a second run keeps the calendar
    of the first), else noon, Danish time, ``DAYS_TO_DEADLINE`` days from now."""
    existing = Call.objects.filter(code=data.BL_CALL).values_list("closes_at", flat=True).first()
    if existing is not None:
        return existing
    return (
        (timezone.now() + dt.timedelta(days=DAYS_TO_DEADLINE))
        .astimezone(timezone.get_default_timezone())
        .replace(hour=12, minute=0, second=0, microsecond=0)
    )


@transaction.atomic
def load_demo() -> DemoSummary:
    summary = DemoSummary()
    deadline = _deadline()
    calendar = demo_calendar(timezone.localdate(deadline))
    actor = _user(summary, "admin@pulje.demo", "Demo-administrator", None, superuser=True)
    organisations = _organisations(summary, actor)
    _registry(summary, actor)
    _pools(summary, actor, organisations, calendar)
    _call(summary, actor, calendar, deadline)
    _user(summary, "ministerie@pulje.demo", "Mette Ministeriel", organisations["km"])
    _user(summary, "slks@pulje.demo", "Søren Styrelse", organisations["slks"])
    _user(summary, "sekretariat@pulje.demo", "Birgitte Sekretariat", organisations["bl"])
    _user(summary, "sagsbehandler@pulje.demo", "Bo Sagsbehandler", organisations["bl"])
    housing = Organisation.objects.filter(kind=OrganisationKind.HOUSING).order_by("cvr")[:3]
    for number, organisation in enumerate(housing, start=1):
        _user(summary, f"ansoeger{number}@pulje.demo", f"Ansøger {number}", organisation)
        _profile(actor, organisation, number)
    _applications(summary, actor, calendar)
    _assessment(summary, actor)
    return summary


def _profile(actor: User, organisation: Organisation, number: int) -> None:
    """The applicant organisation's "tell us once" facts; unchanged facts write nothing."""
    bban = f"9{number:03d}{4_400_000 + number:010d}"
    update_organisation(
        actor=actor,
        organisation=organisation,
        payment_iban="DK" + stdnum_iban.calc_check_digits("DK00" + bban) + bban,
        contact_name=f"Ansøger {number}",
        contact_email=f"ansoeger{number}@pulje.demo",
        contact_phone=f"70 10 20 3{number}",
        finance_name=f"Bogholder {number}",
        finance_email=f"bogholderi{number}@pulje.demo",
        finance_phone=f"70 10 20 4{number}",
    )


def _user(
    summary: DemoSummary,
    email: str,
    name: str,
    organisation: Organisation | None,
    *,
    superuser: bool = False,
    role: str = "",
) -> User:
    user = User.objects.filter(email=email).first()
    summary.count("users", user is None)
    if user is None:
        user = register_user(
            actor=None,
            email=email,
            name=name,
            password=data.DEMO_PASSWORD,
            is_staff=superuser,
            is_superuser=superuser,
        )
    if organisation is not None:
        add_membership(actor=None, user=user, organisation=organisation)
    if needs_second_factor(user) and not has_authenticator_app(user):
        TOTP.activate(user, data.DEMO_TOTP_SECRET)
    summary.logins.append(
        Login(email, role or (organisation.name if organisation else "administrator"))
    )
    return user


def _organisation(
    summary: DemoSummary, actor: User, seed: int, name: str, kind: str, **extra: object
) -> Organisation:
    cvr = fake_cvr(seed)
    existing = Organisation.objects.filter(cvr=cvr).first()
    summary.count("organisations", existing is None)
    return existing or register_organisation(
        actor=actor,
        cvr=cvr,
        name=name,
        kind=kind,
        **extra,  # type: ignore[arg-type]
    )


def _organisations(summary: DemoSummary, actor: User) -> dict[str, Organisation]:
    copenhagen = Municipality.objects.get(code="101")
    spec = {
        "km": ("Kulturministeriet", OrganisationKind.FUNDER),
        "slks": ("Slots- og Kulturstyrelsen", OrganisationKind.FUNDER),
        "sim": ("Social- og Indenrigsministeriet", OrganisationKind.FUNDER),
        "bl": ("BL – Danmarks Almene Boliger", OrganisationKind.INTERMEDIARY),
        "kfum": ("KFUM's Sociale Arbejde", OrganisationKind.SOCIAL),
    }
    found = {
        key: _organisation(summary, actor, seed, name, kind, municipality=copenhagen)
        for seed, (key, (name, kind)) in enumerate(spec.items(), start=1)
    }
    for seed, (name, kind) in enumerate(data.PARTNERS, start=100):
        _organisation(summary, actor, seed, name, kind)
    # BL's letters give its address and contact; unchanged facts write nothing.
    update_organisation(actor=actor, organisation=found["bl"], **data.BL_CONTACT)
    return found


def _registry(summary: DemoSummary, actor: User) -> None:
    rng = random.Random(2020)
    municipalities = list(Municipality.objects.order_by("code"))
    step = len(municipalities) / data.HOUSING_ORGANISATIONS
    by_region: dict[str, list[Municipality]] = {}
    for municipality in municipalities:
        by_region.setdefault(municipality.region_id, []).append(municipality)
    departments_left = data.DEPARTMENTS
    for index in range(data.HOUSING_ORGANISATIONS):
        home = municipalities[int(index * step)]
        pattern = data.ORGANISATION_PATTERNS[index % len(data.ORGANISATION_PATTERNS)]
        organisation = _organisation(
            summary,
            actor,
            1000 + index,
            pattern.format(town=home.name),
            OrganisationKind.HOUSING,
            housing_number=str(101 + index),
            municipality=home,
            # The register's own address: a claim's proof code goes here (the outbox).
            registry_email=f"post@boligorganisation-{101 + index}.demo",
        )
        count = departments_left // (data.HOUSING_ORGANISATIONS - index)
        departments_left -= count
        for number in range(1, count + 1):
            municipality = home if rng.random() < 0.8 else rng.choice(by_region[home.region_id])
            name = rng.choice(data.DEPARTMENT_NAMES)
            homes = rng.randint(24, 640)
            exists = HousingDepartment.objects.filter(
                organisation=organisation, number=str(number)
            ).exists()
            summary.count("departments", not exists)
            if not exists:
                register_department(
                    actor=actor,
                    organisation=organisation,
                    number=str(number),
                    name=name,
                    municipality=municipality,
                    homes=homes,
                )


def _pool(summary: DemoSummary, actor: User, code: str, **fields: object) -> Pool:
    existing = Pool.objects.filter(code=code).first()
    summary.count("pools", existing is None)
    return existing or create_pool(actor=actor, code=code, **fields)  # type: ignore[arg-type]


def _pools(
    summary: DemoSummary,
    actor: User,
    organisations: dict[str, Organisation],
    calendar: Calendar,
) -> None:
    start, end = calendar.day(dt.date(2020, 11, 6)), calendar.day(dt.date(2021, 12, 31))
    root = _pool(
        summary,
        actor,
        "ensomhed-2020",
        name="Pulje mod ensomhed 2020",
        administrator=organisations["km"],
        period_start=start,
        period_end=end,
        purpose="Politisk aftale af 6. november 2020: 50 mio. kr. til at bekæmpe ensomhed "
        "efter coronarestriktionerne.",
        # The round's own basis, dated as the act is cited, not on the moved calendar.
        legal_basis="Aktstykke nr. 41 af 12/11/2020 (den politiske aftale om at bekæmpe ensomhed)",
    )
    _post(
        summary,
        "demo:appropriation",
        appropriate,
        actor=actor,
        pool=root,
        amount_ore=kr(50_000_000),
        text="Aktstykke nr. 41 af 12/11/2020",
    )
    bl_purpose = (
        "Lokale initiativer i almene boligafdelinger, i samarbejde med lokale kultur- og "
        "frivillige foreninger, der bringer ensomme og isolerede beboere ind i nye fællesskaber."
    )
    parts = [
        ("slks-faellesskaber", "1.000 nye fællesskaber mod ensomhed", "slks", 10_000_000, {}),
        (
            "bl-vaer-med",
            "BL – Vær Med-puljen",
            "bl",
            15_000_000,
            {
                "purpose": bl_purpose,
                "spend_by": end,
                "funding_source": "Kulturministeriets tilskud på 15 mio. kr. til BL – Danmarks "
                "Almene Boliger",
                # BL is a private body: its decisions cannot be appealed to an authority.
                "no_appeal": True,
                # Four eyes: a grant above 500.000 kr. needs a second caseworker's approval.
                "second_approval_above_ore": kr(500_000),
            },
        ),
        ("covid-partnerskaber", "COVID-19-partnerskaber", "sim", 20_000_000, {}),
        ("kfum-social-drive-out", "KFUM's Social Drive Out", "kfum", 5_000_000, {}),
    ]
    for code, name, administrator, amount, extra in parts:
        part = _pool(
            summary,
            actor,
            code,
            name=name,
            parent=root,
            administrator=organisations[administrator],
            period_start=start,
            period_end=end,
            **extra,
        )
        _post(
            summary,
            f"demo:delegation:{code}",
            delegate,
            actor=actor,
            pool=root,
            to=part,
            amount_ore=kr(amount),
        )
    bl = Pool.objects.get(code="bl-vaer-med")
    if not bl.reporting_rules.exists():
        set_reporting_rules(
            actor=actor,
            pool=bl,
            rules=[
                (0, ReportingRequirement.DECLARATION),
                (kr(50_000), ReportingRequirement.AUDITED),
            ],
        )
    bands = [
        ("bl-vaer-med-ramme-1", "Ramme 1: 10.000–49.999 kr.", 10_000, 49_999, 1_500_000),
        ("bl-vaer-med-ramme-2", "Ramme 2: 50.000–99.999 kr.", 50_000, 99_999, 3_500_000),
        ("bl-vaer-med-ramme-3", "Ramme 3: 100.000–1.000.000 kr.", 100_000, 1_000_000, 10_000_000),
    ]
    for code, name, low, high, amount in bands:
        band = _pool(
            summary,
            actor,
            code,
            name=name,
            parent=bl,
            administrator=organisations["bl"],
            period_start=start,
            period_end=end,
            grant_min_ore=kr(low),
            grant_max_ore=kr(high),
        )
        _post(
            summary,
            f"demo:delegation:{code}",
            delegate,
            actor=actor,
            pool=bl,
            to=band,
            amount_ore=kr(amount),
        )


def _post(summary: DemoSummary, key: str, post: Callable[..., Entry], **arguments: Any) -> None:
    """Post with an idempotency key: a second run gets the first run's entry back."""
    summary.count("ledger entries", not Entry.objects.filter(key=key).exists())
    post(key=key, **arguments)


def _call(summary: DemoSummary, actor: User, calendar: Calendar, deadline: dt.datetime) -> None:
    """BL's call, open on the day the demo is loaded so it can be walked through any day:
    opened yesterday, deadline at noon ``DAYS_TO_DEADLINE`` days on, projects and the
    follow-up report on the round's calendar. A second run leaves it as it is."""
    exists = Call.objects.filter(code=data.BL_CALL).exists()
    summary.count("calls", not exists)
    if exists:
        return
    now = timezone.now()
    spend_by = calendar.day(dt.date(2021, 12, 31))
    texts = data.BL_CALL_TEXTS
    call = create_call(
        actor=actor,
        pool=Pool.objects.get(code="bl-vaer-med"),
        code=data.BL_CALL,
        reference_prefix="BL20",
        opens_at=(now - dt.timedelta(days=1)).replace(minute=0, second=0, microsecond=0),
        closes_at=deadline,
        project_start_earliest=calendar.day(dt.date(2021, 3, 15)),
        project_end_latest=spend_by,
        applicant_kinds=[OrganisationKind.HOUSING],
        partner_kinds=[OrganisationKind.ASSOCIATION],
        report_by=calendar.day(dt.date(2022, 1, 31)),
        **{**texts, "guidance": texts["guidance"].format(spend_by=danish_date(spend_by))},
        **data.BL_CALL_LETTER_FACTS,
    )
    add_question(
        actor=actor,
        call=call,
        label="Har I tidligere samarbejdet med foreningen?",
        kind=QuestionKind.YES_NO,
    )
    add_question(
        actor=actor,
        call=call,
        label="Samarbejdsaftale med foreningen (hvis I har en)",
        help_text="For eksempel en underskrevet aftale eller referatet af et fælles møde.",
        kind=QuestionKind.FILE,
        required=False,
    )


def _applications(summary: DemoSummary, actor: User, calendar: Calendar) -> None:
    """Submitted applications from housing organisations 4 and on (the three demo applicants'
    own organisations are left for them), each by a member of the organisation, through
    ``start_application`` and ``submit_application``; BL's salary cap on the call's screening
    rules first. A second run finds each by organisation and title and skips it."""
    call = Call.objects.get(code=data.BL_CALL)
    rules = ScreeningRules.objects.filter(call=call).first()
    if rules is None or rules.salary_cap_monthly_ore != data.SALARY_CAP:
        set_screening_rules(actor=actor, call=call, salary_cap_monthly_ore=data.SALARY_CAP)
    if not call.is_open():
        return
    housing = list(Organisation.objects.filter(kind=OrganisationKind.HOUSING).order_by("cvr")[3:])
    partners = list(Organisation.objects.filter(kind=OrganisationKind.ASSOCIATION).order_by("cvr"))
    rows = [(index, row) for index, row in enumerate(data.APPLICATIONS)]
    rows.append((0, data.DUPLICATE))
    for position, (index, row) in enumerate(rows):
        # Every other organisation: they are registered in municipality order, so this
        # spreads the applications over all five regions.
        organisation = housing[(2 * index) % len(housing)]
        partner_name, partner_cvr = (
            data.UNKNOWN_PARTNER
            if index == 3
            else (partners[index % len(partners)].name, partners[index % len(partners)].cvr)
        )
        _application(
            summary,
            actor=actor,
            call=call,
            organisation=organisation,
            row=row,
            partner_name=partner_name,
            partner_cvr=partner_cvr,
            position=position,
            calendar=calendar,
        )


def _applicant_profile(actor: User, organisation: Organisation, contact: User, number: int) -> None:
    bban = f"9{number:03d}{5_500_000 + number:010d}"
    municipality = organisation.municipality
    update_organisation(
        actor=actor,
        organisation=organisation,
        address=f"Fællesvej {number + 1}",
        postal_code=f"{4000 + 10 * number}",
        city=municipality.name if municipality else "Danmark",
        payment_iban="DK" + stdnum_iban.calc_check_digits("DK00" + bban) + bban,
        contact_name=contact.name,
        contact_email=contact.email,
        contact_phone=f"70 20 30 {number:02d}",
        finance_name=f"Bogholderiet, {organisation.name}",
        finance_email=f"bogholderi-{organisation.cvr}@pulje.demo",
    )


def _application(
    summary: DemoSummary,
    *,
    actor: User,
    call: Call,
    organisation: Organisation,
    row: data.DemoApplication,
    partner_name: str,
    partner_cvr: str,
    position: int,
    calendar: Calendar,
) -> None:
    title = row.title
    exists = Application.objects.filter(call=call, organisation=organisation, title=title).exists()
    summary.count("applications", not exists)
    if exists:
        return
    email = f"kontakt-{organisation.cvr}@pulje.demo"
    user = User.objects.filter(email=email).first()
    if user is None:
        user = register_user(actor=None, email=email, name=f"Kontakt, {organisation.name}")
        add_membership(actor=None, user=user, organisation=organisation)
        _applicant_profile(actor, organisation, user, position)
    department = organisation.departments.order_by("number").first()
    assert department is not None
    application = start_application(actor=user, call=call, organisation=organisation)
    draft = {
        "departments": [str(department.pk)],
        "title": [title],
        "summary": [f"{title}: et nyt fællesskab for beboere, der sidder alene."],
        "target_groups": row.target_groups,
        "activities": ["Faste aktiviteter hver uge i afdelingens fælleslokaler."],
        "loneliness": [
            "Vi inviterer personligt, sammen med foreningen og de boligsociale medarbejdere."
        ],
        "period_start": [calendar.iso(row.period_start)],
        "period_end": [calendar.iso(row.period_end)],
        "expected_participants": [str(20 + 5 * (position % 9))],
        "amount": [format_dkk(kr(row.amount_kr))],
        **{f"budget_{kind}": [format_dkk(kr(value))] for kind, value in row.budget_kr.items()},
        "partner_1_name": [partner_name],
        "partner_1_cvr": [partner_cvr],
        "partner_1_kind": [OrganisationKind.ASSOCIATION.value],
    }
    application = save_draft(actor=user, application=application, values=draft)
    question = call.questions.filter(kind=QuestionKind.YES_NO).first()
    if question is not None:
        application = save_draft(
            actor=user,
            application=application,
            values={question.field_name: ["yes" if position % 2 else "no"]},
        )
    submit_application(actor=user, application=application, confirmed=fingerprint(application))


def _assessment(summary: DemoSummary, actor: User) -> None:
    """Put the assessors on BL's call's panel, then assign, declare and score every
    application that did not fail screening, through the assessment services. A second run
    finds the assignments and scores in place and writes nothing; applications decided in
    the demo since are left alone."""
    call = Call.objects.get(code=data.BL_CALL)
    caseworker = User.objects.get(email="sekretariat@pulje.demo")
    # The rubric's default criteria are stored in the language active when it is made.
    with translation.override("da"):
        rubric = ensure_rubric(actor=caseworker, call=call)
    criteria = list(rubric.criteria.order_by("position"))
    applications = list(
        Application.objects.filter(call=call, status__in=ApplicationStatus.undecided())
        .select_related("call", "organisation")
        .order_by("reference")
    )
    failed = set(failed_screening(applications))
    applications = [a for a in applications if a not in failed]
    for number, (email, name) in enumerate(data.ASSESSORS):
        assessor = _user(summary, email, name, None, role="bedømmer")
        add_assessor(actor=caseworker, call=call, email=email, name=name)
        assigned = set(
            Assignment.objects.filter(assessor=assessor, application__call=call).values_list(
                "application_id", flat=True
            )
        )
        new = [a for a in applications if a.pk not in assigned and a.status in ASSIGNABLE]
        if new:
            assign_assessor(actor=caseworker, applications=new, assessor=assessor)
        assignments = Assignment.objects.filter(
            assessor=assessor, application__in=applications
        ).select_related("application")
        for assignment in assignments.order_by("application__reference"):
            if assignment.state == AssignmentState.TO_DECLARE:
                declare_interest(actor=assessor, assignment=assignment, conflict=False)
            scorable = (
                assignment.state == AssignmentState.TO_SCORE
                and assignment.application.status in ApplicationStatus.assessed()
            )
            summary.count("assessments", scorable)
            if not scorable:
                continue
            rng = random.Random(f"{assignment.application.reference}-{number}")
            base = rng.choice([2, 3, 3, 4, 4, 5])
            submit_scores(
                actor=assessor,
                assignment=assignment,
                values={
                    criterion.pk: (
                        max(
                            rubric.scale_min,
                            min(rubric.scale_max, base + rng.choice([-1, 0, 0, 1])),
                        ),
                        data.JUSTIFICATION,
                    )
                    for criterion in criteria
                },
            )
