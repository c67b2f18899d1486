from typing import Any

from django.contrib import admin
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import include, path, reverse
from django.views.i18n import set_language

from pulje.core.access import public
from pulje.desk.views import start

admin.site.site_header = "pulje"
admin.site.site_title = "pulje"


def admin_login(request: HttpRequest, extra_context: Any = None) -> HttpResponse:
    """Django admin's own login form would skip pulje's rate limits and second factor: the
    admin's login page sends everyone to pulje's login, which returns them to the admin. A
    logged-in user whom the admin refuses is told so (403) rather than sent round again."""
    if request.user.is_authenticated:
        if not admin.site.has_permission(request):
            raise PermissionDenied
        return redirect("admin:index")
    return redirect_to_login(request.GET.get(REDIRECT_FIELD_NAME) or reverse("admin:index"))


admin.site.login = public(admin_login)  # type: ignore[method-assign]

urlpatterns = [
    path("", include("pulje.core.urls")),
    path("opgaver/", start, name="start"),
    path("konto/", include("pulje.accounts.urls")),
    path("konto/", include("pulje.accounts.allauth_urls")),
    path("konto/totrin/", include("pulje.accounts.mfa_urls")),
    path("organisation/", include("pulje.registry.urls")),
    path("puljer/", include("pulje.funds.urls")),
    path("opslag/", include("pulje.calls.urls")),
    path("ansoegninger/", include("pulje.applications.urls")),
    path("sekretariat/opslag/", include("pulje.allocation.urls")),
    path("sekretariat/formalia/", include("pulje.casework.urls")),
    path("sekretariat/hurtigspor/", include("pulje.fasttrack.urls")),
    path("sekretariat/", include("pulje.desk.urls")),
    path("bedoemmelse/", include("pulje.assessment.urls")),
    path("afgoerelser/", include("pulje.decisions.urls")),
    path("breve/", include("pulje.letters.urls")),
    path("sprog/", public(set_language), name="set_language"),
    path("admin/", admin.site.urls),
]
