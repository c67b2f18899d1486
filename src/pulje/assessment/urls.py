from django.urls import path

from pulje.assessment import views

app_name = "assessment"
urlpatterns = [
    path("", views.mine, name="mine"),
    path("<uuid:uuid>/", views.score, name="score"),
    path("<uuid:uuid>/bilag/<int:pk>/", views.attachment, name="attachment"),
    path("<uuid:uuid>/erklaering/", views.declare, name="declare"),
    path("opslag/<slug:code>/bedoemmere/", views.panel, name="panel"),
    path("opslag/<slug:code>/bedoemmere/<int:pk>/fjern/", views.panel_remove, name="panel_remove"),
    path("opslag/<slug:code>/kriterier/", views.rubric, name="rubric"),
    path("opslag/<slug:code>/resultater/", views.results, name="results"),
    path("opslag/<slug:code>/moderation/", views.moderation, name="moderation"),
    path("ansoegning/<uuid:uuid>/", views.assign, name="assign"),
    path("ansoegning/<uuid:uuid>/indstilling/", views.recommend, name="recommend"),
]
