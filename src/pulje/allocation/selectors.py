"""Reads for allocation: what a call's allocation is made from (its candidates, its money,
the regions' social-housing homes) and the runs made so far.

Every selector runs a fixed number of queries however many applications there are; the
candidates and everything they need come in eight.
"""

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Prefetch, Sum
from django.utils.translation import gettext_lazy as _
from django.utils.translation import override

from pulje.allocation.models import AllocationRun
from pulje.applications.models import Application, ApplicationStatus, TargetGroup
from pulje.assessment.selectors import latest_recommendations, score_summaries
from pulje.calls.models import Call
from pulje.casework.selectors import failed_screening
from pulje.funds.models import Pool
from pulje.ledger.selectors import subtrees
from pulje.registry.models import HousingDepartment, Region


@dataclass(frozen=True)
class CandidateFacts:
    """One application as the allocation sees it: plain values, no model instances."""

    reference: str
    status: str
    organisation_cvr: str
    organisation_name: str
    score: float
    amount_ore: int
    band: str  # the code of the band pool the amount falls in; "" when the call has no bands
    band_min_ore: int | None
    region: str  # the region's code; "" when neither department nor organisation has one
    municipality: str
    target_groups: tuple[str, ...]
    participants: int
    submitted_at: dt.datetime | None


@dataclass(frozen=True)
class Excluded:
    """An undecided application that is not a candidate, and why (for the page)."""

    reference: str
    title: str
    reason: str
    # The expert group's "do not recommend" left it out: the caseworker may bring it back
    # into a run (``AllocationOptions.brought_back``); ``reason`` is then the recommendation's.
    not_recommended: bool = False


@dataclass(frozen=True)
class BandMoney:
    pool: Pool
    code: str
    name: str
    min_ore: int
    max_ore: int
    available_ore: int


@dataclass(frozen=True)
class CallMoney:
    """What the call's pool (with its sub-pools) and each of its bands has available."""

    pool_name: str
    available_ore: int
    bands: list[BandMoney]

    def band_for(self, amount_ore: int) -> BandMoney | None:
        """The band holding the amount, as ``decisions.selectors.grant_pool`` finds it."""
        return next((band for band in self.bands if band.pool.holds(amount_ore)), None)


@dataclass(frozen=True)
class AllocationFacts:
    candidates: list[CandidateFacts]
    excluded: list[Excluded]
    money: CallMoney
    homes: dict[str, int]  # social-housing homes by region code
    region_names: dict[str, str]
    group_names: dict[str, str] = field(default_factory=dict)


def call_money(call: Call) -> CallMoney:
    """The call's pool's subtree available and each band's own available, from the ledger's
    balances, the bands smallest first as ``calls.selectors.call_bands`` orders them. One
    query."""
    nodes = subtrees([call.pool])
    top = nodes[0]
    if call.pool.is_band:
        band_nodes = [top]
    else:
        band_nodes = sorted(
            (node for node in nodes if node.pool.parent_id == call.pool.pk and node.pool.is_band),
            key=lambda node: (node.pool.grant_min_ore, node.pool.pk),
        )
    return CallMoney(
        pool_name=top.pool.name,
        available_ore=top.subtree.available,
        bands=[_band_money(node.pool, node.balance.available) for node in band_nodes],
    )


def _band_money(pool: Pool, available: int) -> BandMoney:
    assert pool.grant_min_ore is not None
    assert pool.grant_max_ore is not None
    return BandMoney(
        pool=pool,
        code=pool.code,
        name=pool.name,
        min_ore=pool.grant_min_ore,
        max_ore=pool.grant_max_ore,
        available_ore=available,
    )


def homes_by_region() -> dict[str, int]:
    """Social-housing homes in the registry's housing departments, by region code; every
    region is listed, with 0 where there are none. Two queries."""
    homes = dict.fromkeys(Region.objects.values_list("code", flat=True), 0)
    rows = HousingDepartment.objects.values_list("municipality__region_id").annotate(
        homes=Sum("homes")
    )
    for region, total in rows.order_by():
        homes[region] = total
    return homes


def region_names() -> dict[str, str]:
    return dict(Region.objects.values_list("code", "name"))


def undecided_applications(call: Call) -> list[Application]:
    """The call's undecided applications, by reference, each with its organisation and its
    housing departments (with their municipalities): two queries."""
    return list(
        Application.objects.filter(call=call, status__in=ApplicationStatus.undecided())
        .select_related("organisation__municipality")
        .prefetch_related(
            Prefetch(
                "departments",
                queryset=HousingDepartment.objects.select_related("municipality").order_by(
                    "number", "pk"
                ),
            )
        )
        .order_by("reference")
    )


def allocation_facts(call: Call, *, brought_back: Iterable[str] = ()) -> AllocationFacts:
    """The call's candidates (undecided, scored, not failed in screening, in a band of the
    call, and not "not recommended" unless the caseworker brought it back: a reference in
    ``brought_back``) and the undecided applications left out, with the money and the homes
    by region. Nine queries however many applications, and one more when any is not
    recommended."""
    applications = undecided_applications(call)
    failed = {application.pk for application in failed_screening(applications)}
    summaries = score_summaries(applications)
    recommendations = latest_recommendations(
        [a for a in applications if a.status == ApplicationStatus.NOT_RECOMMENDED]
    )
    wanted = set(brought_back)
    money = call_money(call)
    candidates: list[CandidateFacts] = []
    excluded: list[Excluded] = []
    for application in applications:
        summary = summaries.get(application.pk)
        amount = application.amount_ore or 0
        band = money.band_for(amount) if money.bands else None
        reason = None
        if application.pk in failed:
            reason = _("Failed screening")
        elif (
            application.status not in ApplicationStatus.assessed()
            or summary is None
            or summary.mean is None
        ):
            reason = _("Not scored by an assessor yet")
        elif money.bands and band is None:
            reason = _("No grant band of the call holds the amount")
        elif (
            application.status == ApplicationStatus.NOT_RECOMMENDED
            and application.reference not in wanted
        ):
            recommendation = recommendations.get(application.pk)
            excluded.append(
                Excluded(
                    application.reference,
                    application.title,
                    recommendation.reason if recommendation else "",
                    not_recommended=True,
                )
            )
            continue
        if reason is not None:
            excluded.append(Excluded(application.reference, application.title, str(reason)))
            continue
        assert summary is not None
        assert summary.mean is not None
        candidates.append(_facts(application, summary.mean, band))
    with override("da"):
        group_names = {group.value: str(group.label) for group in TargetGroup}
    return AllocationFacts(
        candidates=candidates,
        excluded=excluded,
        money=money,
        homes=homes_by_region(),
        region_names=region_names(),
        group_names=group_names,
    )


def _facts(application: Application, score: float, band: BandMoney | None) -> CandidateFacts:
    """Where a project is: its first housing department's municipality (by department
    number), else its organisation's."""
    departments = list(application.departments.all())
    municipality = (
        departments[0].municipality if departments else application.organisation.municipality
    )
    organisation = application.organisation
    return CandidateFacts(
        reference=application.reference,
        status=application.status,
        organisation_cvr=organisation.cvr,
        organisation_name=organisation.name,
        score=score,
        amount_ore=application.amount_ore or 0,
        band=band.code if band else "",
        band_min_ore=band.min_ore if band else None,
        region=municipality.region_id if municipality else "",
        municipality=municipality.code if municipality else "",
        target_groups=tuple(sorted(set(application.target_groups))),
        participants=application.expected_participants or 0,
        submitted_at=application.submitted_at,
    )


def runs_of(call: Call) -> list[AllocationRun]:
    """The call's runs, newest first, without their (large) problems and results: one
    query."""
    return list(
        AllocationRun.objects.filter(call=call)
        .select_related("created_by", "confirmed_by")
        .defer("problem", "result", "baseline", "options", "statuses")
        .order_by("-pk")
    )


def newest_options(call: Call) -> dict[str, Any] | None:
    """The options (as stored) of the call's newest run, for a new run's form; None before
    the first run (one query)."""
    newest = AllocationRun.objects.filter(call=call).only("options").order_by("-pk").first()
    return newest.options if newest else None


def newest_run_id(call: Call) -> int | None:
    return (
        AllocationRun.objects.filter(call=call).order_by("-pk").values_list("pk", flat=True).first()
    )


def pools_by_code(codes: Iterable[str]) -> dict[str, Pool]:
    """The pools with these codes, by code (one query)."""
    return {pool.code: pool for pool in Pool.objects.filter(code__in=sorted(set(codes)))}


def applications_by_reference(call: Call, references: list[str]) -> dict[str, Application]:
    """The call's applications with these references, for the run's table (one query)."""
    return {
        application.reference: application
        for application in Application.objects.filter(call=call, reference__in=references).only(
            "pk", "uuid", "reference", "title", "call_id"
        )
    }
