"""The demo's data: the organisations, people, call texts, applications and assessors that
``demo.scenario`` builds through pulje's services. Made up, except the pool's own figures."""

from dataclasses import dataclass
from typing import Any

from pulje.core.money import kr
from pulje.registry.models import OrganisationKind
from pulje.registry.testing import fake_cvr


@dataclass(frozen=True)
class DemoApplication:
    """An application the demo submits: amounts in whole kroner, budget lines by kind
    (``budget_<kind>`` in the form), the project period as ISO dates."""

    title: str
    target_groups: list[str]
    amount_kr: int
    budget_kr: dict[str, int]
    period_start: str
    period_end: str


DEMO_PASSWORD = "pulje-demo-2020"  # noqa: S105 - printed for the demo on purpose

# The demo's staff, caseworkers and funders log in with a second factor like everyone in their
# roles; they share this authenticator key (base32), printed by load_demo, so a visitor adds it
# to an authenticator app once. A real server's users each set up their own app.
DEMO_TOTP_SECRET = "PULJEDEMOTOTRINSPULJEDEMOTOTRINS"  # noqa: S105 - printed on purpose

HOUSING_ORGANISATIONS = 64
DEPARTMENTS = 400

DEPARTMENT_NAMES = [
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

ORGANISATION_PATTERNS = [
    "Boligselskabet {town}",
    "{town} Almennyttige Boligselskab",
    "Boligforeningen {town}",
    "Arbejdernes Boligforening {town}",
    "{town} Boligselskab",
    "Fællesbo {town}",
]

PARTNERS = [
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

BL_CALL = "bl-faellesskaber-2020"

BL_CALL_TEXTS: dict[str, Any] = {
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
        "100.000–1.000.000 kr. Pengene skal være brugt senest den {spend_by}.\n\n"
        "Budgettet skal skille løn, aktiviteter og – i ramme 2 og 3 – revision ad. Løn dækkes "
        "med højst 34.000 kr. om måneden inkl. pension og feriepenge. Puljen dækker ikke "
        "almindelig drift og administration, uspecificerede udgifter eller diæter.\n\n"
        "Får I tilsagn, fører I et særskilt regnskab for tilskuddet og deltager i en fælles "
        "evaluering på tværs af projekterne. Under 50.000 kr. afrapporterer I med en "
        "elektronisk erklæring; fra 50.000 kr. med revideret regnskab."
    ),
}

# What BL's letters say besides the decision (made up, as are its e-mail and phone).
BL_CONTACT: dict[str, Any] = {
    "address": "Studiestræde 50",
    "postal_code": "1554",
    "city": "København V",
    "contact_email": "sekretariat@pulje.demo",
    "contact_phone": "70 10 20 00",
}
BL_CALL_LETTER_FACTS: dict[str, Any] = {
    "letter_email": "vaermed@pulje.demo",
    "payment_terms": (
        "Tilskuddet udbetales i én rate til organisationens NemKonto, når I har accepteret "
        "tilsagnet og eventuelt sendt et revideret budget."
    ),
}

# BL's cap on salaries, a month, for the call's screening rules.
SALARY_CAP = kr(34_000)

# Submitted applications for the secretariat's queue. Varied bands, regions and target groups;
# three the screening flags: salaries over BL's cap, a duplicate, a partner the registry lacks.
APPLICATIONS: list[DemoApplication] = [
    DemoApplication(
        title="Fællesspisning i beboerhuset",
        target_groups=["adults", "elderly"],
        amount_kr=25_000,
        budget_kr={"activities": 20_000, "materials": 5_000},
        period_start="2021-04-01",
        period_end="2021-12-15",
    ),
    DemoApplication(
        title="Lektiecafé med foreningen",
        target_groups=["children"],
        amount_kr=45_000,
        budget_kr={"activities": 30_000, "materials": 15_000},
        period_start="2021-03-15",
        period_end="2021-12-31",
    ),
    DemoApplication(
        title="Gåklub for ældre",
        target_groups=["elderly"],
        amount_kr=12_000,
        budget_kr={"activities": 12_000},
        period_start="2021-04-15",
        period_end="2021-10-31",
    ),
    DemoApplication(
        title="Strikkecafé og fortællinger",
        target_groups=["elderly", "adults"],
        amount_kr=18_500,
        budget_kr={"activities": 10_000, "materials": 8_500},
        period_start="2021-05-01",
        period_end="2021-12-31",
    ),
    DemoApplication(
        title="Ungdomsklub om fredagen",
        target_groups=["children"],
        amount_kr=85_000,
        budget_kr={"salaries": 50_000, "activities": 25_000, "audit": 10_000},
        period_start="2021-04-01",
        period_end="2021-12-31",
    ),
    DemoApplication(
        title="Fællesskabshaver i gården",
        target_groups=["adults", "elderly", "children"],
        amount_kr=60_000,
        budget_kr={"activities": 20_000, "materials": 35_000, "audit": 5_000},
        period_start="2021-03-15",
        period_end="2021-11-30",
    ),
    DemoApplication(
        title="Musik og sang for alle",
        target_groups=["adults"],
        amount_kr=30_000,
        budget_kr={"activities": 25_000, "materials": 5_000},
        period_start="2021-05-01",
        period_end="2021-12-31",
    ),
    DemoApplication(
        title="Motion i det fri",
        target_groups=["adults", "elderly"],
        amount_kr=40_000,
        budget_kr={"activities": 35_000, "materials": 5_000},
        period_start="2021-04-01",
        period_end="2021-09-30",
    ),
    DemoApplication(
        title="Bydelsmødre og kaffe",
        target_groups=["adults"],
        amount_kr=95_000,
        budget_kr={"salaries": 60_000, "activities": 30_000, "audit": 5_000},
        period_start="2021-03-15",
        period_end="2021-12-31",
    ),
    DemoApplication(
        title="Digital hjælp til seniorer",
        target_groups=["elderly"],
        amount_kr=22_000,
        budget_kr={"activities": 17_000, "materials": 5_000},
        period_start="2021-04-01",
        period_end="2021-12-31",
    ),
    DemoApplication(
        title="Børnenes madskole",
        target_groups=["children"],
        amount_kr=55_000,
        budget_kr={"activities": 35_000, "materials": 15_000, "audit": 5_000},
        period_start="2021-06-01",
        period_end="2021-12-31",
    ),
    DemoApplication(
        title="Fællesskab på tværs af generationer",
        target_groups=["children", "elderly"],
        amount_kr=150_000,
        budget_kr={"salaries": 100_000, "activities": 40_000, "audit": 10_000},
        period_start="2021-04-01",
        period_end="2021-12-31",
    ),
    DemoApplication(
        title="Sommerudflugter for beboerne",
        target_groups=["adults", "children"],
        amount_kr=35_000,
        budget_kr={"activities": 35_000},
        period_start="2021-06-01",
        period_end="2021-08-31",
    ),
    DemoApplication(
        title="Værkstedet: reparér sammen",
        target_groups=["adults"],
        amount_kr=70_000,
        budget_kr={"activities": 30_000, "materials": 35_000, "audit": 5_000},
        period_start="2021-04-15",
        period_end="2021-12-31",
    ),
    DemoApplication(
        title="Søndagscafé",
        target_groups=["elderly"],
        amount_kr=15_000,
        budget_kr={"activities": 10_000, "materials": 5_000},
        period_start="2021-03-15",
        period_end="2021-12-31",
    ),
    DemoApplication(
        title="Teatergruppe for unge",
        target_groups=["children"],
        amount_kr=48_000,
        budget_kr={"activities": 40_000, "materials": 8_000},
        period_start="2021-05-01",
        period_end="2021-12-31",
    ),
    DemoApplication(
        title="Nabonetværk mod ensomhed",
        target_groups=["adults", "elderly"],
        amount_kr=250_000,
        budget_kr={"salaries": 200_000, "activities": 40_000, "audit": 10_000},
        period_start="2021-03-15",
        period_end="2021-12-31",
    ),
    DemoApplication(
        title="Læseklub på biblioteket",
        target_groups=["adults", "elderly"],
        amount_kr=20_000,
        budget_kr={"activities": 15_000, "materials": 5_000},
        period_start="2021-04-01",
        period_end="2021-12-31",
    ),
    DemoApplication(
        title="Fodbold og fællesskab",
        target_groups=["children"],
        amount_kr=65_000,
        budget_kr={"activities": 45_000, "materials": 15_000, "audit": 5_000},
        period_start="2021-04-01",
        period_end="2021-11-30",
    ),
    DemoApplication(
        title="Kulturnatten i afdelingen",
        target_groups=["adults", "children"],
        amount_kr=28_000,
        budget_kr={"activities": 28_000},
        period_start="2021-08-01",
        period_end="2021-10-31",
    ),
    DemoApplication(
        title="Dans for seniorer",
        target_groups=["elderly"],
        amount_kr=32_000,
        budget_kr={"activities": 27_000, "materials": 5_000},
        period_start="2021-04-01",
        period_end="2021-12-31",
    ),
    DemoApplication(
        title="Fællesskabsrådgiver i bebyggelsen",
        target_groups=["adults"],
        amount_kr=180_000,
        budget_kr={"salaries": 150_000, "activities": 20_000, "audit": 10_000},
        period_start="2021-04-01",
        period_end="2021-12-31",
    ),
    DemoApplication(
        title="Kreativt værksted for børn",
        target_groups=["children"],
        amount_kr=38_000,
        budget_kr={"activities": 20_000, "materials": 18_000},
        period_start="2021-05-01",
        period_end="2021-12-31",
    ),
    DemoApplication(
        title="Cykelklubben",
        target_groups=["adults", "elderly"],
        amount_kr=52_000,
        budget_kr={"activities": 22_000, "materials": 25_000, "audit": 5_000},
        period_start="2021-04-01",
        period_end="2021-10-31",
    ),
    DemoApplication(
        title="Madfællesskab om torsdagen",
        target_groups=["adults"],
        amount_kr=26_000,
        budget_kr={"activities": 20_000, "materials": 6_000},
        period_start="2021-03-15",
        period_end="2021-12-31",
    ),
    DemoApplication(
        title="Mentorordning for unge",
        target_groups=["children"],
        amount_kr=120_000,
        budget_kr={"salaries": 90_000, "activities": 20_000, "audit": 10_000},
        period_start="2021-04-01",
        period_end="2021-12-31",
    ),
    DemoApplication(
        title="Grillaftener i gården",
        target_groups=["adults", "children"],
        amount_kr=14_000,
        budget_kr={"activities": 9_000, "materials": 5_000},
        period_start="2021-05-15",
        period_end="2021-09-15",
    ),
    DemoApplication(
        title="Besøgsvenner i afdelingen",
        target_groups=["elderly"],
        amount_kr=16_000,
        budget_kr={"activities": 16_000},
        period_start="2021-04-01",
        period_end="2021-12-31",
    ),
    # Salaries of 150.000 kr. for April–June: over 3 × 34.000 kr.
    DemoApplication(
        title="Projektleder til fællesskaber",
        target_groups=["adults"],
        amount_kr=160_000,
        budget_kr={"salaries": 150_000, "audit": 10_000},
        period_start="2021-04-01",
        period_end="2021-06-30",
    ),
]

# The first application's title again, on the same department: a duplicate.
DUPLICATE = DemoApplication(
    title="Fællesspisning i beboerhuset!",
    target_groups=["adults", "elderly"],
    amount_kr=25_000,
    budget_kr={"activities": 25_000},
    period_start="2021-04-01",
    period_end="2021-12-15",
)

# A partner whose (valid) CVR number the registry lacks: a remark.
UNKNOWN_PARTNER = ("Spil og Snak Forening (ny afdeling)", fake_cvr(2_999_999))

# The call's assessor panel: two assessors who have scored every application that passed
# screening, so the secretariat can allocate the money at once. Their scores are made up but
# fixed (a seeded draw), with a spread that makes the ranking worth looking at.
ASSESSORS = [
    ("bedoemmer1@pulje.demo", "Bente Bedømmer"),
    ("bedoemmer2@pulje.demo", "Carl Bedømmer"),
]

JUSTIFICATION = "Vurderet ud fra puljens kriterier og ansøgningens beskrivelse."
