from django.urls import path

from pulje.allocation import views

app_name = "allocation"
urlpatterns = [
    path("<slug:code>/fordeling/", views.runs, name="runs"),
    path("<slug:code>/fordeling/ny/", views.new_run, name="new"),
    path("<slug:code>/fordeling/<int:pk>/", views.run, name="run"),
    path("<slug:code>/fordeling/<int:pk>/stop/", views.stop, name="stop"),
    path("<slug:code>/fordeling/<int:pk>/koer-igen/", views.rerun, name="rerun"),
    path("<slug:code>/fordeling/<int:pk>/tag-med/", views.bring_back, name="bring_back"),
    path("<slug:code>/fordeling/<int:pk>/bekraeft/", views.confirm, name="confirm"),
]
