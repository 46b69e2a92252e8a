"""`manage.py check_consistency`: is this database whole? Run it after restoring a backup
(docs/operations.md) before letting members in. Reads only; exits non-zero on a problem.

- every chat room's sequence head (Room.last_seq) is its event log's newest event, and no
  message claims a sequence number beyond it (resume would skip or repeat messages);
- no orphaned rows: every foreign key of every Village model points at a row that exists
  (a partial restore, or one with triggers off, can leave them);
- on PostgreSQL, every table's id sequence is past its highest id (a restore that forgot
  the sequences would make the next insert fail).
"""

from __future__ import annotations

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.db.models import Max, OuterRef, Subquery

APPS = ("accounts", "groups", "chat", "meetups", "moderation", "notifications")


def village_models():
    for label in APPS:
        try:
            yield from apps.get_app_config(label).get_models()
        except LookupError:
            continue


def room_heads() -> list[str]:
    from chat.models import Message, Room, RoomEvent

    problems = []
    newest = RoomEvent.objects.filter(room=OuterRef("pk")).order_by("-seq").values("seq")[:1]
    for room_id, head, logged in Room.objects.annotate(logged=Subquery(newest)).values_list(
        "pk", "last_seq", "logged"
    ):
        if (logged or 0) != head:
            problems.append(
                f"Room {room_id}: its sequence head is {head} but its newest event is "
                f"{logged or 'missing'}."
            )
    beyond = (
        Message.objects.values("room_id")
        .annotate(top=Max("seq"))
        .filter(top__gt=Subquery(Room.objects.filter(pk=OuterRef("room_id")).values("last_seq")))
    )
    for row in beyond:
        problems.append(f"Room {row['room_id']}: a message has seq {row['top']}, past its head.")
    return problems


def orphans() -> tuple[list[str], int]:
    problems, checked = [], 0
    for model in village_models():
        for field in model._meta.concrete_fields:
            if not field.is_relation or not field.many_to_one and not field.one_to_one:
                continue
            parent = field.related_model
            checked += 1
            missing = (
                model._base_manager.filter(**{f"{field.attname}__isnull": False})
                .exclude(**{f"{field.attname}__in": parent._base_manager.values(
                    field.target_field.attname)})
                .count()
            )
            if missing:
                problems.append(
                    f"{model._meta.label}.{field.name}: {missing} row(s) point at a missing "
                    f"{parent._meta.label}."
                )
    return problems, checked


def sequences() -> tuple[list[str], int]:
    if connection.vendor != "postgresql":
        return [], 0
    problems, checked = [], 0
    with connection.cursor() as cursor:
        for model in village_models():
            table, pk = model._meta.db_table, model._meta.pk.column
            cursor.execute("SELECT pg_get_serial_sequence(%s, %s)", [table, pk])
            seq = cursor.fetchone()[0]
            if not seq:
                continue
            checked += 1
            qn = connection.ops.quote_name
            cursor.execute(f"SELECT last_value, is_called FROM {seq}")  # noqa: S608 (catalog name)
            last, called = cursor.fetchone()
            cursor.execute(f"SELECT MAX({qn(pk)}) FROM {qn(table)}")  # noqa: S608
            top = cursor.fetchone()[0] or 0
            next_id = last + 1 if called else last
            if next_id <= top:
                problems.append(
                    f"{model._meta.label}: its id sequence would give {next_id}, but ids go up "
                    f"to {top}. Fix with `manage.py sqlsequencereset {model._meta.app_label}`."
                )
    return problems, checked


class Command(BaseCommand):
    help = "Check that a (restored) database is consistent: chat heads, orphans, sequences."

    def handle(self, *args, **options):
        heads = room_heads()
        lost, relations = orphans()
        seqs, sequence_count = sequences()
        problems = heads + lost + seqs
        for problem in problems:
            self.stderr.write(problem)
        if problems:
            raise CommandError(f"{len(problems)} problem(s) found: the database is not whole.")
        from chat.models import Room

        self.stdout.write(
            f"Consistent: {Room.objects.count()} chat rooms, {relations} relations, "
            f"{sequence_count} sequences checked."
        )
