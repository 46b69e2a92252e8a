"""Village's own settings: `village("CHAT_PAGE_SIZE")`.

One table (`SETTINGS`) names each setting with its type, its default and, where a deployer may
change it without code, its environment variable. `config/settings/base.py` builds
`settings.VILLAGE` from it (`from_environment`), and `village()` reads `settings.VILLAGE` at
call time, so `settings.VILLAGE = {**settings.VILLAGE, ...}` in a test takes effect at once,
and a key left out of a deployer's VILLAGE gets its default.

The settings import this module, so it reads `django.conf.settings` only inside `village()`.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


@dataclass(frozen=True, slots=True)
class Kind:
    """What a setting's value must be: the Python types accepted, and how to say it."""

    types: tuple[type, ...]
    says: str
    parse: Any = None  # str -> value, for settings read from the environment

    def accepts(self, value: Any) -> bool:
        if isinstance(value, bool):
            return bool in self.types
        return isinstance(value, self.types)


WHOLE = Kind((int,), "a whole number", int)
NUMBER = Kind((int, float), "a number", float)  # seconds may be fractions (tests use 0.2)
RATES = Kind((dict,), "a dictionary of rates like {'report': '30/10m'}")
FLAG = Kind((bool,), "True or False", lambda raw: raw.strip().lower() in {"1", "true", "yes", "on"})
BOOL = FLAG
LIMITS = Kind((dict,), "a dictionary of (count, seconds) pairs by frame type")


@dataclass(frozen=True, slots=True)
class Setting:
    kind: Kind
    default: Any
    env: str | None = None


SETTINGS: dict[str, Setting] = {
    "CHAT_MAX_MESSAGE_CHARS": Setting(WHOLE, 4000),
    "CHAT_MAX_FRAME_BYTES": Setting(WHOLE, 16 * 1024),
    "CHAT_PAGE_SIZE": Setting(WHOLE, 50),
    "CHAT_RESUME_CAP": Setting(WHOLE, 500),
    "CHAT_RATE_LIMIT_COUNT": Setting(WHOLE, 10, env="CHAT_RATE_LIMIT_COUNT"),
    "CHAT_RATE_LIMIT_SECONDS": Setting(WHOLE, 10, env="CHAT_RATE_LIMIT_SECONDS"),
    # One socket's flood guard (chat/consumers.py): a burst, then so many frames a second.
    "CHAT_FRAME_BURST": Setting(WHOLE, 40, env="CHAT_FRAME_BURST"),
    "CHAT_FRAMES_PER_SECOND": Setting(NUMBER, 5.0, env="CHAT_FRAMES_PER_SECOND"),
    "CHAT_HEARTBEAT_SECONDS": Setting(NUMBER, 25),
    "CHAT_RECHECK_SECONDS": Setting(NUMBER, 60),
    "MODERATION_AUTOHIDE_REPORTS": Setting(WHOLE, 3, env="MODERATION_AUTOHIDE_REPORTS"),
    # The transparency page publishes a count below this as "fewer than N", and no median or
    # share worked out from fewer items (moderation/transparency.py).
    "TRANSPARENCY_MIN_COUNT": Setting(WHOLE, 5, env="TRANSPARENCY_MIN_COUNT"),
    # Staff are reminded this many days before a risk in the risk assessment is due a review.
    "RISK_REVIEW_REMINDER_DAYS": Setting(WHOLE, 14, env="RISK_REVIEW_REMINDER_DAYS"),
    # POSTs per member (per network address when logged out) for config.ratelimit.limit_posts,
    # in django-ratelimit's format ("10/h", "30/10m"). Generous: they stop floods, not people
    # reporting a raid or moderators clearing one.
    "RATE_LIMITS": Setting(
        RATES,
        {
            "report": "30/10m",
            "concern": "10/h",
            "complaint": "5/h",
            "appeal": "10/h",
            "moderate": "120/10m",
            "join": "20/h",
            "join_request": "10/h",
            "invite_create": "30/h",
            "invite_accept": "20/h",
            "closed_account": "10/h",
            "closed_resend": "5/h",
            "push_subscribe": "30/h",
            "referral": "20/h",
            "referral_answer": "60/h",
        },
    ),
    # A group none of whose facilitators has logged in or taken a register for this many
    # days (or who are away with nobody covering) goes to the moderators as "needs a
    # facilitator" (moderation.services.groups_needing_facilitator_raise).
    "ORPHAN_GROUP_DAYS": Setting(WHOLE, 21, env="VILLAGE_ORPHAN_GROUP_DAYS"),
    # Per member and websocket frame type, over config.socketlimits.DEFAULTS.
    "SOCKET_LIMITS": Setting(LIMITS, {}),
    # Web push (notifications/webpush.py): devices a member may register; pushes per Huey task
    # and sent at once within it; how long one push service may take before we move on (and
    # retry later); how many tries before a push is given up.
    "WEBPUSH_MAX_DEVICES": Setting(WHOLE, 10),
    "WEBPUSH_BATCH": Setting(WHOLE, 500),
    "WEBPUSH_CONCURRENCY": Setting(WHOLE, 8, env="WEBPUSH_CONCURRENCY"),
    "WEBPUSH_TIMEOUT_SECONDS": Setting(NUMBER, 5.0),
    "WEBPUSH_MAX_ATTEMPTS": Setting(WHOLE, 6),
    # Tests only: accept a plain-http push endpoint on this machine (the test's own server).
    "WEBPUSH_ALLOW_LOOPBACK": Setting(FLAG, False),
    # The services directory (directory/, docs/directory.md). Feed syncs: each request's
    # timeout, the most a response may weigh, the page size asked for and the most pages read.
    "DIRECTORY_FEED_TIMEOUT_SECONDS": Setting(NUMBER, 15.0),
    "DIRECTORY_FEED_MAX_BYTES": Setting(WHOLE, 5 * 1024 * 1024),
    "DIRECTORY_FEED_PER_PAGE": Setting(WHOLE, 50),
    "DIRECTORY_FEED_MAX_PAGES": Setting(WHOLE, 200),
    # Plain http on the loopback address for a feed (local testing). Also allowed when DEBUG is on.
    "DIRECTORY_FEED_ALLOW_LOOPBACK": Setting(BOOL, False),
    # Referrals: the facilitator is asked to check in after this many working days without an
    # answer; a service's link lasts this long; closed referrals are deleted after this long.
    "REFERRAL_FOLLOW_UP_WORKING_DAYS": Setting(WHOLE, 5, env="REFERRAL_FOLLOW_UP_WORKING_DAYS"),
    "REFERRAL_LINK_DAYS": Setting(WHOLE, 90),
    "REFERRAL_RETENTION_DAYS": Setting(WHOLE, 365, env="REFERRAL_RETENTION_DAYS"),
}


def _spec(name: str) -> Setting:
    try:
        return SETTINGS[name]
    except KeyError:
        raise ImproperlyConfigured(f"There is no Village setting called {name!r}.") from None


def village(name: str) -> Any:
    """The current value of VILLAGE[name], checked against its type; its default if unset."""
    spec = _spec(name)
    value = getattr(settings, "VILLAGE", {}).get(name, _MISSING)
    if value is _MISSING:
        return copy.deepcopy(spec.default)
    if not spec.kind.accepts(value):
        raise ImproperlyConfigured(f"VILLAGE[{name!r}] should be {spec.kind.says}, not {value!r}.")
    return value


def from_environment(environ: Mapping[str, str]) -> dict[str, Any]:
    """Every setting's default, with the environment's value where it names one."""
    values = {}
    for name, spec in SETTINGS.items():
        raw = environ.get(spec.env) if spec.env else None
        if raw is None:
            values[name] = copy.deepcopy(spec.default)
            continue
        try:
            values[name] = spec.kind.parse(raw)
        except ValueError:
            raise ImproperlyConfigured(
                f"{spec.env} should be {spec.kind.says}, not {raw!r}."
            ) from None
    return values


_MISSING = object()
