"""The bare "can't go on" (without "I") and its apostrophe-free spellings join the built-in
crisis phrases, and every stored term is normalised again: the normaliser now also drops
format characters, marks and more apostrophe look-alikes, so a term saved before could
otherwise keep a form no message produces. See docs/safeguarding.md."""

from django.db import migrations

PHRASES = ["can't go on", "cannot go on", "can not go on"]


def forward(apps, schema_editor):
    from moderation.matching import normalise

    CrisisPhrase = apps.get_model("moderation", "CrisisPhrase")
    WatchTerm = apps.get_model("moderation", "WatchTerm")
    for model, text_field in ((CrisisPhrase, "phrase"), (WatchTerm, "term")):
        for row in model.objects.all():
            normalised = normalise(getattr(row, text_field))
            if normalised == row.normalised:
                continue
            if model.objects.filter(normalised=normalised).exists():
                continue  # now the same as another entry, which already matches it
            row.normalised = normalised
            row.save(update_fields=["normalised"])
    for phrase in PHRASES:
        CrisisPhrase.objects.get_or_create(normalised=normalise(phrase), defaults={"phrase": phrase})


class Migration(migrations.Migration):
    dependencies = [("moderation", "0003_audit_log_append_only_in_the_database")]

    operations = [migrations.RunPython(forward, migrations.RunPython.noop)]
