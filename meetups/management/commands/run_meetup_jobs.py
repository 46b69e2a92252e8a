"""Run the meetup jobs once: extend occurrences, close old registers, reminders, nudges."""

from datetime import datetime

from django.core.management.base import BaseCommand, CommandError

from meetups import services


class Command(BaseCommand):
    help = "Run the meetup periodic jobs once (for demos and browser tests)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--now", help="Pretend it is this ISO time (with offset), e.g. for demos."
        )

    def handle(self, *args, now=None, **options):
        when = None
        if now:
            try:
                when = datetime.fromisoformat(now)
            except ValueError as exc:
                raise CommandError(f"--now must be an ISO date-time: {exc}") from exc
            if when.tzinfo is None:
                raise CommandError("--now needs a UTC offset, e.g. 2026-03-31T10:00:00+00:00")
        figures = services.run_jobs(now=when)
        for key, value in figures.items():
            self.stdout.write(f"{key}: {value}")
