from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "pulje.accounts"
    label = "accounts"
    verbose_name = _("Users and memberships")

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from pulje.accounts.mfa import on_user_logged_in

        user_logged_in.connect(on_user_logged_in, dispatch_uid="pulje.accounts.mfa")
