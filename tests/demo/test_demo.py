"""`load_demo` builds the 2020 scenario through the product's services, and only once."""

import re
import time
from io import StringIO

import pytest
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.apps import apps
from django.contrib.auth import SESSION_KEY
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from pulje.accounts.models import Membership, User
from pulje.allocation.problems import AllocationOptions
from pulje.allocation.selectors import allocation_facts
from pulje.allocation.services import run_allocation
from pulje.assessment.models import Assignment
from pulje.calls.models import Call
from pulje.core.models import AuditEvent
from pulje.core.money import kr
from pulje.funds.models import Pool, ReportingRequirement
from pulje.funds.selectors import reporting_requirement
from pulje.ledger.models import Entry
from pulje.registry.models import HousingDepartment, Organisation, OrganisationKind, Region
from pulje.registry.selectors import missing_profile_facts, organisations_of
from tests.factories.demo import load_demo

pytestmark = [
    pytest.mark.django_db,
]

ROOT = "ensomhed-2020"
PARTS = ["slks-faellesskaber", "bl-vaer-med", "covid-partnerskaber", "kfum-social-drive-out"]
BANDS = ["bl-vaer-med-ramme-1", "bl-vaer-med-ramme-2", "bl-vaer-med-ramme-3"]


def _row_counts() -> dict[str, int]:
    return {
        model._meta.label: model._default_manager.count()
        for model in apps.get_models()
        if model._meta.label != "sessions.Session"
    }


def test_load_demo_registry(demo: str, db: None) -> None:
    housing = Organisation.objects.filter(kind=OrganisationKind.HOUSING)
    assert housing.count() >= 60
    assert HousingDepartment.objects.count() == 400
    assert set(
        HousingDepartment.objects.values_list("municipality__region", flat=True).distinct()
    ) == set(Region.objects.values_list("code", flat=True))
    assert Region.objects.count() == 5
    # Every housing organisation has departments; only housing organisations have any.
    assert set(HousingDepartment.objects.values_list("organisation", flat=True)) == set(
        housing.values_list("pk", flat=True)
    )
    partners = Organisation.objects.filter(
        kind__in=[OrganisationKind.ASSOCIATION, OrganisationKind.SOCIAL, OrganisationKind.LIBRARY]
    )
    assert partners.count() >= 10


def test_load_demo_pool_tree_and_money(demo: str, db: None) -> None:
    pools = {pool.code: pool for pool in Pool.objects.select_related("account", "parent")}
    assert set(pools) == {ROOT, *PARTS, *BANDS}
    assert {code: (p.parent.code if p.parent else None) for code, p in pools.items()} == {
        ROOT: None,
        **dict.fromkeys(PARTS, ROOT),
        **dict.fromkeys(BANDS, "bl-vaer-med"),
    }
    budgets = {code: pool.account.budget_ore for code, pool in pools.items()}
    assert budgets == {
        ROOT: kr(50_000_000),
        "slks-faellesskaber": kr(10_000_000),
        "bl-vaer-med": kr(15_000_000),
        "covid-partnerskaber": kr(20_000_000),
        "kfum-social-drive-out": kr(5_000_000),
        "bl-vaer-med-ramme-1": kr(1_500_000),
        "bl-vaer-med-ramme-2": kr(3_500_000),
        "bl-vaer-med-ramme-3": kr(10_000_000),
    }
    assert {
        code: pool.account.delegated_ore
        for code, pool in pools.items()
        if code in {ROOT, "bl-vaer-med"}
    } == {
        ROOT: kr(50_000_000),
        "bl-vaer-med": kr(15_000_000),
    }
    assert list(
        Entry.objects.filter(kind="appropriation").values_list("pool__code", "amount_ore")
    ) == [(ROOT, kr(50_000_000))]
    bl = pools["bl-vaer-med"]
    assert [
        [band.code for band in bl.children.all() if band.holds(amount)]
        for amount in (kr(49_999), kr(50_000), kr(1_000_000))
    ] == [["bl-vaer-med-ramme-1"], ["bl-vaer-med-ramme-2"], ["bl-vaer-med-ramme-3"]]
    assert reporting_requirement(pools["bl-vaer-med-ramme-1"], kr(49_999)) == (
        ReportingRequirement.DECLARATION
    )
    assert reporting_requirement(pools["bl-vaer-med-ramme-2"], kr(50_000)) == (
        ReportingRequirement.AUDITED
    )


def test_load_demo_twice_creates_nothing_the_second_time(demo: str, db: None) -> None:
    counts = _row_counts()
    last_event = AuditEvent.objects.latest("seq").seq

    output = load_demo()

    assert _row_counts() == counts
    assert AuditEvent.objects.latest("seq").seq == last_event
    assert "created this time: 0 users, 0 organisations, 0 departments, 0 pools" in output
    assert "created this time: 10 users" in demo
    assert "0 applications, 0 assessments." in output


def test_load_demo_leaves_ledger_and_audit_trail_consistent(demo: str, db: None) -> None:
    load_demo()
    ledger, audit = StringIO(), StringIO()

    call_command("check_ledger", stdout=ledger)
    call_command("verify_audit", stdout=audit)

    assert ledger.getvalue() == "The ledger is consistent.\n"
    last = AuditEvent.objects.order_by("-seq").first()
    assert last is not None
    assert audit.getvalue() == (
        f"The audit trail of {AuditEvent.objects.count()} events is intact.\nHead: {last.hash}\n"
    )


def test_load_demo_every_write_went_through_an_audited_service(demo: str, db: None) -> None:
    audited = {
        (object_type, int(object_id))
        for object_type, object_id in AuditEvent.objects.values_list("object_type", "object_id")
    }
    for model in [Pool, Organisation, HousingDepartment, User, Membership, Entry]:
        label = model._meta.label_lower
        missing = [
            pk
            for pk in model._default_manager.values_list("pk", flat=True)
            if (label, pk) not in audited
        ]
        assert missing == [], label


def _printed_password(output: str) -> str:
    match = re.search(r"takes (\S+) for all:", output)
    assert match is not None, output
    return match.group(1)


def _code_from_printed_key(output: str) -> str:
    match = re.search(r"set up with the key ([A-Z2-7]+)", output)
    assert match is not None, output
    return str(format_hotp_value(hotp_value(match.group(1), int(time.time()) // 30)))


@pytest.mark.parametrize(
    ("email", "visible"),
    [
        (
            "admin@pulje.demo",
            [
                ROOT,
                "bl-vaer-med",
                *BANDS,
                "covid-partnerskaber",
                "kfum-social-drive-out",
                "slks-faellesskaber",
            ],
        ),
        (
            "ministerie@pulje.demo",
            [
                ROOT,
                "bl-vaer-med",
                *BANDS,
                "covid-partnerskaber",
                "kfum-social-drive-out",
                "slks-faellesskaber",
            ],
        ),
        ("slks@pulje.demo", ["slks-faellesskaber"]),
        ("sekretariat@pulje.demo", ["bl-vaer-med", *BANDS]),
        ("sagsbehandler@pulje.demo", ["bl-vaer-med", *BANDS]),
        ("ansoeger1@pulje.demo", []),
    ],
)
def test_demo_users_log_in_with_the_printed_password_and_see_their_pools(
    client: Client, demo: str, db: None, email: str, visible: list[str]
) -> None:
    password = _printed_password(demo)
    assert email in demo

    response = client.post(
        reverse("accounts:password_login"), {"login": email, "password": password}
    )
    if email != "ansoeger1@pulje.demo":
        # Staff, caseworkers and funders: the second factor, from the printed key.
        assert response["Location"] == reverse("mfa_authenticate")
        response = client.post(response["Location"], {"code": _code_from_printed_key(demo)})

    assert response.status_code == 302
    assert client.session[SESSION_KEY] == str(User.objects.get(email=email).pk)
    pool_list = client.get(reverse("funds:pool_list"))
    assert [node.pool.code for node in pool_list.context["nodes"]] == visible


def test_demo_applicants_have_a_complete_organisation_profile(demo: str, db: None) -> None:
    for number in (1, 2, 3):
        organisations = organisations_of(User.objects.get(email=f"ansoeger{number}@pulje.demo"))
        assert len(organisations) == 1
        assert missing_profile_facts(organisations[0]) == []
        assert organisations[0].payment_iban.startswith("DK")


def test_demo_staff_user_reaches_the_admin(client: Client, demo: str, db: None) -> None:
    client.post(
        reverse("accounts:password_login"),
        {"login": "admin@pulje.demo", "password": _printed_password(demo)},
    )
    client.post(reverse("mfa_authenticate"), {"code": _code_from_printed_key(demo)})

    assert client.get("/admin/").status_code == 200
    assert not client.login(username="sekretariat@pulje.demo", password="forkert")


def test_load_demo_fills_the_secretariats_queue_with_screened_applications(
    demo: str, db: None
) -> None:
    from collections import Counter

    from pulje.applications.models import Application
    from pulje.casework.models import Screening, ScreeningRules

    applications = Application.objects.filter(call__code="bl-faellesskaber-2020")
    regions = {
        department.municipality.region_id
        for application in applications.prefetch_related("departments__municipality")
        for department in application.departments.all()
    }

    # All but the two that failed screening are being assessed (see the next test).
    assert Counter(applications.values_list("status", flat=True)) == {
        "in_assessment": 28,
        "screened": 2,
    }
    assert Counter(Screening.objects.values_list("outcome", flat=True)) == {
        "pass": 27,
        "fail": 2,
        "remarks": 1,
    }
    assert sorted(
        code
        for reasons in Screening.objects.exclude(outcome="pass").values_list("reasons", flat=True)
        for code in (reason["code"] for reason in reasons)
    ) == ["duplicate", "partner_unknown", "salary_cap"]
    assert regions == {"1081", "1082", "1083", "1084", "1085"}
    assert ScreeningRules.objects.get(
        call__code="bl-faellesskaber-2020"
    ).salary_cap_monthly_ore == (kr(34_000))


def test_load_demo_has_every_screened_application_scored_so_the_secretariat_can_allocate(
    demo: str, db: None
) -> None:
    call = Call.objects.get(code="bl-faellesskaber-2020")
    assert "bedoemmer1@pulje.demo        bedømmer" in demo
    assert sorted(call.assessors.values_list("user__email", flat=True)) == [
        "bedoemmer1@pulje.demo",
        "bedoemmer2@pulje.demo",
    ]
    assert set(
        Assignment.objects.filter(application__call=call).values_list("state", flat=True)
    ) == {"submitted"}
    assert Assignment.objects.filter(application__call=call).count() == 2 * 28

    facts = allocation_facts(call)
    assert (len(facts.candidates), len(facts.excluded)) == (28, 2)
    run = run_allocation(
        actor=User.objects.get(email="sagsbehandler@pulje.demo"),
        call=call,
        options=AllocationOptions(budget_ore=kr(1_000_000)),
    )
    assert run.status == "optimal"
    assert 0 < run.total_ore <= kr(1_000_000)
