"""Reads for screening: the facts it looks at, the call's rules, and the latest screening of
an application."""

import dataclasses
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from django.db.models import OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce, NullIf

from pulje.applications.checks import ReadDraft, call_terms
from pulje.applications.models import Application, ApplicationStatus
from pulje.applications.workflow import APPLICATION
from pulje.calls.models import Call
from pulje.casework.models import Screening, ScreeningOutcome, ScreeningRules
from pulje.casework.screening import (
    Candidate,
    Earlier,
    PartnerFacts,
    Rules,
    ScreeningResult,
    screen,
)
from pulje.registry.selectors import verified_cvrs


def screening_rules(application: Application) -> Rules:
    """The rules of the application's call as plain data: the call's terms
    (``applications.checks.call_terms``) less what the stored ``ScreeningRules`` (the defaults
    if none) switch off, and what they add."""
    return rules_as_data(application.call, stored_screening_rules(application.call))


def stored_screening_rules(call: Call) -> ScreeningRules:
    """The call's screening rules as stored, or (unsaved) the defaults if it has none."""
    return ScreeningRules.objects.filter(call=call).first() or ScreeningRules(call=call)


def rules_as_data(call: Call, stored: ScreeningRules) -> Rules:
    """``stored`` (saved or not: the page's preview shows rules before they are saved) on
    top of the call's terms, as plain data for ``screening.screen``."""
    terms = call_terms(call)
    period = stored.check_period
    percent = stored.duplicate_similarity_percent
    return Rules(
        terms=dataclasses.replace(
            terms,
            partner_kinds=terms.partner_kinds if stored.require_partner else (),
            bands=terms.bands if stored.check_amount_band else (),
            project_start_earliest=terms.project_start_earliest if period else None,
            project_end_latest=terms.project_end_latest if period else None,
            spend_by=terms.spend_by if period else None,
        ),
        require_eligible_applicant=stored.require_eligible_applicant,
        check_budget_sum=stored.check_budget_sum,
        salary_cap_monthly_ore=stored.salary_cap_monthly_ore,
        excluded_cost_kinds=tuple(stored.excluded_cost_kinds),
        duplicate_similarity=None if percent is None else percent / 100,
    )


def screening_facts(application: Application) -> tuple[Candidate, Rules, list[Earlier], int]:
    """What screening looks at: the application as submitted (its typed fields), the call's
    rules, the applications submitted to the call before it, and its latest version number."""
    organisation = application.organisation
    departments = frozenset(application.departments.values_list("pk", flat=True))
    partners = list(application.partners.all())
    # Known by its CVR number in the registry now, verified (not only linked at submission):
    # a partner a caseworker verified since counts when the application is screened again.
    verified = verified_cvrs(partner.cvr for partner in partners)
    candidate = Candidate(
        organisation_kind=organisation.kind,
        organisation_cvr=organisation.cvr,
        title=application.title,
        department_ids=departments,
        amount_ore=application.amount_ore,
        budget=dict(application.budget_lines.values_list("kind", "amount_ore")),
        partners=[
            PartnerFacts(
                name=partner.name,
                cvr=partner.cvr,
                kind=partner.kind,
                registered=partner.cvr in verified,
            )
            for partner in partners
        ],
        period_start=application.period_start,
        period_end=application.period_end,
    )
    earlier = _submitted_before(application, departments)
    version = application.versions.order_by("-number").values_list("number", flat=True).first()
    return candidate, screening_rules(application), earlier, version or 0


@dataclass(frozen=True)
class Flagged:
    application: Application
    result: ScreeningResult


def screening_preview(call: Call, stored: ScreeningRules) -> list[Flagged]:
    """The call's submitted applications (not withdrawn), in submission order, that the
    rules ``stored`` would fail or remark on if they were screened again now, with what
    the rules would say: what the secretariat sees before it saves new rules. Screenings
    already made stay as they were; the preview writes nothing."""
    rules = rules_as_data(call, stored)
    applications = (
        Application.objects.filter(call=call, status__in=ApplicationStatus.counted())
        .select_related("call__pool", "organisation")
        .order_by("submitted_at", "pk")
    )
    flagged = []
    for application in applications:
        candidate, _rules, earlier, _version = screening_facts(application)
        result = screen(candidate, rules, earlier)
        if result.outcome != "pass":
            flagged.append(Flagged(application=application, result=result))
    return flagged


def draft_screening_facts(
    application: Application, read: ReadDraft
) -> tuple[Candidate, Rules, list[Earlier]]:
    """What screening would look at if the applicant submitted the draft now: the draft as
    read (``applications.checks.check_draft``), the call's rules, and the applications
    submitted to the call before it (for a draft never submitted: all of them)."""
    typed = read.input
    partners = list(typed.partners or ())
    registered = verified_cvrs(p.cvr for p in partners)
    candidate = Candidate(
        organisation_kind=application.organisation.kind,
        organisation_cvr=application.organisation.cvr,
        title=typed.title,
        department_ids=typed.department_ids,
        amount_ore=typed.amount_ore,
        budget=dict(typed.budget or {}),
        partners=[
            PartnerFacts(name=p.name, cvr=p.cvr, kind=p.kind, registered=p.cvr in registered)
            for p in partners
        ],
        period_start=typed.period_start,
        period_end=typed.period_end,
    )
    earlier = _submitted_before(application, typed.department_ids)
    return candidate, screening_rules(application), earlier


def _submitted_before(application: Application, departments: frozenset[int]) -> list[Earlier]:
    """Applications to the same call on one of the same departments, submitted (first) before
    this one (any, for one not yet submitted) and not withdrawn: of two near-identical
    applications the later is the duplicate."""
    if not departments:
        return []
    before = (
        Q()
        if application.submitted_at is None
        else Q(submitted_at__lt=application.submitted_at)
        | Q(submitted_at=application.submitted_at, pk__lt=application.pk)
    )
    others = (
        Application.objects.filter(before, call_id=application.call_id, departments__in=departments)
        .filter(status__in=ApplicationStatus.counted())
        .exclude(pk=application.pk)
        .distinct()
        .prefetch_related("departments")
        .order_by("submitted_at", "pk")
    )
    return [
        Earlier(
            reference=other.reference,
            title=other.title,
            department_ids=frozenset(d.pk for d in other.departments.all()),
        )
        for other in others
    ]


# The order of an application's screenings, the latest first: "the latest screening" means
# the first in this order everywhere.
NEWEST_SCREENING_FIRST = ("-screened_at", "-pk")


def screenings_of(application: Application) -> list[Screening]:
    """The application's screenings, the latest first, with who screened and overrode them
    (one query)."""
    return list(
        Screening.objects.filter(application=application)
        .select_related("screened_by", "overridden_by")
        .order_by(*NEWEST_SCREENING_FIRST)
    )


def latest_screening(application: Application) -> Screening | None:
    """The application's latest screening, or None before it is screened (one query)."""
    return (
        Screening.objects.filter(application=application).order_by(*NEWEST_SCREENING_FIRST).first()
    )


def failed_screenings(applications: Sequence[Application]) -> dict[int, Screening]:
    """The latest screening of each of ``applications`` whose latest screening, after any
    override, failed, by application: one query (none for no applications)."""
    ids = [application.pk for application in applications]
    if not ids:
        return {}
    latest: dict[int, Screening] = {}
    for screening in Screening.objects.filter(application_id__in=ids).order_by(
        *NEWEST_SCREENING_FIRST
    ):
        latest.setdefault(screening.application_id, screening)
    return {
        pk: screening
        for pk, screening in latest.items()
        if screening.effective_outcome == ScreeningOutcome.FAIL
    }


def failed_screening(applications: Sequence[Application]) -> list[Application]:
    """Those of ``applications`` whose latest screening, after any override, failed: they
    may be neither assessed nor granted until a caseworker overrides it with a reason.
    One query."""
    failed = failed_screenings(applications)
    return [application for application in applications if application.pk in failed]


def latest_screening_outcome() -> Subquery:
    latest = Screening.objects.filter(application=OuterRef("pk")).order_by(*NEWEST_SCREENING_FIRST)
    return Subquery(
        latest.annotate(
            effective=Coalesce(NullIf("override_outcome", Value("")), "outcome")
        ).values("effective")[:1]
    )


def awaiting_partner_verification(cvrs: Collection[str]) -> list[Application]:
    """The applications, oldest first, whose latest screening found a partner of ``cvrs``
    not in the registry, that may still be screened (submitted or screened) and whose
    screening no caseworker has overridden (their outcome is the caseworker's): those a
    verification of the partner screens again. Two queries."""
    wanted = set(cvrs)
    applications = list(
        Application.objects.filter(
            status__in=APPLICATION.sources("screen"), partners__cvr__in=wanted
        )
        .distinct()
        .select_related("call")
        .order_by("pk")
    )
    latest: dict[int, Screening] = {}
    for screening in Screening.objects.filter(
        application_id__in=[application.pk for application in applications]
    ).order_by(*NEWEST_SCREENING_FIRST):
        latest.setdefault(screening.application_id, screening)
    return [
        application
        for application in applications
        if application.pk in latest
        and not latest[application.pk].override_outcome
        and any(
            reason.code == "partner_unknown" and reason.params.get("cvr") in wanted
            for reason in latest[application.pk].reason_list
        )
    ]
