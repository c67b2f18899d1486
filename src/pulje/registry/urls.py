from django.urls import path

from pulje.registry import views

app_name = "registry"
urlpatterns = [
    path("", views.my_organisations, name="mine"),
    path("registrer/", views.onboarding, name="onboarding"),
    path("registrer/overtag/", views.claim, name="claim"),
    path("registrer/ny/", views.register, name="register"),
    path("<int:pk>/", views.profile, name="profile"),
    path("<int:pk>/inviter/", views.invite, name="invite"),
    path("<int:pk>/afdeling/", views.add_department, name="add_department"),
]
