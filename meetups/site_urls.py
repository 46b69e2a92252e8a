"""Meetup pages that belong to no single group (the member's private calendar feed)."""

from django.urls import path

from . import views

app_name = "meetups_site"
urlpatterns = [
    path("feed/<str:token>.ics", views.member_feed, name="member_feed"),
    # A member's private subscription link for one group's calendar (calendar apps can't log in).
    path("group-feed/<str:token>.ics", views.group_token_feed, name="group_token_feed"),
    # Personal one-tap answers from reminder and nudge emails (signed; see meetups/tokens.py).
    path("rsvp/<str:token>/", views.rsvp_token, name="rsvp_token"),
    path("missed/<str:token>/", views.nudge_token, name="nudge_token"),
]
