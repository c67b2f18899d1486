from django.urls import path

from pulje.funds import views

app_name = "funds"
urlpatterns = [
    path("", views.pool_list, name="pool_list"),
    path("<int:pk>/", views.pool_detail, name="pool_detail"),
    path("<int:pk>/underpulje/", views.sub_pool_create, name="sub_pool_create"),
    path("<int:pk>/bevilling/", views.pool_appropriate, name="pool_appropriate"),
    path("<int:pk>/delegering/", views.pool_delegate, name="pool_delegate"),
    path("<int:pk>/flyt-penge/", views.pool_transfer, name="pool_transfer"),
    path("<int:pk>/anden-godkendelse/", views.pool_second_approval, name="pool_second_approval"),
]
