from django.urls import path

from pulje.fasttrack import views

app_name = "fasttrack"
urlpatterns = [
    path("<slug:code>/", views.fast_track_settings, name="settings"),
    path("<slug:code>/<int:pk>/pause/", views.fast_track_pause, name="pause"),
]
