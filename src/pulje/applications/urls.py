from django.urls import path

from pulje.applications import views

app_name = "applications"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("ny/<slug:code>/", views.start, name="start"),
    path("<uuid:uuid>/", views.edit, name="edit"),
    path("<uuid:uuid>/gem/", views.autosave, name="autosave"),
    path("<uuid:uuid>/tjek/", views.check, name="check"),
    path("<uuid:uuid>/indsend/", views.submit, name="submit"),
    path("<uuid:uuid>/kvittering/", views.receipt, name="receipt"),
    path("<uuid:uuid>/bilag/", views.attach, name="attach"),
    path("<uuid:uuid>/bilag/<int:pk>/", views.attachment, name="attachment"),
    path("<uuid:uuid>/bilag/<int:pk>/fjern/", views.detach, name="detach"),
    path("<uuid:uuid>/traek-tilbage/", views.withdraw, name="withdraw"),
]
