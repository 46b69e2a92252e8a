from django.urls import path

from . import checkin_views as views

app_name = "checkins"
urlpatterns = [
    path("", views.index, name="index"),
    path("start/", views.start, name="start"),
    path("<int:pk>/", views.conversation, name="conversation"),
]
