from django.urls import path

from pulje.decisions import views, views_decline, views_undo

app_name = "decisions"
urlpatterns = [
    path("<uuid:uuid>/", views.decide, name="decide"),
    path("<uuid:uuid>/anden-godkendelse/", views.second_approval, name="second_approval"),
    path("tilsagn/<uuid:uuid>/", views.accept, name="accept"),
    path("tilsagn/<uuid:uuid>/sig-nej-tak/", views_decline.decline, name="decline"),
    path("fortryd/<int:pk>/", views_undo.undo, name="undo"),
]
