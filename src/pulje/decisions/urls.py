from django.urls import path

from pulje.decisions import views

app_name = "decisions"
urlpatterns = [
    path("<uuid:uuid>/", views.decide, name="decide"),
    path("<uuid:uuid>/anden-godkendelse/", views.second_approval, name="second_approval"),
    path("tilsagn/<uuid:uuid>/", views.accept, name="accept"),
]
