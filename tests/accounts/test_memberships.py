"""Who may act for an organisation: claims are requests until proven, invitations give access
only when accepted, administrators alone invite and change the payment account, and people who
work for a pool join applicant organisations only with their secretariat's approval."""

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

import pytest
from allauth.socialaccount.models import SocialLogin
from allauth.socialaccount.signals import pre_social_login
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from pulje.accounts.models import Invitation, Membership, MembershipRole, Proof, User
from pulje.applications.models import Application
from pulje.applications.services import (
    fingerprint,
    start_application,
    submit_application,
    withdraw_application,
)
from pulje.applications.workflow import ApplicationRefused
from pulje.assessment.models import PanelMember
from pulje.calls.models import Call
from pulje.core.models import AuditEvent
from pulje.funds.permissions import can_manage_pool
from pulje.registry.models import Organisation, OrganisationKind
from pulje.registry.permissions import is_claimable, may_approve_membership
from pulje.registry.receivers import proven_cvr
from pulje.registry.selectors import requests_for
from pulje.registry.services.invitations import accept_invitation, invite_member
from pulje.registry.services.memberships import (
    MembershipRefused,
    add_membership,
    approve_membership,
    change_role,
    refuse_membership,
    remove_member,
    request_membership,
)
from pulje.registry.services.organisations import update_organisation, update_profile
from pulje.registry.services.proof import (
    PROVEN_CVR_KEY,
    prove_by_code,
    prove_by_identity_provider,
    send_proof_code,
)
from tests.factories import OrganisationFactory, PoolFactory, UserFactory
from tests.factories.applications import complete_draft, make_applicant, make_call

pytestmark = [pytest.mark.django_db]


def events_since(seq: int) -> list[str]:
    return list(AuditEvent.objects.filter(seq__gt=seq).values_list("action", flat=True))


def last_seq() -> int:
    return AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first() or 0


def mailed_code() -> str:
    """The eight-digit code on a line of its own in the last mail sent."""
    match = re.search(r"^(\d{8})$", str(mail.outbox[-1].body), re.MULTILINE)
    assert match is not None
    return match.group(1)


def refusal_code(call: Callable[[], Any]) -> str:
    with pytest.raises(MembershipRefused) as refused:
        call()
    return refused.value.code


@pytest.fixture
def housing() -> Organisation:
    return OrganisationFactory(name="Boligselskabet Nord", registry_email="post@nord.dk")


@pytest.fixture
def claimant(housing: Organisation) -> User:
    return UserFactory(email="ny@example.dk", name="Nina Ny")


# Who may claim what


def test_an_organisation_that_administers_a_pool_cannot_be_claimed_whatever_its_kind() -> None:
    """The hole that was found: BL's pool's administrator had no members and could be claimed
    by its public CVR number, making the claimant the pool's secretariat."""
    administrator = OrganisationFactory(
        name="Boligernes Landsforening", kind=OrganisationKind.HOUSING
    )
    pool = PoolFactory(administrator=administrator)
    outsider = UserFactory()

    assert not is_claimable(administrator)
    assert (
        refusal_code(lambda: request_membership(actor=outsider, organisation=administrator))
        == "not_claimable"
    )
    assert not Membership.objects.filter(user=outsider).exists()
    assert not can_manage_pool(outsider, pool)


def test_the_pool_administrator_claim_is_refused_on_the_onboarding_pages(client: Client) -> None:
    administrator = OrganisationFactory(kind=OrganisationKind.ASSOCIATION)
    PoolFactory(administrator=administrator)
    outsider = UserFactory()
    client.force_login(outsider)

    looked_up = client.post(reverse("registry:onboarding"), {"cvr": administrator.cvr})
    claimed = client.post(reverse("registry:claim"), {"cvr": administrator.cvr})

    assert (looked_up.status_code, claimed.status_code) == (403, 403)
    assert not Membership.objects.filter(user=outsider).exists()


def test_a_claim_is_a_request_that_gives_no_power_over_pools(
    housing: Organisation, claimant: User
) -> None:
    """Even if the organisation administered a pool later, an unproven claim would not make
    its claimant a caseworker."""
    seq = last_seq()

    membership = request_membership(actor=claimant, organisation=housing)

    assert (membership.is_proven, membership.role, membership.proof) == (
        False,
        MembershipRole.ADMINISTRATOR,
        "",
    )
    assert events_since(seq) == ["accounts.membership.requested"]
    pool = PoolFactory(administrator=housing)
    assert not can_manage_pool(claimant, pool)


def test_a_second_claim_is_refused_once_someone_has_proven_to_act_for_it(
    housing: Organisation, claimant: User
) -> None:
    first = UserFactory()
    request_membership(actor=first, organisation=housing)
    # Two unproven claims may stand side by side; the proven one decides who stays.
    assert request_membership(actor=claimant, organisation=housing).is_proven is False
    add_membership(actor=None, user=first, organisation=housing)

    assert (
        refusal_code(lambda: request_membership(actor=UserFactory(), organisation=housing))
        == "has_members"
    )


# An unproven claim may draft, never submit or accept


def test_a_claimant_without_proof_writes_a_draft_but_cannot_submit_it() -> None:
    call = make_call()
    applicant = make_applicant(call)
    squatter = UserFactory()
    organisation = OrganisationFactory(name="Boligselskabet Uden Folk")
    membership = request_membership(actor=squatter, organisation=organisation)
    # The applicant's organisation data, as complete as any, under the claimant's request.
    Membership.objects.filter(user=applicant.user).delete()
    Membership.objects.filter(pk=membership.pk).update(organisation=applicant.organisation)
    application = start_application(actor=squatter, call=call, organisation=applicant.organisation)
    application.draft = complete_draft(applicant)
    application.save(update_fields=["draft"])

    with translation.override("en"), pytest.raises(ApplicationRefused) as refused:
        submit_application(
            actor=squatter, application=application, confirmed=fingerprint(application)
        )

    assert refused.value.code == "unproven"
    assert "prove that you act for Boligselskabet Test" in refused.value.message
    application.refresh_from_db()
    assert (application.status, application.reference) == ("draft", "")


def test_a_claimant_without_proof_cannot_withdraw_a_submitted_application() -> None:
    call = make_call()
    applicant = make_applicant(call)
    application = start_application(
        actor=applicant.user, call=call, organisation=applicant.organisation
    )
    application.draft = complete_draft(applicant)
    application.save(update_fields=["draft"])
    submit_application(
        actor=applicant.user, application=application, confirmed=fingerprint(application)
    )
    # A request from before someone proved to act for the organisation stays a request.
    squatter = UserFactory()
    Membership.objects.create(user=squatter, organisation=applicant.organisation)
    application.refresh_from_db()
    status = application.status
    outsider = UserFactory()
    seq = last_seq()

    for actor in (squatter, outsider):
        with translation.override("en"), pytest.raises(ApplicationRefused) as refused:
            withdraw_application(actor=actor, application=application)
        assert refused.value.code == "unproven"
        assert "proven that they act for Boligselskabet Test" in refused.value.message

    application.refresh_from_db()
    assert (application.status, application.withdrawn_at) == (status, None)
    assert events_since(seq) == []


def test_a_proven_member_submits(housing: Organisation) -> None:
    call = make_call()
    applicant = make_applicant(call)
    application = start_application(
        actor=applicant.user, call=call, organisation=applicant.organisation
    )
    application.draft = complete_draft(applicant)
    application.save(update_fields=["draft"])

    submit_application(
        actor=applicant.user, application=application, confirmed=fingerprint(application)
    )

    application.refresh_from_db()
    assert application.reference != ""


def test_a_non_member_cannot_submit_an_organisations_application() -> None:
    call = make_call()
    applicant = make_applicant(call)
    application = start_application(
        actor=applicant.user, call=call, organisation=applicant.organisation
    )
    application.draft = complete_draft(applicant)
    application.save(update_fields=["draft"])

    with pytest.raises(ApplicationRefused):
        submit_application(
            actor=UserFactory(), application=application, confirmed=fingerprint(application)
        )


# Proof by a code to the register's address


def test_the_code_goes_to_the_registers_address_and_proves_the_claim(
    housing: Organisation,
    claimant: User,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    membership = request_membership(actor=claimant, organisation=housing)

    with django_capture_on_commit_callbacks(execute=True):
        sent = send_proof_code(actor=claimant, membership=membership)

    assert [m.to for m in mail.outbox] == [["post@nord.dk"]]
    assert sent.sent_to == "post@nord.dk"
    code = mailed_code()
    assert code not in sent.code_hash
    assert (
        refusal_code(lambda: prove_by_code(actor=claimant, membership=membership, code="00000000"))
        == "wrong"
    )

    proven = prove_by_code(actor=claimant, membership=membership, code=code)

    assert (proven.is_proven, proven.proof) == (True, Proof.REGISTRY_EMAIL)
    # The code works once.
    assert (
        refusal_code(lambda: prove_by_code(actor=claimant, membership=membership, code=code))
        == "expired"
    )


def test_a_wrong_code_counts_even_though_it_is_refused(
    housing: Organisation, claimant: User
) -> None:
    membership = request_membership(actor=claimant, organisation=housing)
    send_proof_code(actor=claimant, membership=membership)

    codes = [
        refusal_code(lambda: prove_by_code(actor=claimant, membership=membership, code="1"))
        for _ in range(6)
    ]

    assert codes == ["wrong"] * 5 + ["attempts"]
    membership.refresh_from_db()
    assert not membership.is_proven


def test_no_code_without_an_address_in_the_register_or_for_someone_else(
    claimant: User,
) -> None:
    bare = OrganisationFactory()
    membership = request_membership(actor=claimant, organisation=bare)

    assert (
        refusal_code(lambda: send_proof_code(actor=claimant, membership=membership)) == "no_address"
    )
    assert (
        refusal_code(lambda: send_proof_code(actor=UserFactory(), membership=membership))
        == "not_yours"
    )


def test_an_expired_code_is_refused(housing: Organisation, claimant: User) -> None:
    membership = request_membership(actor=claimant, organisation=housing)
    send_proof_code(actor=claimant, membership=membership)
    membership.codes.update(expires_at=timezone.now() - dt.timedelta(seconds=1))

    assert (
        refusal_code(lambda: prove_by_code(actor=claimant, membership=membership, code="12345678"))
        == "expired"
    )


def test_at_most_three_codes_an_hour(housing: Organisation, claimant: User) -> None:
    membership = request_membership(actor=claimant, organisation=housing)
    for _ in range(3):
        send_proof_code(actor=claimant, membership=membership)

    assert (
        refusal_code(lambda: send_proof_code(actor=claimant, membership=membership)) == "too_many"
    )


def test_the_code_is_proven_through_the_profile_page(
    client: Client,
    housing: Organisation,
    claimant: User,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    client.force_login(claimant)
    client.post(reverse("registry:claim"), {"cvr": housing.cvr})
    page = client.get(reverse("registry:profile", args=[housing.pk]))
    assert "p…@nord.dk".encode() in page.content
    assert b"post@nord.dk" not in page.content

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("registry:send_code", args=[housing.pk]))
    code = mailed_code()
    wrong = client.post(reverse("registry:prove_code", args=[housing.pk]), {"code": "11111111"})
    right = client.post(reverse("registry:prove_code", args=[housing.pk]), {"code": code})

    assert wrong.status_code == 200
    assert wrong.context["code_form"].errors["code"]
    assert right.status_code == 302
    assert Membership.objects.get(user=claimant).proof == Proof.REGISTRY_EMAIL


# Proof by MitID Erhverv's CVR number


class FakeAccount:
    def __init__(self, extra_data: dict[str, Any]) -> None:
        self.extra_data = extra_data


class FakeSocialLogin:
    def __init__(self, user: User, extra_data: dict[str, Any], *, existing: bool) -> None:
        self.user = user
        self.account = FakeAccount(extra_data)
        self.is_existing = existing


def test_the_identity_providers_cvr_number_is_read_from_user_info_or_id_token(
    housing: Organisation,
) -> None:
    assert proven_cvr({"userinfo": {"cvr": housing.cvr}}) == housing.cvr
    assert proven_cvr({"id_token": {"cvr": f" {housing.cvr[:4]} {housing.cvr[4:]}"}}) == housing.cvr
    assert proven_cvr({"userinfo": {"cvr": "12345678"}}) == ""  # fails modulus 11
    assert proven_cvr({"userinfo": {"name": "x"}}) == ""


def test_a_login_by_the_identity_provider_proves_the_claim_for_its_cvr_number(
    rf: Any, housing: Organisation, claimant: User
) -> None:
    other = OrganisationFactory()
    wanted = request_membership(actor=claimant, organisation=housing)
    unrelated = request_membership(actor=claimant, organisation=other)
    request = rf.get("/")
    request.session = {}

    # The signal allauth sends before every social login (after the adapter's own hook).
    pre_social_login.send(
        sender=SocialLogin,
        request=request,
        sociallogin=FakeSocialLogin(claimant, {"userinfo": {"cvr": housing.cvr}}, existing=True),
    )

    wanted.refresh_from_db()
    unrelated.refresh_from_db()
    assert (wanted.is_proven, wanted.proof) == (True, Proof.IDENTITY_PROVIDER)
    assert not unrelated.is_proven
    assert request.session[PROVEN_CVR_KEY] == housing.cvr


def test_a_claim_after_an_identity_provider_login_is_proven_at_once(
    client: Client, housing: Organisation, claimant: User
) -> None:
    client.force_login(claimant)
    session = client.session
    session[PROVEN_CVR_KEY] = housing.cvr
    session.save()

    client.post(reverse("registry:claim"), {"cvr": housing.cvr})

    membership = Membership.objects.get(user=claimant)
    assert (membership.is_proven, membership.proof) == (True, Proof.IDENTITY_PROVIDER)


# Proof by the secretariat's approval


@pytest.fixture
def applied() -> tuple[Call, Membership, User]:
    """A claimant's request for an organisation with a draft in a call, and a caseworker of
    that call's pool."""
    call = make_call()
    caseworker = UserFactory(organisation=call.pool.administrator)
    claimant = UserFactory(email="claimant@example.dk")
    organisation = OrganisationFactory(name="Boligforeningen Ny")
    membership = request_membership(actor=claimant, organisation=organisation)
    Application.objects.create(call=call, organisation=organisation, created_by=claimant)
    return call, membership, caseworker


def test_the_calls_caseworker_sees_and_approves_the_request(
    client: Client,
    applied: tuple[Call, Membership, User],
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    _call, membership, caseworker = applied
    client.force_login(caseworker)

    listed = client.get(reverse("registry:requests"))
    assert list(listed.context["requests"]) == [membership]
    with django_capture_on_commit_callbacks(execute=True):
        approved = client.post(
            reverse("registry:decide_request", args=[membership.pk]), {"decision": "approve"}
        )

    assert approved.status_code == 302
    membership.refresh_from_db()
    assert (membership.is_proven, membership.proof) == (True, Proof.SECRETARIAT)
    assert [m.to for m in mail.outbox] == [["claimant@example.dk"]]


def test_a_caseworker_of_another_pool_may_not_approve(
    client: Client, applied: tuple[Call, Membership, User]
) -> None:
    _call, membership, _caseworker = applied
    stranger = UserFactory(organisation=make_call().pool.administrator)
    client.force_login(stranger)

    assert client.get(reverse("registry:requests")).context["requests"] == []
    assert (
        client.post(
            reverse("registry:decide_request", args=[membership.pk]), {"decision": "approve"}
        ).status_code
        == 404
    )
    assert (
        refusal_code(lambda: approve_membership(actor=stranger, membership=membership))
        == "not_allowed"
    )
    membership.refresh_from_db()
    assert not membership.is_proven


def test_a_claimant_cannot_approve_their_own_request(
    applied: tuple[Call, Membership, User],
) -> None:
    _call, membership, _caseworker = applied

    assert not may_approve_membership(membership.user, membership)
    assert (
        refusal_code(lambda: approve_membership(actor=membership.user, membership=membership))
        == "not_allowed"
    )


def test_a_refused_request_takes_the_access_to_the_drafts_away(
    applied: tuple[Call, Membership, User],
) -> None:
    _call, membership, caseworker = applied
    seq = last_seq()

    refuse_membership(actor=caseworker, membership=membership)

    assert not Membership.objects.filter(pk=membership.pk).exists()
    assert events_since(seq) == ["accounts.membership.refused"]


# Invitations


@pytest.fixture
def administrator(housing: Organisation) -> User:
    return UserFactory(email="admin@nord.dk", name="Anna Admin", organisation=housing)


def sent_link(organisation: Organisation, email: str, actor: User) -> str:
    return invite_member(actor=actor, organisation=organisation, email=email).url


def token_of(url: str) -> str:
    return url.rstrip("/").rsplit("/", 1)[1]


def test_an_invitation_gives_no_access_until_it_is_accepted(
    housing: Organisation, administrator: User
) -> None:
    colleague = UserFactory(email="kollega@nord.dk")
    seq = last_seq()

    url = sent_link(housing, "Kollega@Nord.dk", administrator)

    assert not Membership.objects.filter(user=colleague).exists()
    assert events_since(seq) == ["accounts.invitation.sent"]
    membership = accept_invitation(actor=colleague, token=token_of(url))
    assert (membership.is_proven, membership.proof, membership.role) == (
        True,
        Proof.INVITATION,
        MembershipRole.MEMBER,
    )
    assert Invitation.objects.get().accepted_at is not None


def test_an_invitation_is_accepted_only_by_its_address_once_and_before_it_expires(
    housing: Organisation, administrator: User
) -> None:
    token = token_of(sent_link(housing, "kollega@nord.dk", administrator))
    forwarded_to = UserFactory(email="fremmed@example.dk")

    assert (
        refusal_code(lambda: accept_invitation(actor=forwarded_to, token=token)) == "wrong_address"
    )
    assert (
        refusal_code(lambda: accept_invitation(actor=forwarded_to, token="nonsense")) == "unknown"
    )
    colleague = UserFactory(email="kollega@nord.dk")
    Invitation.objects.update(expires_at=timezone.now() - dt.timedelta(minutes=1))
    assert refusal_code(lambda: accept_invitation(actor=colleague, token=token)) == "expired"
    Invitation.objects.update(expires_at=timezone.now() + dt.timedelta(days=1))
    accept_invitation(actor=colleague, token=token)
    assert refusal_code(lambda: accept_invitation(actor=colleague, token=token)) == "used"


def test_inviting_again_withdraws_the_earlier_link(
    housing: Organisation, administrator: User
) -> None:
    first = token_of(sent_link(housing, "kollega@nord.dk", administrator))
    second = token_of(sent_link(housing, "kollega@nord.dk", administrator))
    colleague = UserFactory(email="kollega@nord.dk")

    assert refusal_code(lambda: accept_invitation(actor=colleague, token=first)) == "revoked"
    assert accept_invitation(actor=colleague, token=second).is_proven


def test_only_a_proven_administrator_invites(housing: Organisation, administrator: User) -> None:
    member = UserFactory()
    add_membership(actor=None, user=member, organisation=housing, role=MembershipRole.MEMBER)
    claimant = UserFactory()
    unproven = OrganisationFactory()
    request_membership(actor=claimant, organisation=unproven)
    outsider = UserFactory()
    seq = last_seq()

    assert (
        refusal_code(
            lambda: invite_member(actor=member, organisation=housing, email="x@example.dk")
        )
        == "not_administrator"
    )
    assert (
        refusal_code(
            lambda: invite_member(actor=claimant, organisation=unproven, email="x@example.dk")
        )
        == "not_administrator"
    )
    assert (
        refusal_code(
            lambda: invite_member(actor=outsider, organisation=housing, email="x@example.dk")
        )
        == "not_administrator"
    )
    assert events_since(seq) == []


def test_invitations_are_rate_limited(
    settings: Any, housing: Organisation, administrator: User
) -> None:
    settings.INVITATIONS_PER_HOUR = 2
    sent_link(housing, "a@example.dk", administrator)
    sent_link(housing, "b@example.dk", administrator)

    assert (
        refusal_code(
            lambda: invite_member(actor=administrator, organisation=housing, email="c@example.dk")
        )
        == "too_many"
    )


def test_the_invitation_mail_names_the_registers_organisation_on_one_line(
    administrator: User,
    housing: Organisation,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    update_organisation(
        actor=None, organisation=housing, name="Boligselskabet\nNord\r\nBcc: x@evil.dk"
    )

    with django_capture_on_commit_callbacks(execute=True):
        url = sent_link(housing, "kollega@nord.dk", administrator)

    (message,) = mail.outbox
    assert message.to == ["kollega@nord.dk"]
    assert (
        message.subject
        == "Invitation til at arbejde for Boligselskabet Nord Bcc: x@evil.dk i pulje"
    )
    assert url in message.body
    assert message.message()["Bcc"] is None


def test_the_invitee_walks_from_the_link_through_login_to_the_organisation(
    housing: Organisation,
    administrator: User,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        url = sent_link(housing, "kollega@nord.dk", administrator)
    path = url.removeprefix("http://127.0.0.1:8000")
    invitee = Client()

    # Not logged in: the invitation, and the way to log in that comes back to it.
    anonymous = invitee.get(path)
    assert anonymous.status_code == 200
    assert f'href="{reverse("accounts:login")}?next={path}"'.encode() in anonymous.content
    assert invitee.post(path)["Location"] == f"{reverse('accounts:login')}?next={path}"
    invitee.force_login(UserFactory(email="kollega@nord.dk"))
    page = invitee.get(path)
    assert b"Boligselskabet Nord" in page.content
    accepted = invitee.post(path)

    assert accepted["Location"] == reverse("registry:profile", args=[housing.pk])
    assert invitee.get(accepted["Location"]).status_code == 200


def test_joining_a_pool_s_secretariat_by_invitation_asks_for_the_second_factor_at_once(
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    secretariat = PoolFactory().administrator
    boss = UserFactory()
    add_membership(actor=None, user=boss, organisation=secretariat)
    invitee = Client()
    invitee.force_login(UserFactory(email="ny@bl.dk"))  # by e-mail code: no second factor yet
    with django_capture_on_commit_callbacks(execute=True):
        url = sent_link(secretariat, "ny@bl.dk", boss)

    accepted = invitee.post(url.removeprefix("http://127.0.0.1:8000"))

    assert accepted.status_code == 302
    assert invitee.get(reverse("desk:calls"))["Location"] == reverse("mfa_activate_totp")


# Roles


def test_only_an_administrator_changes_the_payment_account(housing: Organisation) -> None:
    member = UserFactory()
    add_membership(actor=None, user=member, organisation=housing, role=MembershipRole.MEMBER)

    with pytest.raises(ValidationError):
        update_profile(actor=member, organisation=housing, payment_iban="DK5000400440116243")
    update_profile(actor=member, organisation=housing, contact_name="Mette")

    housing.refresh_from_db()
    assert (housing.payment_iban, housing.contact_name) == ("", "Mette")


def test_the_profile_never_changes_register_facts(
    housing: Organisation, administrator: User
) -> None:
    for field, value in [
        ("cvr", "10000009"),
        ("kind", "funder"),
        ("name", "X"),
        ("registry_email", "x@y.dk"),
    ]:
        with pytest.raises(ValidationError):
            update_profile(actor=administrator, organisation=housing, **{field: value})
    with pytest.raises(PermissionDenied):
        update_profile(actor=UserFactory(), organisation=housing, contact_name="X")


def test_a_member_sees_no_payment_account_fields_on_the_profile(
    client: Client, housing: Organisation
) -> None:
    member = UserFactory()
    add_membership(actor=None, user=member, organisation=housing, role=MembershipRole.MEMBER)
    client.force_login(member)

    page = client.get(reverse("registry:profile", args=[housing.pk]))
    posted = client.post(
        reverse("registry:profile", args=[housing.pk]),
        {"iban": "DK5000400440116243", "contact_name": "Mette"},
    )

    assert b'name="iban"' not in page.content
    assert posted.status_code == 302
    housing.refresh_from_db()
    assert (housing.payment_iban, housing.contact_name) == ("", "Mette")


def test_the_last_administrator_stays(housing: Organisation, administrator: User) -> None:
    membership = Membership.objects.get(user=administrator)

    assert (
        refusal_code(lambda: remove_member(actor=administrator, membership=membership))
        == "last_administrator"
    )
    assert (
        refusal_code(
            lambda: change_role(
                actor=administrator, membership=membership, role=MembershipRole.MEMBER
            )
        )
        == "last_administrator"
    )


def test_an_administrator_promotes_and_removes_members(
    housing: Organisation, administrator: User
) -> None:
    member_user = UserFactory()
    member = add_membership(
        actor=None, user=member_user, organisation=housing, role=MembershipRole.MEMBER
    )
    outsider = UserFactory()
    seq = last_seq()

    change_role(actor=administrator, membership=member, role=MembershipRole.ADMINISTRATOR)
    assert (
        refusal_code(lambda: remove_member(actor=outsider, membership=member))
        == "not_administrator"
    )
    remove_member(actor=administrator, membership=member)

    assert events_since(seq) == ["accounts.membership.role_changed", "accounts.membership.removed"]
    assert not Membership.objects.filter(user=member_user).exists()


def test_pulje_staff_only_add_proven_members_directly(housing: Organisation) -> None:
    staff = UserFactory(is_staff=True)

    assert (
        refusal_code(
            lambda: add_membership(actor=UserFactory(), user=UserFactory(), organisation=housing)
        )
        == "not_staff"
    )
    assert (
        add_membership(actor=staff, user=UserFactory(), organisation=housing).proof == Proof.STAFF
    )


# People who work for a pool


@pytest.fixture
def secretariat() -> tuple[Organisation, User, User]:
    """A pool secretariat with an administrator and a caseworker (a plain member)."""
    organisation = OrganisationFactory(name="BL", kind=OrganisationKind.INTERMEDIARY)
    PoolFactory(administrator=organisation)
    head = UserFactory(name="Sekretariatschef", organisation=organisation)
    caseworker = UserFactory(name="Sagsbehandler")
    add_membership(
        actor=None, user=caseworker, organisation=organisation, role=MembershipRole.MEMBER
    )
    return organisation, head, caseworker


def test_a_caseworker_invited_to_an_applicant_waits_for_the_secretariats_administrator(
    housing: Organisation, administrator: User, secretariat: tuple[Organisation, User, User]
) -> None:
    _organisation, head, caseworker = secretariat
    token = token_of(sent_link(housing, caseworker.email, administrator))

    membership = accept_invitation(actor=caseworker, token=token)

    assert (membership.is_proven, membership.needs_secretariat) == (False, True)
    # Not the applicant's own administrator, nor another caseworker: the secretariat's head.
    assert not may_approve_membership(administrator, membership)
    assert (
        refusal_code(lambda: approve_membership(actor=administrator, membership=membership))
        == "not_allowed"
    )
    seq = last_seq()
    approve_membership(actor=head, membership=membership)
    membership.refresh_from_db()
    assert (membership.is_proven, membership.proof) == (True, Proof.SECRETARIAT)
    assert events_since(seq) == ["accounts.membership.proven"]


def test_an_assessor_claiming_an_applicant_waits_for_the_secretariat(
    housing: Organisation,
) -> None:
    call = make_call()
    assessor = UserFactory()
    PanelMember.objects.create(call=call, user=assessor)
    head = UserFactory(organisation=call.pool.administrator)

    membership = request_membership(actor=assessor, organisation=housing)

    assert membership.needs_secretariat
    assert (
        refusal_code(lambda: send_proof_code(actor=assessor, membership=membership))
        == "needs_secretariat"
    )
    assert may_approve_membership(head, membership)
    assert requests_for(head) == [membership]


def test_an_unproven_claimant_does_not_see_who_else_acts_for_the_organisation(
    client: Client, housing: Organisation, claimant: User
) -> None:
    request_membership(actor=claimant, organisation=housing)
    UserFactory(email="admin@nord.dk", organisation=housing)
    client.force_login(claimant)

    page = client.get(reverse("registry:profile", args=[housing.pk]))

    assert b"admin@nord.dk" not in page.content
    assert [member.user for member, _may in page.context["members"]] == [claimant]


@pytest.mark.parametrize("count", [1, 3])
def test_the_requests_list_runs_a_constant_number_of_queries(
    client: Client, count: int, django_assert_num_queries: Any
) -> None:
    call = make_call()
    caseworker = UserFactory(organisation=call.pool.administrator)
    wanted = []
    for n in range(count):
        claimant = UserFactory(email=f"claimant{n}@example.dk")
        organisation = OrganisationFactory(name=f"Boligforening {n}")
        wanted.append(request_membership(actor=claimant, organisation=organisation))
        Application.objects.create(call=call, organisation=organisation, created_by=claimant)
    client.force_login(caseworker)

    # One of them the user's roles, for the menu.
    with django_assert_num_queries(7):
        page = client.get(reverse("registry:requests"))

    assert page.context["requests"] == wanted
    for n in range(count):
        assert f"claimant{n}@example.dk".encode() in page.content


def test_a_claimant_who_joins_a_secretariat_afterwards_is_held_for_its_approval(
    housing: Organisation,
    claimant: User,
    secretariat: tuple[Organisation, User, User],
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    """Claim first, become a caseworker, then prove by the register's code: still held."""
    organisation, head, _caseworker = secretariat
    membership = request_membership(actor=claimant, organisation=housing)
    add_membership(actor=None, user=claimant, organisation=organisation, role=MembershipRole.MEMBER)

    assert (
        refusal_code(lambda: send_proof_code(actor=claimant, membership=membership))
        == "needs_secretariat"
    )
    # A login by MitID Erhverv for the organisation does not prove it either.
    assert prove_by_identity_provider(user=claimant, cvr=housing.cvr) == []
    membership.refresh_from_db()
    assert (membership.is_proven, membership.needs_secretariat) == (False, True)
    assert not may_approve_membership(UserFactory(organisation=housing), membership)
    approve_membership(actor=head, membership=membership)
    membership.refresh_from_db()
    assert (membership.is_proven, membership.proof) == (True, Proof.SECRETARIAT)


def test_proof_codes_are_counted_for_the_organisation_not_the_request(
    housing: Organisation, claimant: User
) -> None:
    membership = request_membership(actor=claimant, organisation=housing)
    for _ in range(2):
        send_proof_code(actor=claimant, membership=membership)
    remove_member(actor=claimant, membership=membership)
    again = request_membership(actor=claimant, organisation=housing)
    send_proof_code(actor=claimant, membership=again)
    other = request_membership(actor=UserFactory(), organisation=housing)

    assert refusal_code(lambda: send_proof_code(actor=claimant, membership=again)) == "too_many"
    assert refusal_code(lambda: send_proof_code(actor=other.user, membership=other)) == "too_many"


def test_an_administrator_who_lets_a_claimant_in_makes_them_a_member(
    housing: Organisation, administrator: User
) -> None:
    late = Membership.objects.create(
        user=UserFactory(), organisation=housing, role=MembershipRole.ADMINISTRATOR
    )

    approve_membership(actor=administrator, membership=late)

    late.refresh_from_db()
    assert (late.is_proven, late.proof, late.role) == (
        True,
        Proof.ADMINISTRATOR,
        MembershipRole.MEMBER,
    )


def test_a_claim_not_yet_proven_neither_sees_nor_changes_the_profile(
    client: Client, housing: Organisation, claimant: User
) -> None:
    update_organisation(actor=None, organisation=housing, payment_iban="DK5000400440116243")
    request_membership(actor=claimant, organisation=housing)
    client.force_login(claimant)

    page = client.get(reverse("registry:profile", args=[housing.pk]))
    posted = client.post(
        reverse("registry:profile", args=[housing.pk]), {"finance_email": "mig@example.dk"}
    )

    assert b"DK50" not in page.content
    assert page.context["form"] is None
    assert posted.status_code == 302
    housing.refresh_from_db()
    assert housing.finance_email == ""
    with pytest.raises(PermissionDenied):
        update_profile(actor=claimant, organisation=housing, finance_email="mig@example.dk")
