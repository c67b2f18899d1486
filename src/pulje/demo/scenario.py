"""The 2020 loneliness pool as a demo, built through pulje's own services.

Every step looks for what it would create by its natural key (CVR, pool code, e-mail) and
posts money with an idempotency key, so running it twice changes nothing the second time.
The organisations, CVR numbers and people are made up; the pool's figures are the real ones
(the political agreement of 6 November 2020 and BL's published rules): 50 mio. kr. split
10/15/20/5, and BL's 15 mio. in three grant bands.
"""

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone
from stdnum import iban as stdnum_iban

from pulje.accounts.models import User
from pulje.accounts.services import add_membership, register_user
from pulje.calls.models import Call, QuestionKind
from pulje.calls.services import add_question, create_call
from pulje.core.money import kr
from pulje.funds.models import Pool, ReportingRequirement
from pulje.funds.services import create_pool, set_reporting_rules
from pulje.ledger.models import Entry
from pulje.ledger.services import appropriate, delegate
from pulje.registry.models import HousingDepartment, Municipality, Organisation, OrganisationKind
from pulje.registry.services import (
    register_department,
    register_organisation,
    update_organisation,
)

DEMO_PASSWORD = "pulje-demo-2020"  # noqa: S105 - printed for the demo on purpose
HOUSING_ORGANISATIONS = 64
DEPARTMENTS = 400

_DEPARTMENT_NAMES = [
    "Parkbo",
    "Engtoften",
    "Solvænget",
    "Birkehøj",
    "Lindegården",
    "Søparken",
    "Vestervang",
    "Nørrebakken",
    "Skovlyst",
    "Åløkken",
    "Rosenhaven",
    "Kildeparken",
    "Havrevangen",
    "Toftegården",
    "Bøgeløkken",
    "Strandhusene",
    "Egebjerg",
    "Møllevangen",
    "Askelunden",
    "Grønnehave",
]
_ORGANISATION_PATTERNS = [
    "Boligselskabet {town}",
    "{town} Almennyttige Boligselskab",
    "Boligforeningen {town}",
    "Arbejdernes Boligforening {town}",
    "{town} Boligselskab",
    "Fællesbo {town}",
]
_PARTNERS = [
    ("Beboerforeningen Samvær", OrganisationKind.ASSOCIATION),
    ("Spil og Snak Forening", OrganisationKind.ASSOCIATION),
    ("Kulturforeningen Fællesskabet", OrganisationKind.ASSOCIATION),
    ("Idrætsforeningen Bevæg Dig", OrganisationKind.ASSOCIATION),
    ("Foreningen Madfællesskab", OrganisationKind.ASSOCIATION),
    ("Haveforeningen Grønne Fingre", OrganisationKind.ASSOCIATION),
    ("Strikkeklubben Masker", OrganisationKind.ASSOCIATION),
    ("Musikforeningen Sammen", OrganisationKind.ASSOCIATION),
    ("Frivilligcenter Midt", OrganisationKind.SOCIAL),
    ("Ældresagen Lokalt", OrganisationKind.SOCIAL),
    ("Ungdomsnetværket", OrganisationKind.SOCIAL),
    ("Røde Kors Lokalafdeling", OrganisationKind.SOCIAL),
    ("Bydelsbiblioteket Nord", OrganisationKind.LIBRARY),
    ("Centralbiblioteket Syd", OrganisationKind.LIBRARY),
    ("Lokalbiblioteket Øst", OrganisationKind.LIBRARY),
    ("Bibliotekerne Vest", OrganisationKind.LIBRARY),
]


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


_CVR_WEIGHTS = (2, 7, 6, 5, 4, 3, 2)


def fake_cvr(seed: int) -> str:
    """A made-up but valid CVR number (modulus 11): distinct seeds give distinct numbers.

    Each seed owns three 7-digit prefixes and takes the first whose check digit exists (the
    sum's remainder may demand a "10", which no digit can be).
    """
    if not 0 <= seed < 3_000_000:
        raise ValueError("seed must be in 0..2,999,999")
    for prefix in range(1_000_000 + 3 * seed, 1_000_000 + 3 * seed + 3):
        total = sum(w * int(d) for w, d in zip(_CVR_WEIGHTS, str(prefix), strict=True))
        check = -total % 11
        if check < 10:
            return f"{prefix}{check}"
    raise AssertionError("three consecutive prefixes without a check digit")


@transaction.atomic
def load_demo() -> DemoSummary:
    summary = DemoSummary()
    actor = _user(summary, "admin@pulje.demo", "Demo-administrator", None, superuser=True)
    organisations = _organisations(summary, actor)
    _registry(summary, actor)
    _pools(summary, actor, organisations)
    _call(summary, actor)
    _user(summary, "ministerie@pulje.demo", "Mette Ministeriel", organisations["km"])
    _user(summary, "slks@pulje.demo", "Søren Styrelse", organisations["slks"])
    _user(summary, "sekretariat@pulje.demo", "Birgitte Sekretariat", organisations["bl"])
    _user(summary, "sagsbehandler@pulje.demo", "Bo Sagsbehandler", organisations["bl"])
    housing = Organisation.objects.filter(kind=OrganisationKind.HOUSING).order_by("cvr")[:3]
    for number, organisation in enumerate(housing, start=1):
        _user(summary, f"ansoeger{number}@pulje.demo", f"Ansøger {number}", organisation)
        _profile(actor, organisation, number)
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
) -> User:
    user = User.objects.filter(email=email).first()
    summary.count("users", user is None)
    if user is None:
        user = register_user(
            actor=None,
            email=email,
            name=name,
            password=DEMO_PASSWORD,
            is_staff=superuser,
            is_superuser=superuser,
        )
    if organisation is not None:
        add_membership(actor=None, user=user, organisation=organisation)
    summary.logins.append(Login(email, organisation.name if organisation else "administrator"))
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
    for seed, (name, kind) in enumerate(_PARTNERS, start=100):
        _organisation(summary, actor, seed, name, kind)
    return found


def _registry(summary: DemoSummary, actor: User) -> None:
    rng = random.Random(2020)
    municipalities = list(Municipality.objects.order_by("code"))
    step = len(municipalities) / HOUSING_ORGANISATIONS
    by_region: dict[str, list[Municipality]] = {}
    for municipality in municipalities:
        by_region.setdefault(municipality.region_id, []).append(municipality)
    departments_left = DEPARTMENTS
    for index in range(HOUSING_ORGANISATIONS):
        home = municipalities[int(index * step)]
        pattern = _ORGANISATION_PATTERNS[index % len(_ORGANISATION_PATTERNS)]
        organisation = _organisation(
            summary,
            actor,
            1000 + index,
            pattern.format(town=home.name),
            OrganisationKind.HOUSING,
            housing_number=str(101 + index),
            municipality=home,
        )
        count = departments_left // (HOUSING_ORGANISATIONS - index)
        departments_left -= count
        for number in range(1, count + 1):
            municipality = home if rng.random() < 0.8 else rng.choice(by_region[home.region_id])
            name = rng.choice(_DEPARTMENT_NAMES)
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


def _pools(summary: DemoSummary, actor: User, organisations: dict[str, Organisation]) -> None:
    start, end = dt.date(2020, 11, 6), dt.date(2021, 12, 31)
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
            {"purpose": bl_purpose, "spend_by": dt.date(2021, 12, 31)},
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


BL_CALL = "bl-faellesskaber-2020"
_BL_CALL_TEXTS: dict[str, Any] = {
    "title": "Puljen til lokale fællesskaber mod ensomhed",
    "purpose": (
        "BL – Danmarks Almene Boliger har fået 15 mio. kr. af den politiske aftale af "
        "6. november 2020 om at bekæmpe ensomhed og isolation i kølvandet på "
        "coronarestriktionerne. Pengene skal bruges på lokale indsatser i almene boligafdelinger "
        "i hele landet, der får ensomme og selvisolerede beboere ind i nye fællesskaber – i "
        "samarbejde med det lokale kultur- og foreningsliv.\n\n"
        "Puljen støtter både små og store initiativer: fra fællesspisning, gåture og "
        "strikkeklubber til længere forløb med foreninger og frivillige."
    ),
    "eligibility": (
        "Kun almene boligorganisationer med et CVR-nummer kan søge. Boligorganisationen er "
        "juridisk og økonomisk ansvarlig for projektet; afdelingsbestyrelser og beboergrupper "
        "søger gennem deres boligorganisation.\n\n"
        "Projektet skal gennemføres sammen med mindst én lokal kultur- eller frivillig forening "
        "med eget CVR-nummer. Biblioteker og sociale organisationer kan være med som ekstra "
        "partnere; private virksomheder kan ikke være hovedpartner."
    ),
    "criteria": (
        "En ekspertarbejdsgruppe vurderer ansøgningerne, og BL's puljesekretariat træffer "
        "afgørelse. Vi lægger vægt på, at projektet får ensomme og isolerede beboere ind i nye "
        "fællesskaber; at formål, målgruppe, aktiviteter, tidsplan og organisering hænger "
        "sammen; at foreningen er en reel partner i både planlægning og gennemførelse; og at "
        "budgettet er realistisk og følger reglerne i vejledningen.\n\n"
        "Samlet skal puljen nå børn og unge, voksne og ældre, med spredning over hele landet."
    ),
    "guidance": (
        "Puljen har tre rammer: 10.000–49.999 kr., 50.000–99.999 kr. og "
        "100.000–1.000.000 kr. Pengene skal være brugt inden udgangen af 2021.\n\n"
        "Budgettet skal skille løn, aktiviteter og – i ramme 2 og 3 – revision ad. Løn dækkes "
        "med højst 34.000 kr. om måneden inkl. pension og feriepenge. Puljen dækker ikke "
        "almindelig drift og administration, uspecificerede udgifter eller diæter.\n\n"
        "Får I tilsagn, fører I et særskilt regnskab for tilskuddet og deltager i en fælles "
        "evaluering på tværs af projekterne. Under 50.000 kr. afrapporterer I med en "
        "elektronisk erklæring; fra 50.000 kr. med revideret regnskab."
    ),
}


def _call(summary: DemoSummary, actor: User) -> None:
    """BL's call, open on the day the demo is loaded so it can be walked through any day:
    opened yesterday, deadline at noon 60 days on. A second run leaves it as it is."""
    exists = Call.objects.filter(code=BL_CALL).exists()
    summary.count("calls", not exists)
    if exists:
        return
    now = timezone.now()
    copenhagen = timezone.get_default_timezone()
    call = create_call(
        actor=actor,
        pool=Pool.objects.get(code="bl-vaer-med"),
        code=BL_CALL,
        reference_prefix="BL20",
        opens_at=(now - dt.timedelta(days=1)).replace(minute=0, second=0, microsecond=0),
        closes_at=(now + dt.timedelta(days=60))
        .astimezone(copenhagen)
        .replace(hour=12, minute=0, second=0, microsecond=0),
        project_start_earliest=dt.date(2021, 3, 15),
        project_end_latest=dt.date(2021, 12, 31),
        applicant_kinds=[OrganisationKind.HOUSING],
        partner_kinds=[OrganisationKind.ASSOCIATION],
        **_BL_CALL_TEXTS,
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
