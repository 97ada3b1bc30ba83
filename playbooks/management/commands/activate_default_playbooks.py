"""`manage.py activate_default_playbooks`: turn on the default playbooks (the demo does)."""

from django.core.management.base import BaseCommand

from playbooks.defaults import DEFAULT_NAMES
from playbooks.models import Playbook
from playbooks.services import playbook_activate


class Command(BaseCommand):
    help = "Activate the default playbooks installed by the migrations."

    def handle(self, *args, **options):
        playbooks = list(Playbook.objects.filter(name__in=DEFAULT_NAMES))
        for playbook in playbooks:
            playbook_activate(playbook=playbook, active=True)
        self.stdout.write(f"Activated {len(playbooks)} default playbooks.")
