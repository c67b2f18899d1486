"""The URL names django-allauth reverses itself, without a namespace, on pulje's views.

Only the flows pulje uses are here (not ``allauth.urls``): login by code, the password
login's fallbacks, and OpenID Connect. The login page answers to allauth's names for both
its login and its code request.
"""

from django.urls import path

from pulje.accounts import views

urlpatterns = [
    path("log-ind/", views.login, name="account_login"),
    path("log-ind/", views.login, name="account_request_login_code"),
    path("log-ind/kode/", views.confirm_code, name="account_confirm_login_code"),
    path("inaktiv/", views.inactive, name="account_inactive"),
    path("oidc/<str:provider_id>/log-ind/", views.oidc_login, name="openid_connect_login"),
    path(
        "oidc/<str:provider_id>/log-ind/retur/",
        views.oidc_callback,
        name="openid_connect_callback",
    ),
    path("oidc/tilmeld/", views.social_signup, name="socialaccount_signup"),
    path("oidc/afbrudt/", views.social_login_cancelled, name="socialaccount_login_cancelled"),
    path("oidc/fejl/", views.social_login_error, name="socialaccount_login_error"),
]
