"""Print a new VAPID key pair for web push, as environment lines to paste into the config."""

from django.core.management.base import BaseCommand

from config import vapid


class Command(BaseCommand):
    help = "Generate a VAPID key pair for web push (VAPID_PRIVATE_KEY and VAPID_PUBLIC_KEY)."

    def handle(self, *args, **options):
        private, public = vapid.generate()
        self.stdout.write(f"VAPID_PRIVATE_KEY={private}\nVAPID_PUBLIC_KEY={public}\n")
        self.stderr.write(
            "Keep the private key secret. Changing the pair later means every member has to "
            "turn phone notifications on again."
        )
