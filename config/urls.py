from django.contrib import admin
from django.http import HttpResponse
from django.urls import include, path

from . import views


def healthz(request):
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("me/", include("accounts.urls")),
    path("terms/", include("accounts.terms_urls")),
    path("groups/", include("groups.urls")),
    path("groups/<slug:slug>/chat/", include("chat.urls")),
    path("checkins/", include("chat.checkin_urls")),
    path("groups/<slug:slug>/meetups", include("meetups.urls")),
    path("meetups/", include("meetups.site_urls")),
    path("moderation/", include("moderation.urls")),
    path("notifications/", include("notifications.urls")),
]
