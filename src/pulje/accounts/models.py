from typing import Any, ClassVar

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class UserManager(BaseUserManager["User"]):
    def create_user(self, email: str, password: str | None = None, **extra: Any) -> "User":
        if not email:
            raise ValueError("A user needs an e-mail address.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def get_by_natural_key(self, username: str | None) -> "User":
        # People type their address as they like; it is one address whatever its case.
        return self.get(email__iexact=username)

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> "User":
        extra.update(is_staff=True, is_superuser=True)
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who uses pulje. People log in with their e-mail address; there are no usernames."""

    email = models.EmailField(_("e-mail address"), unique=True)
    name = models.CharField(_("name"), max_length=200, blank=True)
    is_staff = models.BooleanField(
        _("staff status"),
        default=False,
        help_text=_("Can log in to the administration site."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    date_joined = models.DateTimeField(_("joined"), default=timezone.now)

    objects: ClassVar[UserManager] = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.UniqueConstraint(Lower("email"), name="user_email_unique_ignoring_case")
        ]

    def __str__(self) -> str:
        return self.name or self.email


class MembershipRole(models.TextChoices):
    """What a person may do for an organisation: every member works on its applications;
    administrators also invite and remove members and change the payment account."""

    ADMINISTRATOR = "administrator", _("Administrator")
    MEMBER = "member", _("Member")


class Proof(models.TextChoices):
    """How it was proven that a person acts for an organisation (docs/security.md)."""

    IDENTITY_PROVIDER = "identity_provider", _("MitID Erhverv gave the organisation's CVR number")
    REGISTRY_EMAIL = (
        "registry_email",
        _("A code sent to the organisation's address in the register"),
    )
    SECRETARIAT = "secretariat", _("Approved by a pool secretariat")
    ADMINISTRATOR = "administrator", _("Approved by one of the organisation's administrators")
    INVITATION = "invitation", _("Invited by one of the organisation's administrators")
    STAFF = "staff", _("Added by pulje's administrators")


class MembershipQuerySet(models.QuerySet["Membership"]):
    def proven(self) -> "MembershipQuerySet":
        return self.filter(proven_at__isnull=False)

    def unproven(self) -> "MembershipQuerySet":
        return self.filter(proven_at__isnull=True)


class Membership(models.Model):
    """A user acts for an organisation: housing staff, BL's secretariat, a ministry.

    A membership that is not proven yet (``proven_at`` is empty) is a request: its person may
    write drafts for the organisation but not submit, accept or invite, and it gives no power
    over pools. ``needs_secretariat`` marks the request of a person who works for a pool
    secretariat (or assesses for one): only an administrator of that secretariat may approve it.
    """

    user = models.ForeignKey(
        User, verbose_name=_("user"), on_delete=models.PROTECT, related_name="memberships"
    )
    organisation = models.ForeignKey(
        "registry.Organisation",
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        related_name="memberships",
    )
    role = models.CharField(
        _("role"), max_length=20, choices=MembershipRole.choices, default=MembershipRole.MEMBER
    )
    proven_at = models.DateTimeField(_("proven"), null=True, blank=True)
    proof = models.CharField(_("proof"), max_length=20, choices=Proof.choices, blank=True)
    needs_secretariat = models.BooleanField(_("awaits a secretariat's approval"), default=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects: ClassVar[MembershipQuerySet] = MembershipQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(fields=["user", "organisation"], name="membership_unique"),
            models.CheckConstraint(
                condition=models.Q(proven_at__isnull=True, proof="")
                | models.Q(proven_at__isnull=False, needs_secretariat=False) & ~models.Q(proof=""),
                name="membership_proven_with_proof",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.organisation}"

    @property
    def is_proven(self) -> bool:
        return self.proven_at is not None

    @property
    def is_administrator(self) -> bool:
        return self.role == MembershipRole.ADMINISTRATOR


class Invitation(models.Model):
    """An administrator's invitation of a person, by e-mail address, to act for an
    organisation. It gives access only once the invitee, logged in with that address, accepts
    it by its link before it expires. Only a hash of the link's token is stored."""

    organisation = models.ForeignKey(
        "registry.Organisation",
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        related_name="invitations",
    )
    email = models.EmailField(_("e-mail address"))
    role = models.CharField(
        _("role"), max_length=20, choices=MembershipRole.choices, default=MembershipRole.MEMBER
    )
    invited_by = models.ForeignKey(
        User, verbose_name=_("invited by"), on_delete=models.PROTECT, related_name="+"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires"))
    accepted_at = models.DateTimeField(_("accepted"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        indexes = [models.Index(fields=["organisation", "created_at"])]

    def __str__(self) -> str:
        return f"{self.email} → {self.organisation}"

    @property
    def is_open(self) -> bool:
        return (
            self.accepted_at is None
            and self.revoked_at is None
            and self.expires_at > timezone.now()
        )


class ProofCode(models.Model):
    """A one-time code sent to an organisation's own address in the register, which proves a
    claim when the claimant types it back. Only its hash is stored."""

    # Kept when the request goes (refused, or left to claim again): the codes an organisation's
    # address was sent in the last hour are counted for the organisation.
    membership = models.ForeignKey(
        Membership,
        verbose_name=_("membership"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="codes",
    )
    organisation = models.ForeignKey(
        "registry.Organisation",
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    code_hash = models.CharField(max_length=64)
    sent_to = models.EmailField(_("sent to"))
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires"))
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    used_at = models.DateTimeField(_("used"), null=True, blank=True)

    class Meta:
        verbose_name = _("proof code")
        verbose_name_plural = _("proof codes")

    def __str__(self) -> str:
        return f"{self.membership} ({self.created_at:%Y-%m-%d %H:%M})"
