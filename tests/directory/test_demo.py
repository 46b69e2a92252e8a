"""The demo directory: `./dev up` shows a populated directory; safe to run twice."""

from django.core.management import call_command
from django.urls import reverse

from accounts.models import User
from directory.models import Feed, Referral, Service


def test_seed_demo_fills_the_directory_once(db, settings, client):
    settings.DEBUG = True
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    counts = (Service.objects.count(), Referral.objects.count(), Feed.objects.count())
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert (Service.objects.count(), Referral.objects.count(), Feed.objects.count()) == counts
    feed = Feed.objects.get()
    assert not feed.enabled  # a made-up address: never fetched
    assert Service.objects.filter(feed=feed, is_active=True).count() == 8
    assert feed.last_status.startswith("Synced 8 services")
    assert Service.objects.filter(sharing="everyone", feed__isnull=True).count() == 1
    client.force_login(User.objects.get(email="parent@example.com"))
    page = client.get(reverse("directory:index")).content.decode()
    assert "Stourbridge Food Bank" in page and "Tuesday health visitor drop-in" in page
    assert "Sent to Brierley Hill Family Hub" in client.get(
        reverse("directory:referrals")).content.decode()
