"""Seed the UK helplines and the built-in crisis phrases (both editable afterwards)."""

from django.db import migrations

HELPLINES = [
    {
        "name": "999",
        "how": "Call 999",
        "href": "tel:999",
        "hours": "Any time, if someone is in danger right now",
        "about": "Police, ambulance or fire in an emergency.",
        "order": 1,
    },
    {
        "name": "Samaritans",
        "how": "Call 116 123 (free)",
        "href": "tel:116123",
        "hours": "24 hours a day, every day",
        "about": "Someone to listen, whatever you're going through.",
        "order": 2,
    },
    {
        "name": "Shout",
        "how": "Text SHOUT to 85258 (free)",
        "href": "sms:85258?body=SHOUT",
        "hours": "24 hours a day, every day",
        "about": "Text support if talking feels too hard.",
        "order": 3,
    },
    {
        "name": "NSPCC helpline",
        "how": "Call 0808 800 5000 (free)",
        "href": "tel:08088005000",
        "hours": "Monday to Friday 10am to 8pm, weekends 9am to 6pm",
        "about": "If you're worried about a child.",
        "order": 4,
    },
]

PHRASES = [
    "suicide",
    "suicidal",
    "kill myself",
    "end my life",
    "end it all",
    "want to die",
    "wanna die",
    "i can't go on",
    "can't go on anymore",
    "no reason to live",
    "better off without me",
    "self harm",
    "self-harm",
    "selfharm",
    "hurt myself",
    "cutting myself",
    "overdose",
    "he hits me",
    "she hits me",
    "hurting my child",
    "hurting the kids",
    "child is being hurt",
    "hits the baby",
    "abusing my child",
]


def seed(apps, schema_editor):
    from moderation.matching import normalise

    Helpline = apps.get_model("moderation", "Helpline")
    CrisisPhrase = apps.get_model("moderation", "CrisisPhrase")
    for row in HELPLINES:
        Helpline.objects.get_or_create(name=row["name"], defaults=row)
    for phrase in PHRASES:
        CrisisPhrase.objects.get_or_create(normalised=normalise(phrase), defaults={"phrase": phrase})


class Migration(migrations.Migration):
    dependencies = [("moderation", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
