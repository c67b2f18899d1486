from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistryConfig(AppConfig):
    name = "pulje.registry"
    label = "registry"
    verbose_name = _("Registry")

    def ready(self) -> None:
        from allauth.socialaccount.signals import pre_social_login

        from pulje.registry.receivers import prove_on_identity_provider_login

        pre_social_login.connect(
            prove_on_identity_provider_login, dispatch_uid="pulje.registry.identity_provider"
        )
