from django.urls import path

from . import api

app_name = "openreferral"
urlpatterns = [
    path("", api.api_root, name="root"),
    path("services", api.services, name="services"),
    path("services/<str:pk>", api.service, name="service"),
]
