from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from pulje.registry.validators import validate_cvr, validate_postal_code


class Region(models.Model):
    """One of the five Danish regions, keyed by its official code (1081–1085)."""

    code = models.CharField(_("region code"), max_length=4, primary_key=True)
    name = models.CharField(_("name"), max_length=100, unique=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("region")
        verbose_name_plural = _("regions")

    def __str__(self) -> str:
        return self.name


class Municipality(models.Model):
    """One of the 98 municipalities (kommuner), keyed by its official three-digit code."""

    code = models.CharField(_("municipality code"), max_length=3, primary_key=True)
    name = models.CharField(_("name"), max_length=100, unique=True)
    region = models.ForeignKey(
        Region, verbose_name=_("region"), on_delete=models.PROTECT, related_name="municipalities"
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("municipality")
        verbose_name_plural = _("municipalities")

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class OrganisationKind(models.TextChoices):
    HOUSING = "housing", _("Housing organisation")
    ASSOCIATION = "association", _("Association")
    LIBRARY = "library", _("Library")
    SOCIAL = "social", _("Social organisation")
    FUNDER = "funder", _("Funder")
    INTERMEDIARY = "intermediary", _("Intermediary")
    OTHER = "other", _("Other organisation")


# The kinds an application's partner may be (the application form offers these).
PARTNER_KINDS = (OrganisationKind.ASSOCIATION, OrganisationKind.LIBRARY, OrganisationKind.SOCIAL)


class Organisation(models.Model):
    """A legal entity with a CVR number: applicant, partner, funder or intermediary."""

    cvr = models.CharField(_("CVR number"), max_length=8, unique=True, validators=[validate_cvr])
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=OrganisationKind.choices)
    housing_number = models.CharField(
        _("housing organisation number"),
        max_length=10,
        blank=True,
        help_text=_("Landsbyggefonden's number for a housing organisation."),
    )
    address = models.CharField(_("address"), max_length=200, blank=True)
    postal_code = models.CharField(
        _("postal code"), max_length=4, blank=True, validators=[validate_postal_code]
    )
    city = models.CharField(_("city"), max_length=100, blank=True)
    municipality = models.ForeignKey(
        Municipality,
        verbose_name=_("municipality"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="organisations",
    )
    # The organisation's own address as the register has it (the import, or pulje's
    # administrators): a claim is proven by a code sent there, so members cannot change it.
    registry_email = models.EmailField(
        _("e-mail address in the register"),
        blank=True,
        help_text=_("A person who claims the organisation can prove it by a code sent here."),
    )
    # What the organisation tells once, for every application ("tell us once"). The IBAN is
    # stored compact (no spaces) and validated by the profile form: a Danish reg.nr. and
    # account number are converted to it there.
    payment_iban = models.CharField(_("payment account (IBAN)"), max_length=34, blank=True)
    contact_name = models.CharField(_("contact person"), max_length=200, blank=True)
    contact_email = models.EmailField(_("contact person's e-mail"), blank=True)
    contact_phone = models.CharField(_("contact person's phone"), max_length=30, blank=True)
    finance_name = models.CharField(_("finance contact"), max_length=200, blank=True)
    finance_email = models.EmailField(_("finance contact's e-mail"), blank=True)
    finance_phone = models.CharField(_("finance contact's phone"), max_length=30, blank=True)
    # Whether pulje vouches that the CVR number is this organisation's: the register and its
    # imports (``verified_by`` the importer, or empty for pulje itself) or a caseworker who
    # checked it. An organisation that registered itself is not, until a caseworker verifies
    # it; only a verified partner passes screening's "partner in the registry".
    verified_at = models.DateTimeField(_("verified"), null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("verified by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        constraints = [
            models.UniqueConstraint(
                fields=["housing_number"],
                condition=~models.Q(housing_number=""),
                name="organisation_housing_number_unique",
            ),
            models.CheckConstraint(
                condition=models.Q(housing_number="") | models.Q(kind="housing"),
                name="organisation_housing_number_only_for_housing",
            ),
            models.CheckConstraint(
                condition=models.Q(verified_by__isnull=True) | models.Q(verified_at__isnull=False),
                name="organisation_verified_by_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} (CVR {self.cvr})"

    @property
    def is_verified(self) -> bool:
        return self.verified_at is not None


class HousingDepartment(models.Model):
    """A boligafdeling: part of a housing organisation, usually without a CVR of its own."""

    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("housing organisation"),
        on_delete=models.PROTECT,
        related_name="departments",
        limit_choices_to={"kind": OrganisationKind.HOUSING},
    )
    number = models.CharField(_("department number"), max_length=10)
    name = models.CharField(_("name"), max_length=200)
    municipality = models.ForeignKey(
        Municipality,
        verbose_name=_("municipality"),
        on_delete=models.PROTECT,
        related_name="departments",
    )
    homes = models.PositiveIntegerField(_("homes"), validators=[MinValueValidator(1)])

    class Meta:
        ordering = ["organisation__name", "number"]
        verbose_name = _("housing department")
        verbose_name_plural = _("housing departments")
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "number"], name="department_unique_number"
            ),
            models.CheckConstraint(condition=models.Q(homes__gte=1), name="department_homes_gte_1"),
        ]

    def __str__(self) -> str:
        return f"{self.organisation.name} – afd. {self.number} {self.name}"
