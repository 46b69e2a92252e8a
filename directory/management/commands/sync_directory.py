"""`manage.py sync_directory [--feed ID]`: sync Open Referral UK feeds now."""

from django.core.management.base import BaseCommand, CommandError

from directory import importer
from directory.models import Feed


class Command(BaseCommand):
    help = "Sync the services directory's feeds now (all enabled feeds, or one by id)."

    def add_arguments(self, parser):
        parser.add_argument("--feed", type=int, help="Sync only this feed (its id).")

    def handle(self, *args, feed=None, **options):
        feeds = Feed.objects.filter(pk=feed) if feed else Feed.objects.filter(enabled=True)
        if feed and not feeds.exists():
            raise CommandError(f"There is no feed {feed}.")
        failed = 0
        for item in feeds.order_by("pk"):
            result = importer.sync_feed(item)
            failed += not result.ok
            self.stdout.write(f"{item.name}: {result.status}")
        if failed:
            raise CommandError(f"{failed} feed(s) could not be synced.")
