from django.urls import path

from pulje.core import views

app_name = "core"
urlpatterns = [
    path("", views.home, name="home"),
    path("tilgaengelighed/", views.accessibility, name="accessibility"),
    path("sundhed/", views.health, name="health"),
    path("udbakke/", views.outbox, name="outbox"),
]
