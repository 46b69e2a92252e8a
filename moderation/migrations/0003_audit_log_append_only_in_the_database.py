"""On PostgreSQL the database itself refuses to change or delete audit rows (a trigger), so not
even raw SQL from a bug or a careless shell can rewrite history. SQLite (development) relies on
the model and queryset guards alone."""

from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION village_audit_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the moderation audit log is append-only';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER moderation_auditentry_append_only
    BEFORE UPDATE OR DELETE ON moderation_auditentry
    FOR EACH ROW EXECUTE FUNCTION village_audit_append_only();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS moderation_auditentry_append_only ON moderation_auditentry;
DROP FUNCTION IF EXISTS village_audit_append_only();
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("moderation", "0002_seed_helplines_and_crisis_phrases")]

    operations = [migrations.RunPython(forward, backward)]
