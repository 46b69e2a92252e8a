"""notify_many: many members, each their own text, in bulk; one push batch; emails queued in
batches; the email task claims rows once and un-claims only those that failed."""

import logging

import pytest
from channels.layers import get_channel_layer
from django.core import mail

from notifications import push, services, tasks
from notifications.models import Notification
from notifications.services import Note, notify_many
from realtime import sender
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_each_member_their_own_text_one_push_batch_and_batched_emails(
    monkeypatch, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    users = [UserFactory() for _ in range(7)]
    pushed, queued = [], []
    monkeypatch.setattr(services, "push_to_users", lambda events: pushed.append(events))
    monkeypatch.setattr(services, "EMAIL_BATCH", 3)
    monkeypatch.setattr(tasks, "send_notification_emails", lambda ids: queued.append(ids))
    notes = [
        Note(
            user_id=u.pk,
            kind="missed_you",
            title=f"Hello {i % 2}",
            body="b",
            url="/x/",
            data={"occurrence": i % 2},
        )  # fmt: skip
        for i, u in enumerate(users)
    ]
    capture = django_capture_on_commit_callbacks(execute=True)
    with capture as callbacks, django_assert_max_num_queries(4):  # savepoint, INSERT, release
        ids = notify_many(notes)
    assert len(callbacks) == 2
    assert len(ids) == 7 and Notification.objects.count() == 7
    for i, u in enumerate(users):
        row = Notification.objects.get(user=u)
        assert row.title == f"Hello {i % 2}" and row.data == {"occurrence": i % 2}
    assert len(pushed) == 1
    assert sorted(uid for uid, _ in pushed[0]) == sorted(u.pk for u in users)
    assert {e["title"] for _, e in pushed[0]} == {"Hello 0", "Hello 1"}
    assert sorted(len(b) for b in queued) == [1, 3, 3]
    assert sorted(i for b in queued for i in b) == sorted(ids)


def test_nothing_to_send_is_free(django_assert_num_queries):
    with django_assert_num_queries(0):
        assert services.notify_many([]) == []


def test_bell_pushes_reach_open_pages_in_one_batch():
    from asgiref.sync import async_to_sync

    from realtime.names import user_group

    layer = get_channel_layer()
    async_to_sync(layer.group_add)(user_group(41), "chan-a")
    async_to_sync(layer.group_add)(user_group(42), "chan-b")
    sent = push.push_to_users(
        [(41, {"type": "notification.created"}), (42, {"type": "notification.created"})]
    )
    assert sent == 2
    got = async_to_sync(layer.receive)("chan-b")
    assert got == {"type": "user.event", "topic": "bell", "event": {"type": "notification.created"}}


def test_a_broken_channel_layer_is_logged_once_not_raised(monkeypatch, caplog):
    class Broken:
        calls = 0

        async def group_send(self, group, message):
            Broken.calls += 1
            raise ConnectionError("redis down")

    monkeypatch.setattr(sender, "get_channel_layer", lambda *a: Broken())
    events = [(i, {"type": "notification.created"}) for i in range(250)]
    with caplog.at_level(logging.WARNING):
        assert push.push_to_users(events) == 0
    assert Broken.calls == sender.CONCURRENCY  # the rest are skipped
    assert len([r for r in caplog.records if r.levelno >= logging.WARNING]) == 1


def test_email_task_claims_once_and_unclaims_failures(monkeypatch, mailoutbox):
    ok, bad = UserFactory(), UserFactory()
    ids = notify_many(
        [Note(user_id=u.pk, kind="meetup_change", title="Moved") for u in (ok, bad)],
        email=False,
    )
    real_send = mail.EmailMultiAlternatives.send

    def send(self, *a, **kw):
        if self.to == [bad.email]:
            raise OSError("smtp hiccup")
        return real_send(self, *a, **kw)

    monkeypatch.setattr(mail.EmailMultiAlternatives, "send", send)
    assert tasks.send_notification_emails.call_local(ids) == 1
    assert [m.to for m in mailoutbox] == [[ok.email]]
    assert Notification.objects.get(user=ok).emailed_at is not None
    assert Notification.objects.get(user=bad).emailed_at is None  # will be tried again
    assert tasks.send_notification_emails.call_local(ids) == 0  # ok is never emailed twice
    assert len(mailoutbox) == 1


def test_only_members_with_an_open_page_are_sent_to(monkeypatch):
    """On the Redis layer, members with no open page cost no group_send (the batch asks Redis
    who has a subscriber first); the one online member still gets the push. Any other layer
    sends to every member's group."""
    from asgiref.sync import async_to_sync

    from realtime.names import user_group

    layer = get_channel_layer()
    async_to_sync(layer.group_add)(user_group(7001), "chan-online")
    sends = []
    real_send = layer.group_send

    async def counting_send(group, message):
        sends.append(group)
        await real_send(group, message)

    monkeypatch.setattr(layer, "group_send", counting_send)
    events = [(uid, {"type": "notification.created"}) for uid in range(7000, 7300)]
    sent = push.push_to_users(events)
    if hasattr(layer, "_group_key"):  # channels_redis (CI runs the suite on Redis)
        assert sends == [user_group(7001)]
        assert sent == 1
    else:
        assert len(sends) == 300
    got = async_to_sync(layer.receive)("chan-online")
    assert got == {"type": "user.event", "topic": "bell", "event": {"type": "notification.created"}}
