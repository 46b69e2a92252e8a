"""The rota in use: editing it (and what is refused), urgent alerts to whoever is on duty
first, the ladder when nobody picks one up, and the one-tap acknowledgement.

Monday 30 March 2026 (BST) is the day; times are on a fixed clock (time-machine).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
import time_machine
from django.core import mail

from moderation import selectors, services
from moderation.models import AuditEntry, Case, RotaChange, Shift
from moderation.services import AlreadyAcknowledged, ModerationError
from moderation.tasks import escalate_urgent_alerts
from notifications.models import Kind, Notification
from tests.conftest import SENTINEL
from tests.factories import UserFactory

from .conftest import post

pytestmark = pytest.mark.django_db

MIN = timedelta(minutes=1)
MON = 0
#: 10:00 BST on Monday 30 March 2026, the day after the clocks went forward.
MONDAY_10 = datetime(2026, 3, 30, 9, 0, tzinfo=UTC)


@pytest.fixture
def ana(db):
    return UserFactory(is_moderator=True, display_name="Ana")


@pytest.fixture
def ben(db):
    return UserFactory(is_moderator=True, display_name="Ben")


@pytest.fixture
def cat(db):
    """A moderator with no shifts: only the last rung of the ladder reaches her."""
    return UserFactory(is_moderator=True, display_name="Cat")


@pytest.fixture
def rota(staff, ana, ben):
    """Ana is on Mondays 09:00-17:00, Ben 17:00-23:00."""
    with time_machine.travel(MONDAY_10 - timedelta(days=3), tick=False):
        services.shift_add(
            actor=staff, person_id=ana.pk, weekday=MON, starts=time(9), ends=time(17)
        )
        services.shift_add(
            actor=staff, person_id=ben.pk, weekday=MON, starts=time(17), ends=time(23)
        )


def alerts_to(case) -> list[set[int]]:
    """Who got each wave of alerts about `case`, in order."""
    waves: dict[str, set[int]] = {}
    for n in Notification.objects.filter(
        kind=Kind.SAFEGUARDING, url__endswith=f"#case-{case.pk}"
    ).order_by("pk"):
        waves.setdefault(n.title, set()).add(n.user_id)
    return list(waves.values())


def test_on_duty_now_and_until_when(rota, ana, ben):
    with time_machine.travel(MONDAY_10, tick=False):
        status = selectors.duty_status()
    assert status.has_rota and not status.nobody_on
    assert [(p.user_id, p.name, p.until) for p in status.on] == [
        (ana.pk, "Ana", datetime(2026, 3, 30, 16, 0, tzinfo=UTC))  # 17:00 BST
    ]
    with time_machine.travel(datetime(2026, 3, 30, 22, 30, tzinfo=UTC), tick=False):  # 23:30 BST
        status = selectors.duty_status()
    assert status.nobody_on
    assert status.back_at == datetime(2026, 4, 6, 8, 0, tzinfo=UTC)  # next Monday 09:00 BST


def test_no_rota_claims_nothing(ana):
    status = selectors.duty_status()
    assert not status.has_rota and not status.nobody_on and status.on == []


def test_the_ladder_on_duty_then_next_then_everyone(
    rota, ana, ben, cat, staff, facilitator, member, group, django_capture_on_commit_callbacks
):
    with time_machine.travel(MONDAY_10, tick=False) as clock:
        with django_capture_on_commit_callbacks(execute=True):
            case = services.concern_raise(
                user=member, group_slug=group.slug, note=f"Worried {SENTINEL}"
            )
        # First: the moderator on duty and the group's own facilitator, nobody else.
        assert alerts_to(case) == [{ana.pk, facilitator.pk}]
        assert Case.objects.get(pk=case.pk).ladder
        assert {m.to[0] for m in mail.outbox if "urgent" in m.subject.lower()} >= {ana.email}
        assert ben.email not in {m.to[0] for m in mail.outbox}

        clock.shift(14 * MIN)
        assert escalate_urgent_alerts.call_local() == 0
        clock.shift(1 * MIN)  # 15 minutes: the next person on the rota (Ben, on at 17:00)
        mail.outbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            assert escalate_urgent_alerts.call_local() == 1
        assert alerts_to(case)[1] == {ben.pk}
        assert [m.to for m in mail.outbox] == [[ben.email]]
        assert "next on the rota" in mail.outbox[0].body
        assert SENTINEL not in mail.outbox[0].body
        assert escalate_urgent_alerts.call_local() == 0  # twice in a minute: once

        clock.shift(15 * MIN)  # 30 minutes: everyone who can help
        assert escalate_urgent_alerts.call_local() == 1
        assert alerts_to(case)[2] == {ana.pk, ben.pk, cat.pk, staff.pk, facilitator.pk}
        assert member.pk not in set().union(*alerts_to(case))  # not who raised it

        clock.shift(59 * MIN)
        assert escalate_urgent_alerts.call_local() == 0
        clock.shift(1 * MIN)  # then hourly, as before the rota
        assert escalate_urgent_alerts.call_local() == 1
        assert Case.objects.get(pk=case.pk).escalations == 1

        services.alert_acknowledge(actor=cat, case_id=case.pk)
        clock.shift(120 * MIN)
        assert escalate_urgent_alerts.call_local() == 0
    kinds = list(AuditEntry.objects.filter(event="escalation").values_list("verb", flat=True))
    assert sorted(kinds) == ["everyone", "next"]


def test_an_acknowledgement_stops_the_ladder(rota, ana, ben, member, group):
    with time_machine.travel(MONDAY_10, tick=False) as clock:
        case = services.concern_raise(user=member, group_slug=group.slug, note="Worried")
        clock.shift(3 * MIN)
        services.alert_acknowledge(actor=ana, case_id=case.pk)
        clock.shift(45 * MIN)
        assert escalate_urgent_alerts.call_local() == 0
    case.refresh_from_db()
    assert case.acknowledged_by == ana and case.acknowledged_on_duty is True
    assert case.acknowledged_at == MONDAY_10 + 3 * MIN
    assert case.is_open  # picked up, not closed
    assert len(alerts_to(case)) == 1


def test_out_of_hours_goes_to_everyone_at_once(rota, ana, ben, cat, facilitator, member, group):
    with time_machine.travel(datetime(2026, 3, 31, 1, 0, tzinfo=UTC), tick=False):  # 02:00 BST
        case = services.concern_raise(user=member, group_slug=group.slug, note="Worried")
    assert alerts_to(case) == [{ana.pk, ben.pk, cat.pk, facilitator.pk}]
    assert not Case.objects.get(pk=case.pk).ladder


def test_nobody_next_on_the_rota_goes_straight_to_everyone(staff, ana, cat, member, group):
    with time_machine.travel(MONDAY_10 - timedelta(days=1), tick=False):
        services.shift_add(
            actor=staff, person_id=ana.pk, weekday=MON, starts=time(9), ends=time(17)
        )
    with time_machine.travel(MONDAY_10, tick=False) as clock:
        case = services.concern_raise(user=member, group_slug=group.slug, note="Worried")
        assert alerts_to(case) == [{ana.pk}]
        clock.shift(15 * MIN)  # Ana is next on duty too (next Monday), but was alerted
        assert escalate_urgent_alerts.call_local() == 1
    assert alerts_to(case)[1] == {ana.pk, cat.pk, staff.pk}


def test_acknowledging_twice_or_not_a_moderator(rota, ana, ben, facilitator, member, group):
    with time_machine.travel(MONDAY_10, tick=False):
        case = services.concern_raise(user=member, group_slug=group.slug, note="Worried")
        services.alert_acknowledge(actor=ana, case_id=case.pk)
        with pytest.raises(AlreadyAcknowledged) as twice:
            services.alert_acknowledge(actor=ben, case_id=case.pk)
        assert "Ana already picked this up at 10:00" in twice.value.message
        with pytest.raises(ModerationError) as facil:
            services.alert_acknowledge(actor=facilitator, case_id=case.pk)
        assert facil.value.code == "not_moderator"
    case.refresh_from_db()
    assert case.acknowledged_by == ana
    assert AuditEntry.objects.filter(event="alert_ack").count() == 1


def test_off_duty_moderator_may_acknowledge_and_it_is_recorded(rota, ana, ben, member, group):
    with time_machine.travel(MONDAY_10, tick=False):
        case = services.concern_raise(user=member, group_slug=group.slug, note="Worried")
        services.alert_acknowledge(actor=ben, case_id=case.pk)
    case.refresh_from_db()
    assert case.acknowledged_by == ben and case.acknowledged_on_duty is False
    assert AuditEntry.objects.get(event="alert_ack").verb == "off_duty"


def test_a_crisis_message_alerts_whoever_is_on_duty(rota, ana, ben, author, group):
    with time_machine.travel(MONDAY_10, tick=False):
        post(author, group, "I can't go on like this")
    case = Case.objects.get(kind="crisis")
    assert ana.pk in alerts_to(case)[0] and ben.pk not in alerts_to(case)[0]


# --- editing the rota: what is refused, and changes nothing ------------------------------------


def test_overlapping_shifts_are_refused(rota, staff, ana):
    before = Shift.objects.count()
    with pytest.raises(ModerationError) as err:
        services.shift_add(
            actor=staff, person_id=ana.pk, weekday=MON, starts=time(16), ends=time(18)
        )
    assert err.value.code == "overlap"
    assert "overlaps Ana's Monday shift, 09:00 to 17:00" in err.value.message
    assert Shift.objects.count() == before


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"weekday": 7, "starts": time(9), "ends": time(10)}, "bad_day"),
        ({"weekday": MON, "starts": None, "ends": time(10)}, "bad_times"),
        ({"weekday": MON, "starts": time(9), "ends": time(9)}, "empty_shift"),
    ],
)
def test_bad_shifts_are_refused(staff, ana, kwargs, code):
    with pytest.raises(ModerationError) as err:
        services.shift_add(actor=staff, person_id=ana.pk, **kwargs)
    assert err.value.code == code
    assert not Shift.objects.exists()


def test_only_staff_edit_and_only_moderators_go_on_it(ana, staff, member):
    with pytest.raises(ModerationError) as err:
        services.shift_add(actor=ana, person_id=ana.pk, weekday=MON, starts=time(9), ends=time(10))
    assert err.value.code == "not_allowed"
    with pytest.raises(ModerationError) as err:
        services.shift_add(
            actor=staff, person_id=member.pk, weekday=MON, starts=time(9), ends=time(10)
        )
    assert err.value.code == "not_moderator"
    assert not Shift.objects.exists()


def test_a_gap_is_a_warning_not_an_error(staff, ana):
    with time_machine.travel(MONDAY_10, tick=False):
        shift, warnings = services.shift_add(
            actor=staff, person_id=ana.pk, weekday=MON, starts=time(9), ends=time(17)
        )
    assert shift.pk
    assert warnings and warnings[0].startswith("Nobody is on duty from Mon 30 Mar, 17:00")


def test_leave_needs_cover_or_a_clear_no(rota, staff, ana, ben, cat, member):
    monday = date(2026, 3, 30)
    with time_machine.travel(MONDAY_10 - timedelta(days=3), tick=False):
        with pytest.raises(ModerationError) as err:
            services.rota_change_add(
                actor=staff, kind="leave", person_id=ana.pk, starts_on=monday, ends_on=monday
            )
        assert err.value.code == "cover_missing"
        with pytest.raises(ModerationError) as err:
            services.rota_change_add(
                actor=staff,
                kind="leave",
                person_id=ana.pk,
                starts_on=monday,
                ends_on=monday,
                cover_id=member.pk,
            )
        assert err.value.code == "not_moderator"
        with pytest.raises(ModerationError) as err:  # Ben's own Monday shift follows on, no clash
            services.rota_change_add(
                actor=staff,
                kind="leave",
                person_id=ana.pk,
                starts_on=monday,
                ends_on=monday - timedelta(days=1),
                cover_id=cat.pk,
            )
        assert err.value.code == "bad_dates"
        assert not RotaChange.objects.exists()
        services.rota_change_add(
            actor=staff,
            kind="leave",
            person_id=ana.pk,
            starts_on=monday,
            ends_on=monday,
            cover_id=cat.pk,
        )
    with time_machine.travel(MONDAY_10, tick=False):
        assert [p.user_id for p in selectors.duty_status().on] == [cat.pk]


def test_cover_already_on_duty_is_refused(staff, ana, ben):
    monday = date(2026, 3, 30)
    services.shift_add(actor=staff, person_id=ana.pk, weekday=MON, starts=time(9), ends=time(17))
    services.shift_add(actor=staff, person_id=ben.pk, weekday=MON, starts=time(12), ends=time(20))
    with pytest.raises(ModerationError) as err:
        services.rota_change_add(
            actor=staff,
            kind="leave",
            person_id=ana.pk,
            starts_on=monday,
            ends_on=monday,
            cover_id=ben.pk,
        )
    assert err.value.code == "cover_busy"
    assert not RotaChange.objects.exists()


def test_leave_uncovered_is_warned_and_members_told_nobody_is_on(rota, staff, ana):
    monday = date(2026, 3, 30)
    with time_machine.travel(MONDAY_10 - timedelta(days=1), tick=False):
        _change, warnings = services.rota_change_add(
            actor=staff,
            kind="leave",
            person_id=ana.pk,
            starts_on=monday,
            ends_on=monday,
            leave_uncovered=True,
        )
        assert any("nobody covering" in w for w in warnings)
        assert services.rota_uncovered_warn() == 1  # the one member of staff
    with time_machine.travel(MONDAY_10, tick=False):
        status = selectors.duty_status()
    assert status.nobody_on and status.back_at == datetime(2026, 3, 30, 16, 0, tzinfo=UTC)


def test_a_swap_hands_one_shift_over(rota, staff, ana, cat):
    monday = date(2026, 3, 30)
    shift = Shift.objects.get(person=ana)
    with pytest.raises(ModerationError) as err:
        services.rota_change_add(
            actor=staff,
            kind="swap",
            person_id=ana.pk,
            starts_on=monday + timedelta(days=1),
            shift_id=shift.pk,
            cover_id=cat.pk,
        )
    assert err.value.code == "bad_shift"
    services.rota_change_add(
        actor=staff,
        kind="swap",
        person_id=ana.pk,
        starts_on=monday,
        shift_id=shift.pk,
        cover_id=cat.pk,
    )
    with time_machine.travel(MONDAY_10, tick=False):
        assert [p.user_id for p in selectors.duty_status().on] == [cat.pk]
    with time_machine.travel(MONDAY_10 + timedelta(days=7), tick=False):
        assert [p.user_id for p in selectors.duty_status().on] == [ana.pk]


def test_someone_no_longer_a_moderator_is_not_on_duty(rota, ana):
    ana.is_moderator = False
    ana.save()
    with time_machine.travel(MONDAY_10, tick=False):
        assert selectors.duty_status().nobody_on


def test_someone_who_came_on_duty_meanwhile_is_next(staff, ana, ben, cat, member, group):
    with time_machine.travel(MONDAY_10 - timedelta(days=1), tick=False):
        services.shift_add(
            actor=staff, person_id=ana.pk, weekday=MON, starts=time(9), ends=time(17)
        )
        services.shift_add(  # Ben starts at 10:10, just after the alert
            actor=staff, person_id=ben.pk, weekday=MON, starts=time(10, 10), ends=time(12)
        )
    with time_machine.travel(MONDAY_10, tick=False) as clock:
        case = services.concern_raise(user=member, group_slug=group.slug, note="Worried")
        assert alerts_to(case) == [{ana.pk}]
        clock.shift(15 * MIN)
        assert escalate_urgent_alerts.call_local() == 1
    assert alerts_to(case)[1] == {ben.pk}
