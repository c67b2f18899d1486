from django.urls import path

from pulje.accounts import views

app_name = "accounts"
urlpatterns = [
    path("log-ind/", views.login, name="login"),
    path("log-ud/", views.logout, name="logout"),
]
