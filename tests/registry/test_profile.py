"""The organisation's "tell us once" profile: payment account, contacts, members, invitations."""

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import translation

from pulje.accounts.models import Membership, User
from pulje.core.iban import format_iban
from pulje.core.models import AuditEvent
from pulje.registry.forms import OrganisationProfileForm
from pulje.registry.models import Organisation
from pulje.registry.selectors import missing_profile_facts, organisations_of
from pulje.registry.services.memberships import add_membership
from tests.factories import OrganisationFactory, UserFactory

pytestmark = [pytest.mark.django_db]

CONTACTS = {
    "contact_name": "Karen Kontakt",
    "contact_email": "karen@boligselskab.dk",
    "contact_phone": "+45 12 34 56 78",
    "finance_name": "Bo Bogholder",
    "finance_email": "bogholderi@boligselskab.dk",
    "finance_phone": "",
}


@pytest.fixture
def organisation() -> Organisation:
    return OrganisationFactory(
        name="Boligselskabet Nord", address="Nørregade 1", postal_code="9000", city="Aalborg"
    )


@pytest.fixture
def member(english: Client, organisation: Organisation) -> User:
    user = UserFactory(
        email="medlem@boligselskab.dk", name="Mette Medlem", organisation=organisation
    )
    english.force_login(user)
    return user


def last_seq() -> int:
    return AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first() or 0


def english_errors(form: Any) -> dict[str, list[str]]:
    with translation.override("en"):
        return {name: [str(e) for e in errors] for name, errors in form.errors.items()}


def profile_form(**data: str) -> OrganisationProfileForm:
    values = {"iban": "", "reg_no": "", "account_no": ""} | CONTACTS | data
    return OrganisationProfileForm(values)


@pytest.mark.parametrize(
    ("reg_no", "account_no", "iban"),
    [
        # Danske Bank's published example: reg.nr. 0040, account 0440116243.
        ("0040", "0440116243", "DK5000400440116243"),
        ("0040", "440 116 243", "DK5000400440116243"),
        # The account number is padded to 10 digits after the reg.nr.
        ("0400", "4011 6243", "DK5804000040116243"),
        ("5301", "123456", "DK8553010000123456"),
    ],
)
def test_reg_and_account_number_become_the_danish_iban(
    reg_no: str, account_no: str, iban: str
) -> None:
    form = profile_form(reg_no=reg_no, account_no=account_no)

    assert form.is_valid(), form.errors
    assert form.changes()["payment_iban"] == iban


@pytest.mark.parametrize(
    ("typed", "iban"),
    [
        ("DK50 0040 0440 1162 43", "DK5000400440116243"),
        ("dk5000400440116243", "DK5000400440116243"),
        ("GB82 WEST 1234 5698 7654 32", "GB82WEST12345698765432"),
        ("DE89 3704 0044 0532 0130 00", "DE89370400440532013000"),
    ],
)
def test_an_iban_is_stored_compact(typed: str, iban: str) -> None:
    form = profile_form(iban=typed)

    assert form.is_valid(), form.errors
    assert form.changes() == CONTACTS | {"payment_iban": iban}


def test_the_account_is_shown_in_groups_of_four() -> None:
    assert format_iban("DK5000400440116243") == "DK50 0040 0440 1162 43"
    assert format_iban("") == ""


@pytest.mark.parametrize(
    ("data", "errors"),
    [
        (
            {"iban": "DK50 0040 0440 1162 44"},
            {
                "iban": [
                    "“DK50 0040 0440 1162 44” is not a valid IBAN: the check digits do not match."
                ]
            },
        ),
        (
            {"iban": "0040 0440 1162 43"},
            {"iban": ["An IBAN starts with a country code and two check digits, e.g. DK50."]},
        ),
        (
            {"reg_no": "400", "account_no": "4011 6243"},
            {"reg_no": ["The reg.nr. must be 4 digits."]},
        ),
        (
            {"reg_no": "04a0", "account_no": "4011 6243"},
            {"reg_no": ["The reg.nr. must be 4 digits."]},
        ),
        (
            {"reg_no": "0400", "account_no": "12345678901"},
            {"account_no": ["The account number must be digits only, at most 10."]},
        ),
        (
            {"reg_no": "0400", "account_no": ""},
            {"account_no": ["Give the account number as well as the reg.nr."]},
        ),
        (
            {"reg_no": "", "account_no": "4011 6243"},
            {"reg_no": ["Give the reg.nr. as well as the account number."]},
        ),
        (
            {"iban": "DK5000400440116243", "reg_no": "0400", "account_no": "4011 6243"},
            {"__all__": ["Give either an IBAN or a reg.nr. and account number, not both."]},
        ),
        (
            {"contact_phone": "ring til mig"},
            {"contact_phone": ["Write the phone number with digits, e.g. 12 34 56 78."]},
        ),
        ({"finance_email": "ikke-en-adresse"}, {"finance_email": ["Enter a valid email address."]}),
    ],
)
@pytest.mark.usefixtures("english")
def test_a_wrong_account_or_contact_is_refused_with_a_clear_message(
    data: dict[str, str], errors: dict[str, list[str]]
) -> None:
    form = profile_form(**data)

    assert not form.is_valid()
    assert english_errors(form) == errors


def test_a_member_sees_the_profile_with_what_applications_still_need(
    english: Client, organisation: Organisation, member: User
) -> None:
    response = english.get(reverse("registry:profile", args=[organisation.pk]))

    assert response.status_code == 200
    assert response.context["organisation"] == organisation
    assert response.context["missing"] == [
        "The payment account is missing.",
        "The contact person's name is missing.",
        "The contact person's e-mail address is missing.",
        "The contact person's phone number is missing.",
        "The finance contact's name is missing.",
        "The finance contact's e-mail address is missing.",
    ]
    assert response.context["members"] == [(Membership.objects.get(user=member), False)]
    assert organisation.cvr.encode() in response.content
    assert "Nørregade 1, 9000 Aalborg".encode() in response.content


def test_a_member_saves_the_account_and_contacts_with_one_audit_event(
    english: Client, organisation: Organisation, member: User
) -> None:
    seq = last_seq()

    response = english.post(
        reverse("registry:profile", args=[organisation.pk]),
        {"iban": "", "reg_no": "0400", "account_no": "4011 6243"} | CONTACTS,
    )

    assert response.status_code == 302
    organisation.refresh_from_db()
    assert organisation.payment_iban == "DK5804000040116243"
    assert {name: getattr(organisation, name) for name in CONTACTS} == CONTACTS
    assert missing_profile_facts(organisation) == []
    events = list(AuditEvent.objects.filter(seq__gt=seq))
    assert [(e.action, e.actor_id, e.object_id) for e in events] == [
        ("registry.organisation.updated", member.pk, str(organisation.pk))
    ]
    assert events[0].before is not None
    assert events[0].after is not None
    changed = {k: v for k, v in events[0].after.items() if events[0].before[k] != v}
    assert changed == {
        "payment_iban": "DK5804000040116243",
        "contact_name": "Karen Kontakt",
        "contact_email": "karen@boligselskab.dk",
        "contact_phone": "+45 12 34 56 78",
        "finance_name": "Bo Bogholder",
        "finance_email": "bogholderi@boligselskab.dk",
    }

    page = english.get(reverse("registry:profile", args=[organisation.pk]))
    assert b"DK58 0400 0040 1162 43" in page.content
    assert page.context["form"]["iban"].value() == "DK58 0400 0040 1162 43"


def test_a_refused_profile_saves_nothing(
    english: Client, organisation: Organisation, member: User
) -> None:
    seq = last_seq()

    response = english.post(
        reverse("registry:profile", args=[organisation.pk]),
        {"iban": "", "reg_no": "400", "account_no": "4011 6243"} | CONTACTS,
    )

    assert response.status_code == 200
    assert english_errors(response.context["form"]) == {"reg_no": ["The reg.nr. must be 4 digits."]}
    organisation.refresh_from_db()
    assert (organisation.payment_iban, organisation.contact_name) == ("", "")
    assert AuditEvent.objects.filter(seq__gt=seq).count() == 0


def test_saving_an_unchanged_profile_writes_no_event(
    english: Client, organisation: Organisation, member: User
) -> None:
    url = reverse("registry:profile", args=[organisation.pk])
    english.post(url, {"iban": "DK50 0040 0440 1162 43", "reg_no": "", "account_no": ""} | CONTACTS)
    seq = last_seq()

    english.post(url, {"iban": "DK50 0040 0440 1162 43", "reg_no": "", "account_no": ""} | CONTACTS)

    assert AuditEvent.objects.filter(seq__gt=seq).count() == 0


@pytest.mark.parametrize("view", ["registry:profile", "registry:invite"])
@pytest.mark.parametrize("method", ["get", "post"])
def test_a_member_of_another_organisation_gets_404(
    english: Client, organisation: Organisation, member: User, view: str, method: str
) -> None:
    other = OrganisationFactory(name="Boligselskabet Syd")
    UserFactory(email="syd@example.dk", organisation=other)
    seq = last_seq()

    response = getattr(english, method)(
        reverse(view, args=[other.pk]),
        {"iban": "DK5000400440116243", "email": "indtrænger@example.dk"}
        if method == "post"
        else None,
    )

    expected = 405 if (view, method) == ("registry:invite", "get") else 404
    assert response.status_code == expected
    assert b"Boligselskabet Syd" not in response.content
    other.refresh_from_db()
    assert other.payment_iban == ""
    assert AuditEvent.objects.filter(seq__gt=seq).count() == 0
    assert not User.objects.filter(email="indtrænger@example.dk").exists()


@pytest.mark.parametrize(
    ("view", "method"),
    [
        ("registry:profile", "get"),
        ("registry:invite", "post"),
        ("registry:prove_code", "post"),
        ("registry:remove", "post"),
        ("registry:role", "post"),
    ],
)
def test_a_number_too_large_for_the_database_is_not_found(
    english: Client, member: User, view: str, method: str
) -> None:
    huge = 10**20
    args = [huge, huge] if view in ("registry:remove", "registry:role") else [huge]

    response = getattr(english, method)(reverse(view, args=args))

    assert response.status_code == 404


def test_organisations_of_lists_the_memberships_by_name(
    django_assert_num_queries: Callable[..., Any],
) -> None:
    user = UserFactory()
    b = OrganisationFactory(name="B-boliger")
    a = OrganisationFactory(name="A-boliger")
    OrganisationFactory(name="C-boliger")
    for organisation in (b, a):
        add_membership(actor=None, user=user, organisation=organisation)

    with django_assert_num_queries(1):
        assert organisations_of(user) == [a, b]


def test_a_changed_payment_account_is_told_to_every_member_and_the_finance_contact(
    english: Client,
    organisation: Organisation,
    member: User,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    UserFactory(email="kollega@boligselskab.dk", organisation=organisation)
    data = {"iban": "DK50 0040 0440 1162 43", "reg_no": "", "account_no": ""} | CONTACTS
    url = reverse("registry:profile", args=[organisation.pk])
    with django_capture_on_commit_callbacks(execute=True):
        english.post(url, data)
    with django_capture_on_commit_callbacks(execute=True):
        english.post(url, data | {"contact_phone": "87654321"})

    (message,) = mail.outbox
    assert message.to == [
        "bogholderi@boligselskab.dk",
        "kollega@boligselskab.dk",
        "medlem@boligselskab.dk",
    ]
    assert message.subject == "Udbetalingskontoen for Boligselskabet Nord er ændret"
    assert "ender nu på 6243" in message.body
    assert "Mette Medlem" in message.body


def test_a_member_adds_a_housing_department_the_register_lacks(
    english: Client, organisation: Organisation, member: User
) -> None:
    url = reverse("registry:add_department", args=[organisation.pk])
    data = {"number": "7", "name": "Solgården", "municipality": "751", "homes": "84"}
    seq = last_seq()

    response = english.post(url, data)
    again = english.post(url, data)

    assert (
        response["Location"] == reverse("registry:profile", args=[organisation.pk]) + "#afdelinger"
    )
    department = organisation.departments.get()
    assert (department.number, department.name, department.municipality_id, department.homes) == (
        "7",
        "Solgården",
        "751",
        84,
    )
    assert AuditEvent.objects.filter(seq__gt=seq).values_list("action", flat=True).first() == (
        "registry.department.registered"
    )
    assert again.status_code == 200
    assert again.context["department_form"].errors == {
        "__all__": [
            "Housing department with this Housing organisation and Department number "
            "already exists."
        ]
    }
    assert organisation.departments.count() == 1


def test_departments_are_added_only_by_members_of_a_housing_organisation(
    english: Client, organisation: Organisation, member: User
) -> None:
    data = {"number": "7", "name": "Solgården", "municipality": "751", "homes": "84"}
    stranger = OrganisationFactory()
    funder = OrganisationFactory(kind="funder")
    add_membership(actor=None, user=member, organisation=funder)
    for target in (stranger, funder):
        response = english.post(reverse("registry:add_department", args=[target.pk]), data)
        assert response.status_code == 404
    assert not stranger.departments.exists()


def test_a_department_added_from_an_application_goes_back_to_it(
    english: Client, organisation: Organisation, member: User
) -> None:
    url = reverse("registry:add_department", args=[organisation.pk])
    draft = "/ansoegninger/0b6f7a1c-0d1e-4a55-9d43-1c6f0f3f0c11/#projekt"
    page = english.get(url, {"next": draft})
    assert page.status_code == 200
    assert f'name="next" value="{draft}"' in page.content.decode()
    assert "Back to the application" in page.content.decode()

    wrong = english.post(url, {"number": "", "next": draft})
    assert wrong.status_code == 400
    assert f'name="next" value="{draft}"' in wrong.content.decode()

    data = {"number": "7", "name": "Solgården", "municipality": "751", "homes": "84"}
    response = english.post(url, {**data, "next": draft})
    assert response["Location"] == draft
    assert organisation.departments.count() == 1


def test_a_department_page_goes_back_only_to_this_site(
    english: Client, organisation: Organisation, member: User
) -> None:
    url = reverse("registry:add_department", args=[organisation.pk])
    data = {"number": "7", "name": "Solgården", "municipality": "751", "homes": "84"}
    response = english.post(url, {**data, "next": "https://example.com/"})
    assert (
        response["Location"] == reverse("registry:profile", args=[organisation.pk]) + "#afdelinger"
    )


def test_fields_an_application_needs_are_not_marked_optional(
    english: Client, organisation: Organisation, member: User
) -> None:
    Membership.objects.filter(user=member).update(role="administrator")
    html = english.get(reverse("registry:profile", args=[organisation.pk])).content.decode()
    labels = dict(re.findall(r'<label class="form-label" for="id_(\w+)">(.*?)</label>', html))
    for needed in ("iban", "contact_name", "contact_email", "contact_phone", "finance_email"):
        assert "optional" not in labels[needed], needed
    assert "(optional)" in labels["finance_phone"]


def test_a_profile_saved_on_the_way_to_an_application_asks_for_a_department_first(
    english: Client, organisation: Organisation, member: User
) -> None:
    """Registering on the way to an application (the call's Apply): the profile's facts, then
    a housing department, then back to the call."""
    Membership.objects.filter(user=member).update(role="administrator")
    session = english.session
    session["pulje_return_to"] = "/opslag/bl-faellesskaber-2020/"
    session.save()
    profile = reverse("registry:profile", args=[organisation.pk])
    response = english.post(profile, {"iban": "DK5000400440116243", **CONTACTS})
    assert response["Location"] == profile + "#afdelinger"
    page = english.get(response["Location"]).content.decode()
    assert "Now add the housing departments your projects take place in." in page

    data = {"number": "7", "name": "Solgården", "municipality": "751", "homes": "84"}
    response = english.post(reverse("registry:add_department", args=[organisation.pk]), data)
    assert response["Location"] == "/opslag/bl-faellesskaber-2020/"


def test_a_profile_completed_from_check_your_answers_goes_back_to_it(
    english: Client, organisation: Organisation, member: User
) -> None:
    Membership.objects.filter(user=member).update(role="administrator")
    check = "/ansoegninger/0b6f7a1c-0d1e-4a55-9d43-1c6f0f3f0c11/tjek/"
    profile = reverse("registry:profile", args=[organisation.pk])
    page = english.get(profile, {"next": check}).content.decode()
    assert f'name="next" value="{check}"' in page

    # Still missing the account: the profile again.
    response = english.post(profile, {"iban": "", **CONTACTS, "next": check})
    assert response["Location"] != check
    response = english.post(profile, {"iban": "DK5000400440116243", **CONTACTS, "next": check})
    assert response["Location"] == check
