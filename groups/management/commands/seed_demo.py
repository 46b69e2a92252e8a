"""`manage.py seed_demo`: demo people, groups and (through hooks) history. DEBUG only.

Running it twice is safe: everything is found before it is created.

Demo logins (password ``village-demo``, email already verified):
parent@example.com (Sam), parent2@example.com (Priya), facilitator@example.com
(Jo, facilitates all three groups) and moderator@example.com (Alex, site moderator).

Hook for other apps
-------------------
After the groups are in place the command imports, in order, ``chat.demo``,
``meetups.demo``, ``moderation.demo`` and ``directory.demo``, and calls ``seed(ctx)`` on
each one that exists, where ``ctx`` is ``{"users": {email: User}, "groups": {slug: Group}}``.
A hook must itself be idempotent (find before create). A missing ``<app>.demo`` module is
skipped; any other import error, or an error inside a hook, stops the command loudly.
"""

from __future__ import annotations

import importlib

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

HOOKS = ("chat.demo", "meetups.demo", "moderation.demo", "directory.demo")


class Command(BaseCommand):
    help = "Load demo people and groups (refused unless DEBUG is on). Safe to run twice."

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError(
                "seed_demo only runs with DEBUG on: demo accounts share a known password "
                "and must never exist on a real site."
            )
        from groups import demo

        ctx = demo.seed()
        for name in HOOKS:
            try:
                module = importlib.import_module(name)
            except ModuleNotFoundError as error:
                if error.name != name:
                    raise
                self.stdout.write(f"  (no {name} yet, skipped)")
                continue
            module.seed(ctx)
            self.stdout.write(f"  {name}: done")
        self.stdout.write(self.style.SUCCESS("Demo data is ready."))
        self.stdout.write("Log in with any of these (password: village-demo):")
        for email, user in ctx["users"].items():
            self.stdout.write(f"  {email:<26} {user.display_name}")
