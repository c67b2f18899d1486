"""A band on the fast track and applications submitted to it, through the product's services."""

from dataclasses import dataclass

from pulje.applications.models import Application
from pulje.applications.services import fingerprint, start_application, submit_application
from pulje.core.money import kr
from pulje.fasttrack.models import FastTrack
from pulje.fasttrack.services import set_fast_track
from pulje.registry.models import OrganisationKind
from pulje.registry.services.verification import verify_partner_organisation
from tests.factories import HousingDepartmentFactory
from tests.factories.applications import PARTNER_CVR, complete_draft
from tests.factories.decisions import Funded, make_funded


@dataclass
class Track:
    funded: Funded
    fast_track: FastTrack


def make_track(band_money: int = kr(100_000), max_kr: int = 15_000) -> Track:
    funded = make_funded((band_money, kr(200_000), kr(400_000)))
    verify_partner_organisation(
        actor=funded.caseworker,
        cvr=PARTNER_CVR,
        name="Beboerforeningen",
        kind=OrganisationKind.ASSOCIATION,
    )
    fast_track = set_fast_track(
        actor=funded.caseworker, band=funded.bands[0], max_amount_ore=kr(max_kr)
    )
    return Track(funded=funded, fast_track=fast_track)


def draft(track: Track, amount_kr: int, title: str = "", **fields: list[str]) -> Application:
    """A complete draft for ``amount_kr`` (all of it activities) in a department of its own
    (never another's duplicate), ready to submit."""
    applicant = track.funded.applicant
    department = HousingDepartmentFactory(organisation=applicant.organisation)
    application = start_application(
        actor=applicant.user, call=applicant.call, organisation=applicant.organisation
    )
    application.draft = {
        **complete_draft(applicant),
        "departments": [str(department.pk)],
        "title": [title or f"Fællesskab for {amount_kr} kr."],
        "amount": [str(amount_kr)],
        "budget_activities": [str(amount_kr)],
        "budget_materials": [""],
        **fields,
    }
    application.save(update_fields=["draft"])
    return application


def submit(track: Track, application: Application) -> Application:
    submit_application(
        actor=track.funded.applicant.user,
        application=application,
        confirmed=fingerprint(application),
    )
    application.refresh_from_db()
    return application
