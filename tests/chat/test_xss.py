"""Hostile text in bodies and display names renders inert on the room page."""

from __future__ import annotations

import uuid
from html.parser import HTMLParser

import pytest
from django.urls import reverse

from chat import services
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db

CORPUS = [
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    "<svg/onload=alert(1)>",
    '"><a href="javascript:alert(1)">click</a>',
    "javascript:alert(document.cookie)",
    'https://example.org/"onmouseover="alert(1)',
    "https://example.org/<script>alert(1)</script>",
    "[link](javascript:alert(1))",
    "\u202eevil\u202c gnp.exe",
    "\u2067rtl isolate\u2069 and \u202d override",
    "{{ 7*7 }} {% now 'Y' %}",
    "&lt;b&gt;already escaped&lt;/b&gt;",
    "<style>body{display:none}</style>",
    "<iframe src=//evil.example></iframe>",
]


class Inspector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.problems: list[str] = []
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "iframe", "svg", "img", "object", "embed"):
            src = dict(attrs).get("src") or dict(attrs).get("href") or ""
            if not (tag == "script" and src.startswith("/static/")):
                self.problems.append(f"<{tag}>")
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"{tag}[{name}]")
            if name in ("href", "src") and value and value.strip().lower().startswith("javascript"):
                self.problems.append(f"{tag}[{name}={value}]")
            if tag == "a" and name == "href" and value and value.startswith("http"):
                self.links.append(value)


def test_corpus_renders_inert(client, group):
    authors = []
    for i, payload in enumerate(CORPUS):
        author = MembershipFactory(group=group, user__display_name=payload[:60]).user
        authors.append(author)
        room = services.room_for_group(group.pk)
        m = services.message_send(
            user=author, room=room, body=f"{payload} #{i}", client_id=uuid.uuid4()
        ).message
        if i % 3 == 0:
            services.message_send(
                user=author, room=room, body="reply", client_id=uuid.uuid4(), reply_to_id=m.pk
            )
    client.force_login(authors[0])
    html = client.get(reverse("chat:room", kwargs={"slug": group.slug})).content.decode()
    p = Inspector()
    p.feed(html)
    assert p.problems == []
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "49" not in html.split("{{ 7*7 }}")[0][-5:]
    assert "{{ 7*7 }}" in html
    assert "&amp;lt;b&amp;gt;" in html
    for link in p.links:
        assert '"' not in link and "<" not in link
    # bidi controls stay inside isolating elements: names in <bdi>, bodies dir=auto
    assert '<bdi class="msg__author">\u202eevil' in html
    assert '<p class="msg__body" dir="auto">\u202eevil' in html
