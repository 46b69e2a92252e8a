"""A real HTTP server, on the loopback address, serving Open Referral UK v3 responses written
from the published profile (OpenReferralUK/uk-profile: schema/compiled/service.json and the
openapi.json Page shape). Tests change `server.services` and `server.faults` between syncs."""

from __future__ import annotations

import json
import math
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


def service_record(
    oruk_id: str,
    name: str = "Brierley Hill Family Hub",
    *,
    last_modified: str = "2026-11-02T09:15:30.123Z",
    status: str = "active",
    byday: str = "MO,TU,WE,TH,FR",
    opens_at: str = "09:00:00",
    closes_at: str = "17:00:00",
    minimum_age: int | None = 0,
    maximum_age: int | None = 5,
    term: str = "Family support",
    latitude: float | None = 52.481,
    longitude: float | None = -2.120,
) -> dict:
    """A fully nested service (`GET /services/{id}`)."""
    return {
        "id": oruk_id,
        "name": name,
        "description": f"{name}: drop-in help for families with young children.",
        "url": f"https://example.org/services/{oruk_id}",
        "email": "hub@example.org",
        "status": status,
        "fees": "",
        "minimum_age": minimum_age,
        "maximum_age": maximum_age,
        "assured_date": "2026-10-01",
        "alert": "",
        "last_modified": last_modified,
        "organization": {
            "id": "d9d5e0f5-d3ce-4f73-9a2f-4dd0ecc6c610",
            "name": "Dudley Council",
            "description": "Family hubs across Dudley.",
            "email": "families@example.org",
            "website": "https://example.org",
        },
        "schedules": [
            {
                "id": f"{oruk_id[:8]}-0000-4000-8000-000000000001",
                "freq": "WEEKLY",
                "interval": 1,
                "byday": byday,
                "opens_at": opens_at,
                "closes_at": closes_at,
                "description": "Drop in, no appointment needed.",
            }
        ],
        "service_at_locations": [
            {
                "id": f"{oruk_id[:8]}-0000-4000-8000-000000000002",
                "location": {
                    "id": f"{oruk_id[:8]}-0000-4000-8000-000000000003",
                    "name": "Brierley Hill Civic Hall",
                    "latitude": latitude,
                    "longitude": longitude,
                    "addresses": [
                        {"address_1": "Bank Street", "city": "Brierley Hill",
                         "postal_code": "DY5 3DH"}
                    ],
                },
            }
        ],
        "contacts": [
            {
                "id": f"{oruk_id[:8]}-0000-4000-8000-000000000004",
                "name": "Reception",
                "title": "Family hub team",
                "phones": [{"id": f"{oruk_id[:8]}-0000-4000-8000-000000000005",
                            "number": "01384 812345"}],
            }
        ],
        "cost_options": [
            {"id": f"{oruk_id[:8]}-0000-4000-8000-000000000006", "option": "Everyone",
             "amount": 0, "amount_description": "Free"}
        ],
        "languages": [{"id": f"{oruk_id[:8]}-0000-4000-8000-000000000007", "name": "English",
                       "code": "en"}],
        "attributes": [
            {
                "id": f"{oruk_id[:8]}-0000-4000-8000-000000000008",
                "link_type": "service",
                "taxonomy_term": {
                    "id": f"term-{term.lower().replace(' ', '-')}",
                    "taxonomy": "esdServiceTypes",
                    "term": term,
                },
            }
        ],
    }


def listing_record(full: dict) -> dict:
    """The one-to-one fields of a service, as `GET /services` lists them."""
    return {k: v for k, v in full.items() if not isinstance(v, list)}


class FeedServer:
    def __init__(self):
        self.services: dict[str, dict] = {}
        self.per_page_cap = 2  # small pages, so every test pages
        #: path prefix -> fault: "invalid-json", "500", "slow", "loop", "huge"
        self.faults: dict[str, str] = {}
        self.listing_override: dict[str, dict] = {}  # id -> listing record to serve instead
        self.requests: list[str] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                owner.requests.append(self.path)
                parts = urlsplit(self.path)
                for prefix, fault in owner.faults.items():
                    if parts.path.startswith(prefix):
                        return owner._fault(self, fault)
                if parts.path == "/api/services":
                    q = parse_qs(parts.query)
                    page = int(q.get("page", ["1"])[0])
                    per_page = min(int(q.get("per_page", ["50"])[0]), owner.per_page_cap)
                    return owner._json(self, owner._page(page, per_page))
                if parts.path.startswith("/api/services/"):
                    oruk_id = parts.path.rsplit("/", 1)[1]
                    if oruk_id in owner.services:
                        return owner._json(self, owner.services[oruk_id])
                self.send_response(404)
                self.end_headers()

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/api"

    def add(self, record: dict) -> None:
        self.services[record["id"]] = record

    def _page(self, page: int, per_page: int) -> dict:
        items = [self.listing_override.get(k, listing_record(v)) for k, v in self.services.items()]
        total_pages = max(1, math.ceil(len(items) / per_page))
        contents = items[(page - 1) * per_page : page * per_page]
        return {
            "total_items": len(items),
            "total_pages": total_pages,
            "page_number": page,
            "size": len(contents),
            "first_page": page == 1,
            "last_page": page >= total_pages,
            "empty": not items,
            "contents": contents,
        }

    def _json(self, handler, body) -> None:
        data = json.dumps(body).encode()
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)

    def _fault(self, handler, fault: str) -> None:
        if fault == "invalid-json":
            data = b'{"contents": [ {"id": '
            handler.send_response(200)
            handler.send_header("Content-Length", str(len(data)))
            handler.end_headers()
            handler.wfile.write(data)
        elif fault == "500":
            handler.send_response(500)
            handler.send_header("Content-Length", "0")
            handler.end_headers()
        elif fault == "slow":
            time.sleep(1.5)
            try:
                handler.send_response(200)
                handler.send_header("Content-Length", "2")
                handler.end_headers()
                handler.wfile.write(b"{}")
            except (BrokenPipeError, ConnectionResetError):
                pass
        elif fault == "loop":
            handler.send_response(302)
            handler.send_header("Location", handler.path)
            handler.send_header("Content-Length", "0")
            handler.end_headers()
        elif fault == "huge":
            # No Content-Length: the cap must be enforced while reading.
            handler.send_response(200)
            handler.send_header("Content-Type", "application/json")
            handler.end_headers()
            try:
                handler.wfile.write(b'{"contents": ["')
                for _ in range(200):
                    handler.wfile.write(b"x" * 65536)
            except (BrokenPipeError, ConnectionResetError):
                pass
            handler.close_connection = True

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()
