"""Personal one-tap links in reminder and nudge emails: signed, expiring, per purpose; a GET
never changes anything (mail scanners fetch links); POST from the page answers, no login."""

import datetime as dt
import time
from urllib.parse import urlsplit

import pytest
from django.core import signing

from meetups import services, tokens
from meetups.models import NudgeReply, Rsvp
from notifications.models import Notification
from tests.factories import MembershipFactory, UserFactory

from .conftest import held, make_members

UTC = dt.UTC


@pytest.fixture
def upcoming(london_group, fac):
    start = dt.datetime.now(UTC) + dt.timedelta(days=2)
    return services.one_off_create(
        group=london_group, by=fac, title="Weekly meetup", on=start.date(),
        start_time=dt.time(19, 0), place=services.Place(venue_name="Family Hub"),
    )  # fmt: skip


def rsvp_link(user, occ, answer="going"):
    return tokens.url(tokens.Purpose.RSVP, user_id=user.pk, occurrence_id=occ.pk, answer=answer)


def path(link):
    return urlsplit(link).path


def test_get_shows_one_button_and_changes_nothing(client, member, upcoming):
    resp = client.get(path(rsvp_link(member, upcoming)))
    assert resp.status_code == 200
    html = resp.content.decode()
    assert html.count('type="submit"') == 1 and "Going" in html
    assert member.display_name in html and member.email not in html
    assert not Rsvp.objects.exists()


@pytest.mark.parametrize("answer", ["going", "maybe", "no"])
def test_post_answers_without_logging_in(client, member, upcoming, answer):
    link = path(rsvp_link(member, upcoming, answer))
    resp = client.post(link)
    assert resp.status_code == 200
    assert Rsvp.objects.get(user=member, occurrence=upcoming).answer == answer
    assert "_auth_user_id" not in client.session  # answering never logs anyone in
    client.post(link)  # tapping twice is harmless
    assert Rsvp.objects.filter(user=member).count() == 1


def test_nudge_link_replies_and_contact_alerts_facilitators(client, london_group, fac, member):
    occ = held(london_group, fac, start_utc=dt.datetime.now(UTC) - dt.timedelta(days=1),
               present=[fac])  # fmt: skip
    link = tokens.url(tokens.Purpose.NUDGE, user_id=member.pk, occurrence_id=occ.pk,
                      answer="contact")  # fmt: skip
    assert client.get(path(link)).status_code == 200
    assert not NudgeReply.objects.exists()
    resp = client.post(path(link))
    assert "someone will be in touch" in resp.content.decode()
    assert NudgeReply.objects.get(user=member).choice == "contact"
    assert Notification.objects.filter(user=fac, kind="facilitator", urgent=True).count() == 1


def _tampered(token):
    data, rest = token.split(":", 1)
    other = signing.dumps({"u": 1, "o": 1, "a": "going"}).split(":", 1)[0]
    return f"{other}:{rest}" if other != data else token[:-2] + "xx"


def test_tampered_expired_and_wrong_purpose_links_get_a_kind_page(
    client, member, upcoming, monkeypatch
):
    good = tokens.make(tokens.Purpose.RSVP, user_id=member.pk, occurrence_id=upcoming.pk,
                       answer="going")  # fmt: skip
    bad_links = {
        "tampered": f"/meetups/rsvp/{_tampered(good)}/",
        "truncated": f"/meetups/rsvp/{good[:-5]}/",
        "wrong purpose": f"/meetups/missed/{good}/",
        "garbage": "/meetups/rsvp/hello/",
    }
    for why, link in bad_links.items():
        for method in (client.get, client.post):
            resp = method(link)
            assert resp.status_code == 400, why
            assert "Log in to answer" in resp.content.decode(), why
    # a token signed for another member can't be edited to name you
    with pytest.raises(tokens.BadToken):
        tokens.read(tokens.Purpose.RSVP, _tampered(good))
    with pytest.raises(tokens.BadToken):
        tokens.read(tokens.Purpose.NUDGE, good)
    assert not Rsvp.objects.exists()

    # fifteen days later the genuine link has expired: a kind page pointing at the meetup
    later = time.time() + 15 * 24 * 3600
    monkeypatch.setattr(signing.time, "time", lambda: later)
    with pytest.raises(tokens.ExpiredToken):
        tokens.read(tokens.Purpose.RSVP, good)
    resp = client.post(f"/meetups/rsvp/{good}/")
    assert resp.status_code == 400
    html = resp.content.decode()
    assert "This link has expired" in html and "Log in to answer" in html
    assert f"/meetups/{upcoming.pk}/" in html  # log in, then straight to the meetup
    assert not Rsvp.objects.exists()


def test_link_for_someone_who_left_the_group_does_nothing(client, london_group, upcoming):
    gone = MembershipFactory(group=london_group, status="left").user
    resp = client.post(path(rsvp_link(gone, upcoming)))
    assert resp.status_code == 400 and not Rsvp.objects.exists()
    stranger = UserFactory()
    assert client.post(path(rsvp_link(stranger, upcoming))).status_code == 400


def test_answer_to_a_cancelled_meetup_is_refused_kindly(client, fac, member, upcoming):
    services.occurrence_cancel(occurrence=upcoming, by=fac, reason="Hall flooded")
    resp = client.post(path(rsvp_link(member, upcoming)))
    assert resp.status_code == 400
    assert "cancelled" in resp.content.decode()
    assert not Rsvp.objects.exists()


def test_nudge_email_has_personal_links(
    london_group, fac, mailoutbox, django_capture_on_commit_callbacks
):
    a, b = make_members(london_group, 2)
    held(london_group, fac, start_utc=dt.datetime(2026, 1, 6, 19, tzinfo=UTC), present=[a, b])
    occ = held(london_group, fac, start_utc=dt.datetime(2026, 1, 13, 19, tzinfo=UTC),
               present=[fac])  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        assert services.nudges_send(now=dt.datetime(2026, 1, 14, 10, tzinfo=UTC)).sent == 2
    assert len(mailoutbox) == 2
    for message in mailoutbox:
        person = a if message.to == [a.email] else b
        found = [
            word.rstrip("/").rsplit("/", 1)[1]
            for word in message.body.split()
            if "/meetups/missed/" in word
        ]
        taps = [tokens.read(tokens.Purpose.NUDGE, t) for t in found]
        assert [t.answer for t in taps] == ["ok", "contact"]
        assert {(t.user_id, t.occurrence_id) for t in taps} == {(person.pk, occ.pk)}
        assert message.extra_headers["List-Unsubscribe"].startswith("<http")
