"""The second factor's pages under allauth's URL names (without a namespace: allauth reverses
them itself). Only TOTP and recovery codes: no WebAuthn, no "trust this browser"."""

from django.urls import path

from pulje.accounts import mfa_views

urlpatterns = [
    path("", mfa_views.index, name="mfa_index"),
    path("log-ind/", mfa_views.authenticate, name="mfa_authenticate"),
    path("bekraeft/", mfa_views.reauthenticate, name="mfa_reauthenticate"),
    path("bekraeft/adgangskode/", mfa_views.password_reauthenticate, name="account_reauthenticate"),
    path("app/", mfa_views.activate_totp, name="mfa_activate_totp"),
    path("app/fjern/", mfa_views.deactivate_totp, name="mfa_deactivate_totp"),
    path("gendannelseskoder/", mfa_views.recovery_codes, name="mfa_view_recovery_codes"),
    path(
        "gendannelseskoder/nye/",
        mfa_views.generate_recovery_codes,
        name="mfa_generate_recovery_codes",
    ),
    path(
        "gendannelseskoder/hent/",
        mfa_views.download_recovery_codes,
        name="mfa_download_recovery_codes",
    ),
]
