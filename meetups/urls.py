from django.urls import path

from . import views

app_name = "meetups"
urlpatterns = [
    path("/", views.meetup_list, name="list"),
    path(".ics", views.group_feed, name="group_feed"),
    path("/new/", views.series_new, name="new"),
    path("/attendance/", views.attendance_grid, name="attendance"),
    path("/settings/", views.member_settings, name="settings"),
    path("/series/<int:series_pk>/", views.series_edit, name="series_edit"),
    path("/<int:pk>/", views.occurrence_detail, name="occurrence"),
    path("/<int:pk>/rsvp/", views.rsvp, name="rsvp"),
    path("/<int:pk>/rsvp/<str:answer>/", views.rsvp_quick, name="rsvp_quick"),
    path("/<int:pk>/calendar.ics", views.occurrence_ics, name="occurrence_ics"),
    path("/<int:pk>/change/", views.occurrence_change, name="change"),
    path("/<int:pk>/register/", views.register, name="register"),
    path("/<int:pk>/register/tick/", views.register_tick, name="register_tick"),
    path("/<int:pk>/register/walk-in/", views.walk_in, name="walk_in"),
    path("/<int:pk>/register/close/", views.register_close, name="register_close"),
    path("/<int:pk>/register/reopen/", views.register_reopen, name="register_reopen"),
    path("/<int:pk>/checkin/", views.checkin, name="checkin"),
    path("/<int:pk>/missed/", views.missed, name="missed"),
]
