"""The header's search: trigram indexes on the names it matches, full-text on notes.

pg_trgm is a trusted extension (PostgreSQL 13+): the database's owner may create it. Each index
serves accounts.sql.SEARCH: ILIKE '%text%' and word similarity (`<%`) on names and emails, and
the `simple` full-text match on note bodies.
"""

from django.contrib.postgres.indexes import GinIndex, OpClass
from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations
from django.db.models import F


class Migration(migrations.Migration):
    dependencies = [("accounts", "0004_account_parent")]

    operations = [
        TrigramExtension(),
        migrations.AddIndex(
            model_name="account",
            index=GinIndex(OpClass(F("name"), name="gin_trgm_ops"), name="account_name_trgm"),
        ),
        migrations.AddIndex(
            model_name="account",
            index=GinIndex(
                OpClass(F("external_id"), name="gin_trgm_ops"), name="account_external_id_trgm"
            ),
        ),
        migrations.AddIndex(
            model_name="contact",
            index=GinIndex(OpClass(F("name"), name="gin_trgm_ops"), name="contact_name_trgm"),
        ),
        migrations.AddIndex(
            model_name="contact",
            index=GinIndex(OpClass(F("email"), name="gin_trgm_ops"), name="contact_email_trgm"),
        ),
        migrations.RunSQL(
            "CREATE INDEX note_body_search ON accounts_note "
            "USING gin (to_tsvector('simple', body))",
            "DROP INDEX note_body_search",
        ),
    ]
