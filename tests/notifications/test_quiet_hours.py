"""Quiet hours: every non-urgent email waits until the member's own quiet hours end; urgent
safeguarding alerts never wait; mentions go together as one email, quoting only messages the
member can still see."""

import datetime as dt
import uuid
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from chat.services import message_delete, message_send, room_for_group
from groups.models import Membership
from moderation import services as moderation_services
from notifications import rules
from notifications.models import Kind, Notification, Preference, QuietHours
from notifications.services import notify
from notifications.tasks import held_emails_send
from tests.factories import DEFAULT, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

UTC = dt.UTC
LONDON = ZoneInfo("Europe/London")


def local(tz: str, *args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=ZoneInfo(tz))


@pytest.fixture
def run(django_capture_on_commit_callbacks):
    """Run `fn` at `when` (a fixed clock), with its after-commit work (the email task)."""

    def go(when, fn, *args, **kwargs):
        with (
            time_machine.travel(when, tick=False),
            django_capture_on_commit_callbacks(execute=True),
        ):
            return fn(*args, **kwargs)

    return go


@pytest.fixture
def circle(group):
    group.name = "Brierley Hill Parents' Circle"
    group.save()
    return group


@pytest.fixture
def sam(circle):
    return MembershipFactory(group=circle, user__display_name="Sam").user


@pytest.fixture
def jo(circle):
    return MembershipFactory(group=circle, user__display_name="Jo", role="facilitator").user


def priya_in(group, **user):
    return MembershipFactory(group=group, user__display_name="Priya", **user).user


def say(user, group, body):
    return message_send(
        user=user, room=room_for_group(group.pk), body=body, client_id=uuid.uuid4()
    ).message


def mentions_of(user):
    return list(Notification.objects.filter(user=user, kind=Kind.MENTION))


def to(mailbox, user):
    return [m for m in mailbox if user.email in m.to]


# --- held until quiet hours end ------------------------------------------------------------


@pytest.mark.parametrize("tz", ["Europe/London", "Australia/Sydney"])
def test_a_mention_at_0441_their_time_waits_until_their_quiet_hours_end(
    circle, sam, run, mailoutbox, tz
):
    priya = priya_in(circle, user__quiet_hours=DEFAULT, user__time_zone=tz)
    at_0441 = local(tz, 2026, 1, 14, 4, 41)
    run(at_0441, say, sam, circle, "@Priya how did the appointment go?")
    [note] = mentions_of(priya)  # the bell has it straight away
    assert to(mailoutbox, priya) == []
    eight = local(tz, 2026, 1, 14, 8, 0)
    assert note.send_after == eight
    assert run(eight - dt.timedelta(minutes=1), held_emails_send) == 0
    assert to(mailoutbox, priya) == []
    assert run(eight, held_emails_send) == 1
    [email] = to(mailoutbox, priya)
    assert email.subject == "[Village] Sam mentioned you in Brierley Hill Parents' Circle"
    assert "how did the appointment go?" in email.body
    assert run(eight + dt.timedelta(minutes=5), held_emails_send) == 0  # exactly once


def test_other_emails_wait_out_quiet_hours_too(user, run, mailoutbox):
    QuietHours.objects.filter(user=user).delete()  # the default, 21:00-08:00 in London
    night = local("Europe/London", 2026, 1, 14, 4, 41)
    run(night, notify, user_ids=[user.pk], kind=Kind.MODERATION, title="A moderator replied")
    assert mailoutbox == []
    assert run(local("Europe/London", 2026, 1, 14, 8, 0), held_emails_send) == 1
    [email] = mailoutbox
    assert email.subject == "[Village] A moderator replied"
    assert email.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_an_urgent_alert_at_0441_is_sent_at_once(circle, sam, run, mailoutbox):
    moderator = UserFactory(is_moderator=True, quiet_hours=DEFAULT)
    at_0441 = local("Europe/London", 2026, 1, 14, 4, 41)
    run(at_0441, moderation_services.concern_raise, user=sam, group_slug=circle.slug, note="x")
    [alert] = to(mailoutbox, moderator)
    assert "List-Unsubscribe" not in alert.extra_headers
    note = Notification.objects.get(user=moderator, kind=Kind.SAFEGUARDING)
    assert note.emailed_at is not None and note.send_after is None


def test_member_set_hours_are_honoured(circle, sam, run, mailoutbox):
    priya = priya_in(circle, user__quiet_hours=(dt.time(22, 30), dt.time(6, 0)))
    evening = local("Europe/London", 2026, 1, 13, 22, 15)  # before their quiet hours
    run(evening, notify, user_ids=[priya.pk], kind=Kind.MEETUP_CHANGE, title="Moved to Weds")
    assert len(mailoutbox) == 1
    late = local("Europe/London", 2026, 1, 13, 22, 30)  # their quiet hours have started
    run(late, notify, user_ids=[priya.pk], kind=Kind.MEETUP_CHANGE, title="Room changed")
    assert len(mailoutbox) == 1
    early = local("Europe/London", 2026, 1, 14, 5, 59)
    assert run(early, held_emails_send) == 0
    assert run(local("Europe/London", 2026, 1, 14, 6, 0), held_emails_send) == 1
    assert [m.subject for m in mailoutbox] == [
        "[Village] Moved to Weds",
        "[Village] Room changed",
    ]


def test_quiet_hours_off_sends_at_once(user, run, mailoutbox):
    QuietHours.objects.update_or_create(user=user, defaults={"enabled": False})
    night = local("Europe/London", 2026, 1, 14, 4, 41)
    run(night, notify, user_ids=[user.pk], kind=Kind.MEETUP_CHANGE, title="Cancelled")
    assert [m.subject for m in mailoutbox] == ["[Village] Cancelled"]


def test_a_held_email_is_not_sent_if_they_turn_that_kind_off_meanwhile(user, run, mailoutbox):
    QuietHours.objects.filter(user=user).delete()
    night = local("Europe/London", 2026, 1, 14, 2, 0)
    run(night, notify, user_ids=[user.pk], kind=Kind.MISSED_YOU, title="We missed you")
    Preference.objects.create(user=user, kind=Kind.MISSED_YOU, email=False)
    assert run(local("Europe/London", 2026, 1, 14, 8, 0), held_emails_send) == 0
    assert mailoutbox == []
    assert not Notification.objects.filter(send_after__isnull=False).exists()  # not retried


def test_changed_hours_are_asked_afresh_when_a_held_email_is_due(user, run, mailoutbox):
    QuietHours.objects.filter(user=user).delete()
    run(
        local("Europe/London", 2026, 1, 14, 2, 0),
        notify,
        user_ids=[user.pk],
        kind=Kind.MEETUP_CHANGE,
        title="Moved",
    )
    QuietHours.objects.create(user=user, start=dt.time(21, 0), end=dt.time(9, 0))
    assert run(local("Europe/London", 2026, 1, 14, 8, 0), held_emails_send) == 0
    assert run(local("Europe/London", 2026, 1, 14, 9, 0), held_emails_send) == 1


# --- mentions: one email for several ---------------------------------------------------------


def test_three_mentions_in_a_few_minutes_are_one_email_with_three_entries(
    circle, sam, jo, run, mailoutbox
):
    priya = priya_in(circle, user__quiet_hours=DEFAULT)
    two = local("Europe/London", 2026, 1, 14, 14, 0)
    run(two, say, sam, circle, "@Priya are you coming on Tuesday?")
    run(two + dt.timedelta(minutes=1), say, sam, circle, "@Priya I can bring the buggy")
    run(two + dt.timedelta(minutes=3), say, jo, circle, "@Priya welcome back!")
    assert len(mentions_of(priya)) == 3  # the bell gets each one
    assert to(mailoutbox, priya) == []
    assert run(two + dt.timedelta(minutes=4), held_emails_send) == 0
    assert run(two + rules.MENTION_WINDOW, held_emails_send) == 1
    [email] = to(mailoutbox, priya)
    assert email.subject == "[Village] You were mentioned 3 times"
    text, html = email.body, email.alternatives[0][0]
    assert text.count("Sam mentioned you in Brierley Hill Parents' Circle") == 2
    assert text.count("Jo mentioned you in Brierley Hill Parents' Circle") == 1
    for words in ("are you coming on Tuesday?", "I can bring the buggy", "welcome back!"):
        assert words in text and words in html
    assert "/notifications/unsubscribe/" in email.extra_headers["List-Unsubscribe"]
    assert run(two + dt.timedelta(minutes=10), held_emails_send) == 0


def test_mentions_held_overnight_go_as_one_email_in_the_morning(circle, sam, jo, run, mailoutbox):
    priya = priya_in(circle, user__quiet_hours=DEFAULT)
    run(local("Europe/London", 2026, 1, 13, 23, 10), say, sam, circle, "@Priya night feeds?")
    run(local("Europe/London", 2026, 1, 14, 3, 0), say, jo, circle, "@Priya thinking of you")
    assert run(local("Europe/London", 2026, 1, 14, 8, 0), held_emails_send) == 1
    [email] = to(mailoutbox, priya)
    assert "night feeds?" in email.body and "thinking of you" in email.body


def test_a_snippet_is_left_out_once_the_message_is_hidden_or_deleted(
    circle, sam, jo, run, mailoutbox
):
    priya = priya_in(circle)
    two = local("Europe/London", 2026, 1, 14, 14, 0)
    hidden = run(two, say, sam, circle, "@Priya hidden-words here")
    deleted = run(two, say, sam, circle, "@Priya deleted-words here")
    run(two, say, sam, circle, "@Priya kept-words here")
    moderation_services.report_message(user=jo, message_id=hidden.pk, reason="spam")
    message_delete(user=sam, room=room_for_group(circle.pk), message_id=deleted.pk)
    assert run(two + rules.MENTION_WINDOW, held_emails_send) == 1
    [email] = to(mailoutbox, priya)
    text, html = email.body, email.alternatives[0][0]
    assert text.count("Sam mentioned you in") == 3  # each still listed
    assert "kept-words" in text and "kept-words" in html
    for gone in ("hidden-words", "deleted-words"):
        assert gone not in text and gone not in html


def test_no_snippet_after_they_leave_the_group(circle, sam, run, mailoutbox):
    priya = priya_in(circle)
    two = local("Europe/London", 2026, 1, 14, 14, 0)
    run(two, say, sam, circle, "@Priya private-words")
    Membership.objects.filter(user=priya, group=circle).update(status=Membership.Status.LEFT)
    run(two + rules.MENTION_WINDOW, held_emails_send)
    [email] = to(mailoutbox, priya)
    assert "private-words" not in email.body
    assert "Sam mentioned you in Brierley Hill Parents' Circle" in email.body


def test_a_message_held_for_review_mentions_nobody(circle, sam, jo, run, mailoutbox):
    from moderation.models import WatchTerm

    moderator = UserFactory(is_moderator=True)
    moderation_services.watch_term_add(
        actor=moderator, term="cheap pills", action=WatchTerm.Action.HOLD
    )
    priya = priya_in(circle)
    two = local("Europe/London", 2026, 1, 14, 14, 0)
    run(two, say, sam, circle, "@Priya cheap pills here")
    run(two + rules.MENTION_WINDOW, held_emails_send)
    assert to(mailoutbox, priya) == [] and mentions_of(priya) == []


def test_the_mention_email_unsubscribe_link_turns_mentions_off(circle, sam, run, mailoutbox):
    priya = priya_in(circle)
    two = local("Europe/London", 2026, 1, 14, 14, 0)
    run(two, say, sam, circle, "@Priya hello")
    run(two + rules.MENTION_WINDOW, held_emails_send)
    [email] = to(mailoutbox, priya)
    link = email.extra_headers["List-Unsubscribe"].strip("<>")
    path = link.split("://", 1)[1].split("/", 1)[1]
    response = Client(enforce_csrf_checks=True).post(f"/{path}", {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert Preference.objects.get(user=priya, kind=Kind.MENTION).email is False
    run(two + dt.timedelta(minutes=20), say, sam, circle, "@Priya again")
    assert run(two + dt.timedelta(minutes=30), held_emails_send) == 0


# --- the rule, table-driven --------------------------------------------------------------------

NIGHT = rules.Quiet("Europe/London", dt.time(22, 30), dt.time(6, 0))
NAP = rules.Quiet("Europe/London", dt.time(13, 0), dt.time(15, 0))


@pytest.mark.parametrize(
    "quiet, when, ends",
    [
        (NIGHT, (2026, 1, 13, 22, 29), None),
        (NIGHT, (2026, 1, 13, 22, 30), (2026, 1, 14, 6, 0)),
        (NIGHT, (2026, 1, 14, 5, 59), (2026, 1, 14, 6, 0)),
        (NIGHT, (2026, 1, 14, 6, 0), None),
        (NAP, (2026, 1, 14, 12, 59), None),
        (NAP, (2026, 1, 14, 14, 0), (2026, 1, 14, 15, 0)),
        (NAP, (2026, 1, 14, 15, 0), None),
        (rules.Quiet("Europe/London", None, None), (2026, 1, 14, 3, 0), None),
        # the clocks go forward at 01:00 GMT on 29 March: 08:00 BST is 07:00 UTC
        (rules.Quiet(), (2026, 3, 29, 0, 30), (2026, 3, 29, 8, 0)),
    ],
)
def test_quiet_ends(quiet, when, ends):
    now = dt.datetime(*when, tzinfo=LONDON)
    expected = dt.datetime(*ends, tzinfo=LONDON) if ends else None
    assert rules.quiet_ends(now, quiet) == expected


def test_hold_until_never_holds_safeguarding(user):
    QuietHours.objects.filter(user=user).delete()
    user.refresh_from_db()
    night = dt.datetime(2026, 1, 14, 3, 0, tzinfo=LONDON)
    assert rules.hold_until(user, Kind.SAFEGUARDING, night) is None
    assert rules.hold_until(user, Kind.MENTION, night, urgent=True) is None
    assert rules.hold_until(user, Kind.MENTION, night) == dt.datetime(2026, 1, 14, 8, tzinfo=LONDON)


def test_a_new_member_gets_the_default_quiet_hours(db):
    from accounts.models import User

    member = User.objects.create_user("new@example.com", "a-long-password-1")
    assert rules.quiet_of(member) == rules.Quiet("Europe/London", dt.time(21), dt.time(8))


# --- the settings page ---------------------------------------------------------------------


@pytest.fixture
def logged_in(client, user):
    client.force_login(user)
    return client


def test_the_profile_page_offers_quiet_hours_with_the_defaults(logged_in, user):
    QuietHours.objects.filter(user=user).delete()
    html = logged_in.get(reverse("accounts:profile")).content.decode()
    assert 'action="/notifications/quiet-hours/"' in html
    assert 'type="time" name="start" value="21:00"' in html
    assert 'type="time" name="end" value="08:00"' in html
    assert 'name="enabled" id="id_enabled" checked' in html
    assert "Europe/London" in html


def test_a_member_sets_their_own_hours(logged_in, user):
    response = logged_in.post(
        "/notifications/quiet-hours/", {"enabled": "on", "start": "22:30", "end": "06:00"}
    )
    assert response.status_code == 302
    quiet = QuietHours.objects.get(user=user)
    assert (quiet.enabled, quiet.start, quiet.end) == (True, dt.time(22, 30), dt.time(6, 0))
    html = logged_in.get(response["Location"]).content.decode()
    assert "Your quiet hours are saved." in html
    assert 'value="22:30"' in html and 'value="06:00"' in html


def test_turning_them_off_keeps_the_times_for_later(logged_in, user):
    logged_in.post(
        "/notifications/quiet-hours/", {"enabled": "on", "start": "22:30", "end": "06:00"}
    )
    logged_in.post("/notifications/quiet-hours/", {"start": "22:30", "end": "06:00"})
    quiet = QuietHours.objects.get(user=user)
    assert (quiet.enabled, quiet.start, quiet.end) == (False, dt.time(22, 30), dt.time(6, 0))
    assert rules.quiet_of(user) == rules.Quiet("Europe/London", None, None)


@pytest.mark.parametrize(
    "start, end, words",
    [
        ("22:30", "22:30", "Please choose an end time different from the start."),
        ("half ten", "06:00", "Please give a time like 21:00."),
        ("", "06:00", "Please say when your quiet hours start."),
    ],
)
def test_bad_times_get_a_kind_message_and_keep_what_was_typed(logged_in, user, start, end, words):
    before = list(QuietHours.objects.filter(user=user).values())
    response = logged_in.post(
        "/notifications/quiet-hours/", {"enabled": "on", "start": start, "end": end}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert words in html
    assert f'name="start" value="{start}"' in html or not start
    assert f'name="end" value="{end}"' in html
    assert 'name="enabled" id="id_enabled" checked' in html
    assert list(QuietHours.objects.filter(user=user).values()) == before


def test_quiet_hours_need_a_login_and_a_post(client, user):
    assert client.post("/notifications/quiet-hours/", {"enabled": "on"}).status_code == 302
    client.force_login(user)
    assert client.get("/notifications/quiet-hours/").status_code == 405


def test_the_data_export_has_them(user):
    from notifications.selectors import notifications_export

    QuietHours.objects.filter(user=user).update(enabled=True, start=dt.time(23), end=dt.time(7))
    assert notifications_export(user)["quiet_hours"] == {
        "on": True,
        "from": "23:00",
        "until": "07:00",
    }
