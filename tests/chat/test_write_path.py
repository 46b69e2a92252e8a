"""Writing a message is one short transaction, the same size whatever the room's history."""

import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from chat import services
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db


def _send(user, room, body="Anyone at the park later?"):
    return services.message_send(user=user, room=room, body=body, client_id=uuid.uuid4())


def test_send_is_one_transaction_of_constant_size(django_assert_num_queries):
    sam = MembershipFactory()
    priya = MembershipFactory(group=sam.group)
    room = services.room_for_group(sam.group_id)
    _send(sam.user, room)
    with CaptureQueriesContext(connection) as ctx:
        _send(priya.user, room)
    sql = [q["sql"] for q in ctx.captured_queries]
    # inside the test's own transaction, the send's atomic block is one savepoint
    assert sum(s.startswith("SAVEPOINT") for s in sql) == 1
    assert sum(s.startswith("RELEASE SAVEPOINT") for s in sql) == 1
    writes = [s for s in sql if s.startswith(("INSERT", "UPDATE", "DELETE"))]
    assert len(writes) == 3  # the message, the room's head, the event-log row
    assert not [s for s in sql if "chat_reaction" in s]  # a new message has none to read
    small = len(sql)

    for i in range(150):
        _send((sam, priya)[i % 2].user, room, f"message {i}")
    with django_assert_num_queries(small):
        _send(priya.user, room)
