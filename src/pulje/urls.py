from django.contrib import admin
from django.urls import include, path
from django.views.i18n import set_language

from pulje.core.access import public

admin.site.site_header = "pulje"
admin.site.site_title = "pulje"

urlpatterns = [
    path("", include("pulje.core.urls")),
    path("konto/", include("pulje.accounts.urls")),
    path("konto/", include("pulje.accounts.allauth_urls")),
    path("organisation/", include("pulje.registry.urls")),
    path("puljer/", include("pulje.funds.urls")),
    path("opslag/", include("pulje.calls.urls")),
    path("ansoegninger/", include("pulje.applications.urls")),
    path("sekretariat/opslag/", include("pulje.allocation.urls")),
    path("sekretariat/", include("pulje.casework.urls")),
    path("bedoemmelse/", include("pulje.assessment.urls")),
    path("afgoerelser/", include("pulje.decisions.urls")),
    path("breve/", include("pulje.letters.urls")),
    path("sprog/", public(set_language), name="set_language"),
    path("admin/", admin.site.urls),
]
