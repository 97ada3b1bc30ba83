"""The default surveys' texts that said "us" name the company ({company}: COMPANY_NAME)."""

from django.db import migrations

from surveys.defaults import name_the_company


class Migration(migrations.Migration):
    dependencies = [("surveys", "0003_default_surveys")]

    operations = [migrations.RunPython(name_the_company, migrations.RunPython.noop)]
