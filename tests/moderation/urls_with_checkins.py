"""The site's URLs plus a stand-in for the check-ins app's start URL (built in another
branch), so the queue's "Reach out privately" button can be seen."""

from django.http import HttpResponse
from django.urls import include, path

from config.urls import urlpatterns as site_urls


def _start(request):
    return HttpResponse("started")


checkins = ([path("start/", _start, name="start")], "checkins")

urlpatterns = [*site_urls, path("checkins/", include(checkins))]
