"""Demo directory for `manage.py seed_demo`: a small made-up feed of Dudley services (stored
through the importer, as a sync would), two local entries and a referral. Idempotent."""

from __future__ import annotations

import uuid

from django.utils import timezone

from . import importer, services
from .models import Feed, Referral, Service

FEED_NAME = "Demo feed: Dudley family services (made up)"
NS = uuid.UUID("6f1b1f0e-3d7e-4c55-9a44-7d0d2f7c1a00")

ORG = {
    "id": str(uuid.uuid5(NS, "org")),
    "name": "Dudley Family Hubs (demo)",
    "description": "Made-up family services around Dudley, for trying Village out.",
    "website": "https://example.org/family-hubs",
}

# name, description, term, min, max, byday, opens, closes, cost, phone, lat, lng, place, postcode
SERVICES = [
    ("Brierley Hill Family Hub", "Drop in for help with feeding, sleep, money worries and "
     "more. No appointment needed; bring the children.", "Family support", 0, 5,
     "MO,TU,WE,TH,FR", "09:00", "17:00", 0, "01384 000101", 52.4814, -2.1203,
     "Moor Street", "DY5 3SS"),
    ("Stourbridge Food Bank", "Emergency food parcels and toiletries. Ask your health visitor, "
     "GP or us for a voucher.", "Food", None, None, "TU,TH", "10:00", "13:00", 0,
     "01384 000102", 52.4564, -2.1478, "Church Street", "DY8 1LT"),
    ("Stay and Play at Netherton", "Messy play, songs and snacks for under-fives with their "
     "grown-ups.", "Play", 0, 4, "WE,SA", "09:30", "11:30", 2, "01384 000103", 52.4933,
     -2.0890, "Netherton Park", "DY2 9PS"),
    ("Little Talkers speech drop-in", "Speech and language therapists answer your questions "
     "about talking and understanding.", "Speech and language", 1, 5, "TH", "13:30", "15:30",
     0, "01384 000104", 52.5123, -2.0810, "Dudley Library", "DY1 1HR"),
    ("Feeding Friends", "Breast and bottle feeding support from trained peer supporters.",
     "Feeding", 0, 1, "MO,FR", "10:00", "12:00", 0, "01384 000105", None, None, "", ""),
    ("Money Matters advice line", "Free, confidential help with benefits, debt and bills.",
     "Money", None, None, "MO,TU,WE,TH,FR", "09:00", "20:00", 0, "0800 000 106", None, None,
     "", ""),
    ("SEND Information and Advice", "Impartial advice for parents of children with special "
     "educational needs and disabilities: EHCPs, school, appeals.", "SEND", 0, 25,
     "MO,TU,WE,TH", "09:00", "16:30", 0, "01384 000107", 52.5086, -2.0878, "Saltwells Road",
     "DY2 0BS"),
    ("Young Carers Club", "A break and a brew for young carers aged 8 to 17.", "Carers", 8,
     17, "TU", "16:00", "18:00", 0, "01384 000108", 52.4736, -2.0650, "Cradley Heath Hall",
     "B64 6AA"),
]


def _record(row, i: int) -> dict:
    (name, about, term, low, high, byday, opens, closes, cost, phone, lat, lng, street,
     postcode) = row
    sid = str(uuid.uuid5(NS, name))
    record = {
        "id": sid, "name": name, "description": about,
        "url": f"https://example.org/services/{i}", "email": f"service{i}@example.org",
        "status": "active", "minimum_age": low, "maximum_age": high,
        "assured_date": (timezone.now().date().replace(day=1)).isoformat(),
        "last_modified": "2026-11-01T09:00:00.000Z", "organization": ORG,
        "schedules": [{"id": str(uuid.uuid5(NS, name + "/s")), "freq": "WEEKLY",
                       "byday": byday, "opens_at": f"{opens}:00", "closes_at": f"{closes}:00"}],
        "contacts": [{"id": str(uuid.uuid5(NS, name + "/c")), "name": "Reception",
                      "phones": [{"id": str(uuid.uuid5(NS, name + "/p")), "number": phone}]}],
        "cost_options": [{"id": str(uuid.uuid5(NS, name + "/cost")), "amount": cost,
                          "amount_description": "Free" if not cost else "a session"}],
        "languages": [{"id": str(uuid.uuid5(NS, name + "/en")), "name": "English"}],
        "attributes": [{"id": str(uuid.uuid5(NS, name + "/a")), "link_type": "service",
                        "taxonomy_term": {"id": f"demo-{term.lower().replace(' ', '-')}",
                                          "taxonomy": "Village demo needs", "term": term}}],
    }
    if street:
        record["service_at_locations"] = [{"id": str(uuid.uuid5(NS, name + "/sal")),
            "location": {"id": str(uuid.uuid5(NS, name + "/l")), "name": street,
                         "latitude": lat, "longitude": lng,
                         "addresses": [{"address_1": street, "city": "Dudley",
                                        "postal_code": postcode}]}}]  # fmt: skip
    return record


def seed(ctx: dict | None = None) -> None:
    ctx = ctx or {}
    feed, _ = Feed.objects.get_or_create(
        name=FEED_NAME, defaults={"base_url": "https://example.org/oruk", "enabled": False}
    )
    if not Service.objects.filter(feed=feed).exists():
        importer.load_records(feed, [_record(row, i) for i, row in enumerate(SERVICES, 1)])
    users, groups = ctx.get("users", {}), list(ctx.get("groups", {}).values())
    jo, sam, alex = (users.get(e) for e in ("facilitator@example.com", "parent@example.com",
                                            "moderator@example.com"))
    if not (jo and groups):
        return
    group = groups[0]
    if not Service.objects.filter(group=group).exists():
        shared = services.local_entry_create(user=jo, group=group, entry=services.LocalEntry(
            name="Tuesday health visitor drop-in",
            description="Weigh the baby and ask anything. The health visitors are lovely.",
            phone="01384 000201", address="Brierley Hill Health Centre", postal_code="DY5 3PY",
            minimum_age=0, maximum_age=5, days=("TU",), opens_at=_t("09:30"),
            closes_at=_t("11:30"), fees="Free", email="hv-dropin@example.org",
            share_with_everyone=True))
        if alex:
            services.local_entry_decide(user=alex, service=shared, approve=True)
        services.local_entry_create(user=jo, group=group, entry=services.LocalEntry(
            name="Church hall baby bank", description="Clothes, prams and cots, given freely.",
            phone="01384 000202", days=("SA",), opens_at=_t("10:00"), closes_at=_t("12:00"),
            fees="Free"))
    if sam and not Referral.objects.filter(member=sam).exists():
        hub = Service.objects.get(feed=feed, name="Brierley Hill Family Hub")
        referral = services.referral_offer(facilitator=jo, group=group, member=sam, service=hub)
        text = services.consent_text(service=hub, shared_name="Sam",
                                     shared_contact="07700 900123", note="Help with sleep, please")
        services.referral_consent(member=sam, referral=referral, shared_name="Sam",
                                  shared_contact="07700 900123", note="Help with sleep, please",
                                  shown_text=text)


def _t(value: str):
    import datetime

    return datetime.time.fromisoformat(value)
