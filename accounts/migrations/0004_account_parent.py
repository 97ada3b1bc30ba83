"""Parent accounts, and the rule that holds them in the database: no cycle, at most 5 levels.

A constraint trigger checks each account given a parent: walking up from it must not come back to
it, and its ancestors plus the deepest chain below it make at most 5 levels. It is immediate (an
admin or API write fails at its statement); the import defers it (`SET CONSTRAINTS ... DEFERRED`)
so that its own check can name the file's line first.
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0003_usage_features'),
    ]

    operations = [
        migrations.AddField(
            model_name='account',
            name='parent',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='children', to='accounts.account'),
        ),
        migrations.RunSQL(
            """
            CREATE FUNCTION accounts_check_hierarchy() RETURNS trigger
            LANGUAGE plpgsql AS $$
            DECLARE
                ancestor bigint := NEW.parent_id;
                levels int := 1;
                below int;
            BEGIN
                WHILE ancestor IS NOT NULL LOOP
                    IF ancestor = NEW.id THEN
                        RAISE EXCEPTION 'account % is its own ancestor: a cycle of parents',
                            NEW.external_id USING ERRCODE = 'check_violation';
                    END IF;
                    levels := levels + 1;
                    IF levels > 5 THEN
                        RAISE EXCEPTION 'account % is deeper than 5 levels of parents',
                            NEW.external_id USING ERRCODE = 'check_violation';
                    END IF;
                    SELECT parent_id INTO ancestor FROM accounts_account WHERE id = ancestor;
                END LOOP;
                WITH RECURSIVE down (id, level) AS (
                    SELECT NEW.id, 1
                  UNION ALL
                    SELECT c.id, down.level + 1
                    FROM accounts_account c JOIN down ON c.parent_id = down.id
                    WHERE down.level <= 5
                )
                SELECT max(level) INTO below FROM down;
                IF levels + below - 1 > 5 THEN
                    RAISE EXCEPTION 'account % would put its children deeper than 5 levels',
                        NEW.external_id USING ERRCODE = 'check_violation';
                END IF;
                RETURN NULL;
            END $$;
            CREATE CONSTRAINT TRIGGER accounts_hierarchy
            AFTER INSERT OR UPDATE OF parent_id ON accounts_account
            DEFERRABLE INITIALLY IMMEDIATE
            FOR EACH ROW WHEN (NEW.parent_id IS NOT NULL)
            EXECUTE FUNCTION accounts_check_hierarchy();
            """,
            """
            DROP TRIGGER accounts_hierarchy ON accounts_account;
            DROP FUNCTION accounts_check_hierarchy();
            """,
        ),
    ]
