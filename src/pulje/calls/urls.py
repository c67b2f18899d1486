from django.urls import path

from pulje.calls import views

app_name = "calls"
urlpatterns = [
    path("", views.call_list, name="list"),
    path("ny/<int:pool_pk>/", views.call_create, name="create"),
    path("<slug:code>/", views.call_detail, name="detail"),
    path("<slug:code>/rediger/", views.call_edit, name="edit"),
    path("<slug:code>/spoergsmaal/", views.call_questions, name="questions"),
    path("<slug:code>/spoergsmaal/<int:pk>/fjern/", views.question_remove, name="question_remove"),
]
