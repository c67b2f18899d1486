"""Every route × every role: who gets in, generated from the URL configuration.

One world of real objects (built through the services, once for the module) holds two
applicant organisations, A with applications in several states and B with none of A's
rights, a pool tree with a call, its secretariat, the funder above it, an assessor, staff.
Each cell requests one route with one method as one role, filled in with the world's
objects (always A's, so applicant B asks for another organisation's), and compares the
outcome with ``ACCESS``: allowed (the view answered) or refused (403, 404, 405, or sent to
log in), and a refused request must have written no audit event. "Allowed" says only that
the route let the role in: what the role may then do there, the services check again and
refuse with a message (their own tests prove it). A route missing from ``ACCESS`` fails by
name, so a new route cannot skip the matrix. A cell that lets in a role it must not, until
the app is fixed, is marked ``pytest.mark.xfail(strict=True, reason=...)``.

Every request runs in the test's own transaction, rolled back after it, so the cells see the
same world in any order; the world is built once for the module, the sessions too.
"""

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import pytest
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.http import HttpResponseBase
from django.test import Client, override_settings
from django.urls import get_resolver, resolve, reverse
from pytest_django import DjangoDbBlocker

from pulje.accounts import mfa
from pulje.accounts.models import Invitation, Membership, MembershipRole, User
from pulje.accounts.services.users import register_user
from pulje.allocation.models import AllocationRun
from pulje.allocation.problems import AllocationOptions
from pulje.allocation.services import run_allocation
from pulje.applications.models import Application, Attachment
from pulje.applications.services import (
    add_attachment,
    fingerprint,
    start_application,
    submit_application,
)
from pulje.assessment.models import Assignment, PanelMember
from pulje.assessment.services import add_assessor, assign_assessor, declare_interest
from pulje.calls.models import Call, CallQuestion, QuestionKind
from pulje.calls.services import add_question
from pulje.core.jobs import Job
from pulje.core.models import AuditEvent
from pulje.core.money import kr
from pulje.decisions.services import decide_applications, queue_decision_letters
from pulje.fasttrack.models import FastTrack
from pulje.fasttrack.services import set_fast_track
from pulje.funds.models import Pool
from pulje.letters.models import Letter
from pulje.letters.services import run_decision_letters
from pulje.registry.models import Organisation, OrganisationKind
from pulje.registry.services.invitations import invite_member
from pulje.registry.services.memberships import add_membership, request_membership
from tests.factories import OrganisationFactory, PoolFactory, UserFactory
from tests.factories.applications import (
    PARTNER_CVR,
    complete_draft,
    fund_bands,
    make_applicant,
    make_call,
)
from tests.factories.decisions import screened
from tests.logins import force_login_with_second_factor
from tests.routes import Route, walk

ROLES = (
    "anonymous",
    "no_organisation",
    "applicant_a",
    "applicant_b",
    "claimant",
    "assessor",
    "caseworker",
    "funder",
    "other_secretariat",
    "staff",
    "superuser",
)
EVERYONE = frozenset(ROLES)
LOGGED_IN = EVERYONE - {"anonymous"}
NOBODY: frozenset[str] = frozenset()
A = frozenset({"applicant_a"})
# The call's secretariat acts; the funder above reads; the superuser may do all pools allow.
WORKS_CALL = frozenset({"caseworker", "superuser"})
OVERSEES_CALL = WORKS_CALL | {"funder"}
STAFF = frozenset({"staff", "superuser"})
# Who must log in with a second factor (pulje.accounts.mfa): they have an app and recovery codes.
SECOND_FACTOR = STAFF | {"caseworker", "funder", "other_secretariat"}
METHODS = ("GET", "POST")


def both(roles: frozenset[str]) -> dict[str, frozenset[str]]:
    return {"GET": roles, "POST": roles}


def get_only(roles: frozenset[str]) -> dict[str, frozenset[str]]:
    """A page that only shows: a POST is refused (405) for everyone."""
    return {"GET": roles, "POST": NOBODY}


def post_only(roles: frozenset[str]) -> dict[str, frozenset[str]]:
    """An action: a GET is refused (405) for everyone."""
    return {"GET": NOBODY, "POST": roles}


# Route name → method → the roles the route lets in. The objects are A's and the call's.
ACCESS: dict[str, dict[str, frozenset[str]]] = {
    "core:home": both(EVERYONE),
    "core:accessibility": both(EVERYONE),
    "core:health": both(EVERYONE),
    "core:outbox": both(STAFF),
    # Sends each role on to its start page (or shows the tasks of several roles).
    "start": get_only(LOGGED_IN),
    "accounts:login": both(EVERYONE),
    # A later step of a login flow: without a flow under way it sends back to the login page
    # (allauth sends a logged-in user on to their start page instead).
    "accounts:confirm_code": both(LOGGED_IN),
    "accounts:password_login": both(EVERYONE),
    "accounts:logout": post_only(EVERYONE),
    "account_login": both(EVERYONE),
    "account_request_login_code": both(EVERYONE),
    "account_confirm_login_code": both(LOGGED_IN),
    "account_inactive": get_only(EVERYONE),
    # No identity provider is configured in the tests: its id is unknown to allauth (404).
    "openid_connect_login": both(NOBODY),
    "openid_connect_callback": both(NOBODY),
    "socialaccount_signup": both(NOBODY),
    "socialaccount_login_cancelled": get_only(EVERYONE),
    "socialaccount_login_error": get_only(EVERYONE),
    # The user's own second factor: each logged-in user sets up and uses only their own;
    # removing an app or reading recovery codes needs one (only those who must have it do).
    "mfa_index": get_only(LOGGED_IN),
    "mfa_authenticate": both(LOGGED_IN),
    # A user with neither a password nor an app (the assessor, invited by e-mail) has nothing
    # to confirm it is them with (403).
    "mfa_reauthenticate": both(LOGGED_IN - {"assessor"}),
    "account_reauthenticate": both(LOGGED_IN - {"assessor"}),
    "mfa_activate_totp": both(LOGGED_IN),
    "mfa_deactivate_totp": both(SECOND_FACTOR),
    "mfa_view_recovery_codes": get_only(SECOND_FACTOR),
    "mfa_generate_recovery_codes": both(LOGGED_IN),
    "mfa_download_recovery_codes": both(SECOND_FACTOR),
    "registry:cvr_lookup": get_only(LOGGED_IN),
    "registry:associations": both(WORKS_CALL),
    "registry:mine": both(LOGGED_IN),
    "registry:onboarding": both(LOGGED_IN),
    "registry:claim": post_only(LOGGED_IN),
    "registry:register": post_only(LOGGED_IN),
    # The requests to act for an organisation that the user may decide on (often none).
    "registry:requests": both(LOGGED_IN),
    # The claimant's request: the caseworkers of a call the organisation has applied to.
    "registry:decide_request": post_only(WORKS_CALL),
    # The link is the key: whoever holds it sees the invitation (someone not logged in is
    # offered the login; their POST goes to it); the service lets only the invited address
    # accept it, and refuses others on the page with a message.
    "registry:invitation": {"GET": EVERYONE, "POST": LOGGED_IN},
    "registry:profile": both(A),
    "registry:invite": post_only(A),
    "registry:revoke": post_only(A),
    "registry:send_code": post_only(A),
    "registry:prove_code": post_only(A),
    "registry:remove": post_only(A),
    "registry:role": post_only(A),
    "registry:add_department": both(A),
    "funds:pool_list": both(LOGGED_IN),
    "funds:pool_detail": both(OVERSEES_CALL),
    "funds:sub_pool_create": both(WORKS_CALL),
    "funds:pool_appropriate": post_only(WORKS_CALL),
    "funds:pool_delegate": post_only(WORKS_CALL),
    "funds:pool_second_approval": post_only(WORKS_CALL),
    # Moving BL's money is for the secretariat of the pool above it, which delegated it: the
    # ministry's (BL's caseworker moves money between BL's bands, one level down).
    "funds:pool_transfer": both(frozenset({"funder", "superuser"})),
    "calls:list": both(EVERYONE),
    "calls:create": both(WORKS_CALL),
    "calls:detail": both(EVERYONE),
    "calls:edit": both(WORKS_CALL),
    "calls:questions": both(WORKS_CALL),
    "calls:question_remove": post_only(WORKS_CALL),
    "casework:screening_rules": both(WORKS_CALL),
    "fasttrack:settings": both(WORKS_CALL),
    "fasttrack:pause": post_only(WORKS_CALL),
    "applications:dashboard": both(LOGGED_IN),
    # Starting decides by the user's organisations: without one that may apply, the user is
    # sent on (onboarding, the call's page) with a message.
    "applications:start": post_only(LOGGED_IN),
    "applications:edit": both(A),
    "applications:autosave": post_only(A),
    "applications:check": both(A),
    "applications:submit": post_only(A),
    "applications:receipt": both(A),
    "applications:attach": post_only(A),
    "applications:attachment": both(A),
    "applications:detach": post_only(A),
    "applications:withdraw": both(A),
    "allocation:runs": both(OVERSEES_CALL),
    "allocation:new": both(WORKS_CALL),
    "allocation:run": both(OVERSEES_CALL),
    "allocation:stop": post_only(WORKS_CALL),
    "allocation:rerun": post_only(WORKS_CALL),
    "allocation:bring_back": post_only(WORKS_CALL),
    "allocation:confirm": both(WORKS_CALL),
    "desk:calls": both(LOGGED_IN),
    "desk:application": both(OVERSEES_CALL),
    # The funder reads the case but does not download the applicant's files.
    "desk:attachment": get_only(WORKS_CALL),
    "desk:override": post_only(WORKS_CALL),
    "desk:declare_conflict": post_only(WORKS_CALL),
    "desk:verify_partner": both(WORKS_CALL),
    "desk:queue": both(OVERSEES_CALL),
    "desk:bulk": post_only(WORKS_CALL),
    "desk:bulk_recommend": post_only(WORKS_CALL),
    "assessment:mine": both(LOGGED_IN),
    "assessment:score": both(frozenset({"assessor"})),
    "assessment:declare": both(frozenset({"assessor"})),
    "assessment:attachment": get_only(frozenset({"assessor"})),
    "assessment:panel": both(WORKS_CALL),
    "assessment:panel_remove": post_only(WORKS_CALL),
    "assessment:rubric": both(WORKS_CALL),
    "assessment:results": both(OVERSEES_CALL),
    "assessment:moderation": both(OVERSEES_CALL),
    "assessment:assign": both(WORKS_CALL),
    "assessment:recommend": both(WORKS_CALL),
    "decisions:decide": {"GET": OVERSEES_CALL, "POST": WORKS_CALL},
    "decisions:second_approval": post_only(WORKS_CALL),
    "decisions:accept": both(A),
    "decisions:decline": both(A),
    # Who may follow the job sees what an undo would undo; only the call's caseworkers undo.
    "decisions:undo": {"GET": OVERSEES_CALL, "POST": WORKS_CALL},
    "letters:job": get_only(OVERSEES_CALL),
    "letters:retry": post_only(WORKS_CALL),
    "letters:download": get_only(A | WORKS_CALL),
    "set_language": both(EVERYONE),
}


@dataclass
class World:
    users: dict[str, User]
    organisation_a: Organisation
    colleague_a: Membership
    invitation: Invitation
    invitation_token: str
    claim: Membership
    pool: Pool
    call: Call
    question: CallQuestion
    draft: Application
    attachment: Attachment
    submitted: Application
    submitted_file: Attachment
    panel_member: PanelMember
    decided: Application
    job: Job
    letter: Letter
    run: AllocationRun
    fast_track: FastTrack


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def build_world() -> World:
    """The world through the product's services: the ministry's top pool → BL's pool with
    three bands and a call; A (an administrator, a colleague, an open invitation) with a draft
    (with a file), a submitted application assigned to the assessor and a granted one with its
    letter; B, a member of another organisation; a claimant whose claim is unproven."""
    ministry = OrganisationFactory(kind=OrganisationKind.FUNDER, name="Ministeriet")
    bl = OrganisationFactory(kind=OrganisationKind.INTERMEDIARY, name="BL")
    top = PoolFactory(
        administrator=ministry, period_start=dt.date(2020, 11, 1), period_end=dt.date(2030, 12, 31)
    )
    pool, bands = fund_bands(top, bl, "Bånd", (kr(100_000), kr(200_000), kr(400_000)))
    call = make_call(pool=pool)
    OrganisationFactory(cvr=PARTNER_CVR, kind=OrganisationKind.ASSOCIATION, name="Forening")
    a = make_applicant(call, name="Boligselskabet A")
    b = make_applicant(call, name="Boligselskabet B")
    elsewhere = OrganisationFactory(kind=OrganisationKind.FUNDER, name="En anden styrelse")
    PoolFactory(administrator=elsewhere)
    caseworker = UserFactory(organisation=bl, name="Sagsbehandler")
    claimant = UserFactory(name="Ansøger uden bevis")
    claimed = OrganisationFactory(name="Boligselskabet C")
    claim = request_membership(actor=claimant, organisation=claimed)
    start_application(actor=claimant, call=call, organisation=claimed)
    users: dict[str, User] = {
        "no_organisation": UserFactory(name="Uden organisation"),
        "applicant_a": a.user,
        "applicant_b": b.user,
        "claimant": claimant,
        "caseworker": caseworker,
        "funder": UserFactory(organisation=ministry, name="Ministeriets læser"),
        "other_secretariat": UserFactory(organisation=elsewhere, name="Andet sekretariat"),
        "staff": register_user(actor=None, email="staff@example.dk", is_staff=True),
        "superuser": register_user(
            actor=None, email="root@example.dk", is_staff=True, is_superuser=True
        ),
    }
    colleague = add_membership(
        actor=None,
        user=UserFactory(name="Kollega"),
        organisation=a.organisation,
        role=MembershipRole.MEMBER,
    )
    sent = invite_member(
        actor=a.user, organisation=a.organisation, email="ny@example.dk", role=MembershipRole.MEMBER
    )

    draft = start_application(actor=a.user, call=call, organisation=a.organisation)
    draft.draft = complete_draft(a)
    draft.save(update_fields=["draft"])
    attachment = add_attachment(
        actor=a.user, application=draft, upload=SimpleUploadedFile("plan.pdf", PDF)
    )

    submitted = screened(a, 60_000, title="Spiseklub")
    # Its file, submitted as its second version.
    submitted_file = add_attachment(
        actor=a.user, application=submitted, upload=SimpleUploadedFile("aftale.pdf", PDF)
    )
    submit_application(actor=a.user, application=submitted, confirmed=fingerprint(submitted))
    submitted.refresh_from_db()
    member = add_assessor(actor=caseworker, call=call, email="bente@example.dk", name="Bente")
    users["assessor"] = member.user
    assign_assessor(actor=caseworker, applications=[submitted], assessor=member.user)
    declare_interest(
        actor=member.user,
        assignment=Assignment.objects.get(application=submitted, assessor=member.user),
        conflict=False,
    )

    decided = screened(a, 20_000, title="Strikkeklub")
    [decision] = decide_applications(
        actor=caseworker, applications=[decided], outcome="grant", queue_letters=False
    )
    job = queue_decision_letters(actor=caseworker, decision_ids=[decision.pk])
    run_decision_letters(job_id=job.pk)
    # Asked only now, so the applications above were complete without it.
    question = add_question(
        actor=None, call=call, label="Har I samarbejdet før?", kind=QuestionKind.YES_NO
    )
    return World(
        users=users,
        organisation_a=a.organisation,
        colleague_a=colleague,
        invitation=sent.invitation,
        invitation_token=resolve(urlsplit(sent.url).path).kwargs["token"],
        claim=claim,
        pool=pool,
        call=call,
        question=question,
        draft=draft,
        attachment=attachment,
        submitted=submitted,
        submitted_file=submitted_file,
        panel_member=member,
        decided=decided,
        job=job,
        letter=Letter.objects.get(decision_id=decision.pk),
        run=run_allocation(actor=caseworker, call=call, options=AllocationOptions()),
        # On the largest band, which none of the applications above is in.
        fast_track=set_fast_track(actor=caseworker, band=bands[2], max_amount_ore=kr(150_000)),
    )


# Route name → its URL's arguments from the world; a route with arguments needs an entry.
def _call(w: World) -> dict[str, Any]:
    return {"code": w.call.code}


def _draft(w: World) -> dict[str, Any]:
    return {"uuid": w.draft.uuid}


def _submitted(w: World) -> dict[str, Any]:
    return {"uuid": w.submitted.uuid}


def _pool(w: World) -> dict[str, Any]:
    return {"pk": w.pool.pk}


def _organisation(w: World) -> dict[str, Any]:
    return {"pk": w.organisation_a.pk}


def _run(w: World) -> dict[str, Any]:
    return {"code": w.call.code, "pk": w.run.pk}


def _provider(w: World) -> dict[str, Any]:
    return {"provider_id": "mitid-erhverv"}


KWARGS: dict[str, Callable[[World], dict[str, Any]]] = {
    "openid_connect_login": _provider,
    "openid_connect_callback": _provider,
    "registry:decide_request": lambda w: {"member": w.claim.pk},
    "registry:invitation": lambda w: {"token": w.invitation_token},
    "registry:profile": _organisation,
    "registry:invite": _organisation,
    "registry:revoke": lambda w: {"pk": w.organisation_a.pk, "invitation": w.invitation.pk},
    "registry:send_code": _organisation,
    "registry:prove_code": _organisation,
    "registry:remove": lambda w: {"pk": w.organisation_a.pk, "member": w.colleague_a.pk},
    "registry:role": lambda w: {"pk": w.organisation_a.pk, "member": w.colleague_a.pk},
    "registry:add_department": _organisation,
    "funds:pool_detail": _pool,
    "funds:sub_pool_create": _pool,
    "funds:pool_appropriate": _pool,
    "funds:pool_delegate": _pool,
    "funds:pool_second_approval": _pool,
    "funds:pool_transfer": _pool,
    "calls:create": lambda w: {"pool_pk": w.pool.pk},
    "calls:detail": _call,
    "calls:edit": _call,
    "calls:questions": _call,
    "calls:question_remove": lambda w: {"code": w.call.code, "pk": w.question.pk},
    "casework:screening_rules": _call,
    "fasttrack:settings": _call,
    "fasttrack:pause": lambda w: {"code": w.call.code, "pk": w.fast_track.pk},
    "applications:start": _call,
    "applications:edit": _draft,
    "applications:autosave": _draft,
    "applications:check": _draft,
    "applications:submit": _draft,
    "applications:receipt": _submitted,
    "applications:attach": _draft,
    "applications:attachment": lambda w: {"uuid": w.draft.uuid, "pk": w.attachment.pk},
    "applications:detach": lambda w: {"uuid": w.draft.uuid, "pk": w.attachment.pk},
    "applications:withdraw": _draft,
    "allocation:runs": _call,
    "allocation:new": _call,
    "allocation:run": _run,
    "allocation:stop": _run,
    "allocation:rerun": _run,
    "allocation:bring_back": _run,
    "allocation:confirm": _run,
    "desk:application": _submitted,
    "desk:attachment": lambda w: {"uuid": w.submitted.uuid, "pk": w.submitted_file.pk},
    "desk:override": _submitted,
    "desk:declare_conflict": _submitted,
    "desk:verify_partner": lambda w: {"uuid": w.submitted.uuid, "cvr": PARTNER_CVR},
    "desk:queue": _call,
    "desk:bulk": _call,
    "desk:bulk_recommend": _call,
    "assessment:score": _submitted,
    "assessment:declare": _submitted,
    "assessment:attachment": lambda w: {"uuid": w.submitted.uuid, "pk": w.submitted_file.pk},
    "assessment:panel": _call,
    "assessment:panel_remove": lambda w: {"code": w.call.code, "pk": w.panel_member.pk},
    "assessment:rubric": _call,
    "assessment:results": _call,
    "assessment:moderation": _call,
    "assessment:assign": _submitted,
    "assessment:recommend": _submitted,
    "decisions:decide": lambda w: {"uuid": w.decided.uuid},
    "decisions:second_approval": lambda w: {"uuid": w.submitted.uuid},
    "decisions:accept": lambda w: {"uuid": w.decided.uuid},
    "decisions:decline": lambda w: {"uuid": w.decided.uuid},
    "decisions:undo": lambda w: {"pk": w.job.pk},
    "letters:job": lambda w: {"pk": w.job.pk},
    "letters:retry": lambda w: {"pk": w.job.pk},
    "letters:download": lambda w: {"pk": w.letter.pk},
}


def _routes() -> list[Route]:
    return sorted(walk(get_resolver().url_patterns), key=lambda route: route.name or route.route)


def _cells() -> list[Any]:
    return [
        pytest.param(route, method, role, id=f"{route.name}-{method}-{role}")
        for route in _routes()
        for method in METHODS
        for role in ROLES
    ]


@dataclass
class Logged:
    """The world, and each role's session (logged in once, as the login pages would)."""

    world: World
    sessions: dict[str, str]


@pytest.fixture(scope="module")
def logged(
    django_db_setup: None,
    django_db_blocker: DjangoDbBlocker,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Logged]:
    """Built once for the module in a transaction that is rolled back at its end; each test's
    own transaction (the ``db`` fixture) nests inside it as a savepoint, so what a request
    writes (a session too) is undone before the next."""
    private = override_settings(
        MEDIA_ROOT=tmp_path_factory.mktemp("media"),
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
    )
    private.enable()
    outer = transaction.atomic()
    try:
        with django_db_blocker.unblock():
            outer.__enter__()
            world = build_world()
            sessions = {}
            for role, user in world.users.items():
                client = Client()
                force_login_with_second_factor(client, user)
                if mfa.needs_second_factor(user):
                    RecoveryCodes.activate(user)
                sessions[role] = client.cookies[settings.SESSION_COOKIE_NAME].value
        yield Logged(world=world, sessions=sessions)
    finally:
        with django_db_blocker.unblock():
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
        private.disable()


def outcome(response: HttpResponseBase) -> str:
    """Allowed: the view answered (a page, a redirect on, or 400/401/409 for what was sent);
    refused: 403, 404, 405, or sent to the login page."""
    status = response.status_code
    if status in {403, 404, 405}:
        return "refused"
    if 300 <= status < 400:
        login = reverse("accounts:login")
        return "refused" if response["Location"].split("?")[0] == login else "allowed"
    # allauth's page for a failed login with an identity provider answers 401.
    if status < 300 or status in {400, 401, 409}:
        return "allowed"
    raise AssertionError(f"unexpected status {status}")


def test_every_route_is_in_the_matrix() -> None:
    names = {route.name or route.route for route in _routes()}

    assert sorted(names - set(ACCESS)) == [], "add these routes to ACCESS"
    assert sorted(set(ACCESS) - names) == [], "these routes are gone: remove them from ACCESS"
    assert sorted(set(KWARGS) - names) == [], "these routes are gone: remove them from KWARGS"


@pytest.mark.django_db
@pytest.mark.parametrize(("route", "method", "role"), _cells())
def test_route_lets_in_the_roles_the_matrix_says(
    logged: Logged, route: Route, method: str, role: str
) -> None:
    name = route.name or route.route
    assert name in ACCESS, f"{name} is not in the access matrix: add it to ACCESS"
    if route.converters:
        assert name in KWARGS, f"{name} takes {sorted(route.converters)}: add it to KWARGS"
    url = reverse(name, kwargs=KWARGS[name](logged.world) if route.converters else None)
    client = Client()
    if role != "anonymous":
        client.cookies[settings.SESSION_COOKIE_NAME] = logged.sessions[role]
    events = AuditEvent.objects.count()

    response = client.get(url) if method == "GET" else client.post(url)
    if response.streaming:
        # Read to the end, so the test client closes the file (a letter, an attachment).
        response.getvalue()

    expected = "allowed" if role in ACCESS[name][method] else "refused"
    assert outcome(response) == expected, (
        f"{method} {url} as {role}: {response.status_code} {response.get('Location', '')}"
    )
    if expected == "refused":
        assert AuditEvent.objects.count() == events, f"{method} {url} as {role} wrote events"
