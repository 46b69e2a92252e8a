from django.urls import path

from . import views

app_name = "terms"
urlpatterns = [
    path("", views.terms, name="page"),
    path("accept/", views.terms_accept, name="accept"),
]
