import pytest
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from django.test import Client
from django.urls import reverse

from pulje.accounts.models import Membership, User
from pulje.core.models import AuditEvent
from tests.factories import OrganisationFactory, UserFactory

pytestmark = [pytest.mark.django_db]
PASSWORD = "correct-horse-battery-staple"


@pytest.mark.parametrize("typed", ["sekretariat@pulje.dk", "Sekretariat@Pulje.DK"])
def test_password_login_accepts_the_address_in_any_case(client: Client, typed: str) -> None:
    UserFactory(email="sekretariat@pulje.dk", password=PASSWORD)
    response = client.post(
        reverse("accounts:password_login"), {"login": typed, "password": PASSWORD}
    )
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(User.objects.get().pk)


def test_two_users_cannot_share_an_address_in_different_case() -> None:
    User.objects.create_user("a@pulje.dk")
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(email="A@pulje.dk")
    assert User.objects.count() == 1


def test_a_membership_cannot_vanish_with_its_organisation_or_user() -> None:
    """Memberships decide who sees which pools; they end through an audited removal only."""
    organisation = OrganisationFactory()
    user = UserFactory(organisation=organisation)
    with pytest.raises(ProtectedError), transaction.atomic():
        organisation.delete()
    with pytest.raises(ProtectedError), transaction.atomic():
        user.delete()
    assert Membership.objects.filter(user=user, organisation=organisation).exists()


def test_a_password_change_in_the_admin_is_audited_without_the_hash(client: Client) -> None:
    admin = User.objects.create_superuser("admin@pulje.dk", PASSWORD)
    person = UserFactory(password=PASSWORD)
    client.force_login(admin)
    seq = AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first()
    response = client.post(
        reverse("admin:auth_user_password_change", args=[person.pk]),
        {"password1": "a-new-long-passphrase", "password2": "a-new-long-passphrase"},
    )
    assert response.status_code == 302
    events = list(AuditEvent.objects.filter(seq__gt=seq or 0))
    assert [(e.action, e.actor_id, e.object_id, e.before, e.after) for e in events] == [
        ("admin.accounts.user.password_changed", admin.pk, str(person.pk), None, None)
    ]
    person.refresh_from_db()
    assert person.check_password("a-new-long-passphrase")
