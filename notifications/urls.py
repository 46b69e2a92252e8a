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
    path("phones/", views.push_subscribe, name="push_subscribe"),
    path("phones/choices/", views.push_preferences_save, name="push_preferences"),
    path("phones/<int:pk>/", views.push_device_save, name="push_device"),
    path("phones/<int:pk>/stop/", views.push_device_delete, name="push_device_delete"),
    path("<int:pk>/answer/<slug:action>/", views.push_answer, name="push_answer"),
]
