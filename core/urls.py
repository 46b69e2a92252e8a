"""Absolute addresses for links that leave the site (emails, pushes, calendar feeds, the Open
Referral API): the one place that joins SITE_URL (no trailing slash, config/settings/base.py)
to a path."""

from django.conf import settings
from django.urls import reverse


def site() -> str:
    """The site's own address, without a trailing slash ("https://village.example.org")."""
    return settings.SITE_URL


def absolute(path_or_url: str) -> str:
    """`path_or_url` as a full address: a path ("/groups/...") gets SITE_URL in front; a full
    address (a service's own website) is returned as it is."""
    if path_or_url.startswith("/"):
        return f"{settings.SITE_URL}{path_or_url}"
    return path_or_url


def absolute_reverse(name: str, *args) -> str:
    """`reverse(name, args)` as a full address."""
    return absolute(reverse(name, args=list(args)))
