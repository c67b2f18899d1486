from django.urls import path

from pulje.casework import views

app_name = "casework"
urlpatterns = [
    path("<slug:code>/", views.screening_rules, name="screening_rules"),
]
