from django.urls import path

from pulje.accounts import views

app_name = "accounts"
urlpatterns = [
    path("log-ind/", views.login, name="login"),
    path("log-ind/kode/", views.confirm_code, name="confirm_code"),
    path("log-ind/adgangskode/", views.password_login, name="password_login"),
    path("log-ud/", views.logout, name="logout"),
]
