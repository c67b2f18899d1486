from django.urls import path

from pulje.registry import association_views, cvr_views, membership_views, views

app_name = "registry"
urlpatterns = [
    path("", views.my_organisations, name="mine"),
    path("registrer/", views.onboarding, name="onboarding"),
    path("registrer/overtag/", views.claim, name="claim"),
    path("registrer/ny/", views.register, name="register"),
    path("cvr/", cvr_views.cvr_lookup, name="cvr_lookup"),
    path("foreninger/", association_views.associations, name="associations"),
    path("anmodninger/", membership_views.requests, name="requests"),
    path("anmodninger/<int:member>/", membership_views.decide_request, name="decide_request"),
    path("invitation/<str:token>/", membership_views.invitation, name="invitation"),
    path("<int:pk>/", views.profile, name="profile"),
    path("<int:pk>/inviter/", membership_views.invite, name="invite"),
    path(
        "<int:pk>/invitationer/<int:invitation>/tilbagekald/",
        membership_views.revoke,
        name="revoke",
    ),
    path("<int:pk>/bevis/kode/", membership_views.send_code, name="send_code"),
    path("<int:pk>/bevis/", membership_views.prove_code, name="prove_code"),
    path("<int:pk>/medlemmer/<int:member>/fjern/", membership_views.remove, name="remove"),
    path("<int:pk>/medlemmer/<int:member>/rolle/", membership_views.role, name="role"),
    path("<int:pk>/afdeling/", views.add_department, name="add_department"),
]
