from django.urls import path

from pulje.desk import partner_views, views

app_name = "desk"
urlpatterns = [
    path("", views.calls, name="calls"),
    path("ansoegning/<uuid:uuid>/", views.application, name="application"),
    path("ansoegning/<uuid:uuid>/bilag/<int:pk>/", views.attachment, name="attachment"),
    path("ansoegning/<uuid:uuid>/screening/", views.override, name="override"),
    path("ansoegning/<uuid:uuid>/inhabilitet/", views.declare_conflict, name="declare_conflict"),
    path(
        "ansoegning/<uuid:uuid>/partner/<str:cvr>/godkend/",
        partner_views.verify_partner,
        name="verify_partner",
    ),
    path("<slug:code>/", views.queue_view, name="queue"),
    path("<slug:code>/handling/", views.bulk, name="bulk"),
    path("<slug:code>/indstilling/", views.bulk_recommend, name="bulk_recommend"),
]
