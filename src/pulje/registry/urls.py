from django.urls import path

from pulje.registry import views

app_name = "registry"
urlpatterns = [
    path("", views.my_organisations, name="mine"),
    path("registrer/", views.onboarding, name="onboarding"),
    path("registrer/overtag/", views.claim, name="claim"),
    path("registrer/ny/", views.register, name="register"),
    path("anmodninger/", views.requests, name="requests"),
    path("anmodninger/<int:member>/", views.decide_request, name="decide_request"),
    path("invitation/<str:token>/", views.invitation, name="invitation"),
    path("<int:pk>/", views.profile, name="profile"),
    path("<int:pk>/inviter/", views.invite, name="invite"),
    path("<int:pk>/invitationer/<int:invitation>/tilbagekald/", views.revoke, name="revoke"),
    path("<int:pk>/bevis/kode/", views.send_code, name="send_code"),
    path("<int:pk>/bevis/", views.prove_code, name="prove_code"),
    path("<int:pk>/medlemmer/<int:member>/fjern/", views.remove, name="remove"),
    path("<int:pk>/medlemmer/<int:member>/rolle/", views.role, name="role"),
    path("<int:pk>/afdeling/", views.add_department, name="add_department"),
]
