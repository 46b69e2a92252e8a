from django.contrib import admin
from django.http import HttpResponse
from django.urls import include, path

from chat import share

from . import health, metrics, source, views


def healthz(request):
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),  # config/health.py
    path("metrics", metrics.metrics_view, name="metrics"),  # Prometheus, with a token
    path("source.tar.gz", source.source_code, name="source_code"),  # AGPL section 13
    path("", include("config.pwa")),  # /sw.js, /manifest.webmanifest, /offline/, /favicon.ico
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
    path("help/share/<uuid:uuid_>/", share.share_service, name="share_service"),
    path("help/", include("directory.urls")),
    path("api/openreferral/", include("directory.api_urls")),
]
