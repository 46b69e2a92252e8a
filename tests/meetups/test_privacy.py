import datetime as dt

from accounts import privacy
from meetups import services
from meetups.models import Attendance, Rsvp

from .conftest import held


def test_export_and_erase_registered(london_group, fac, member):
    occ = held(
        london_group, fac, start_utc=dt.datetime(2026, 1, 6, 19, tzinfo=dt.UTC), present=[member]
    )
    Rsvp.objects.create(occurrence=occ, user=member, answer="going", message="See you")
    services.prefs_set(user=member, group=london_group, nudges=False)
    data = privacy.exporters()["meetups"](member)
    assert data["rsvps"][0]["message"] == "See you"
    assert len(data["attendance"]) == 1
    assert data["settings"] == [{"group": london_group.name, "we_missed_you_messages": False}]
    privacy.erasers()["meetups"](member)
    assert not Rsvp.objects.filter(user=member).exists()
    assert not Attendance.objects.filter(user=member).exists()
    assert not Attendance.objects.filter(occurrence=occ).exists()
