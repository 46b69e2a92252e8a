"""Meetup pages that belong to no single group (the member's private calendar feed)."""

from django.urls import path

from . import views

app_name = "meetups_site"
urlpatterns = [
    path("feed/<str:token>.ics", views.member_feed, name="member_feed"),
]
