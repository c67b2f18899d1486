from django.urls import path

from pulje.decisions import views

app_name = "decisions"
urlpatterns = [
    path("<int:pk>/", views.decide, name="decide"),
    path("<int:pk>/anden-godkendelse/", views.second_approval, name="second_approval"),
    path("tilsagn/<uuid:uuid>/", views.accept, name="accept"),
]
