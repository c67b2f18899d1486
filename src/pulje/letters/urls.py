from django.urls import path

from pulje.letters import views

app_name = "letters"
urlpatterns = [
    path("job/<int:pk>/", views.job, name="job"),
    path("job/<int:pk>/proev-igen/", views.retry, name="retry"),
    path("<int:pk>/", views.download, name="download"),
]
