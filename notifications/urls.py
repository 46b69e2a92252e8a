from django.urls import path

from . import views

app_name = "notifications"
urlpatterns = [
    path("", views.notification_list, name="list"),
    path("<int:pk>/open/", views.notification_open, name="open"),
    path("read-all/", views.notification_mark_all_read, name="mark_all_read"),
    path("preferences/", views.preferences_save, name="preferences"),
    path("quiet-hours/", views.quiet_hours_save, name="quiet_hours"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
]
