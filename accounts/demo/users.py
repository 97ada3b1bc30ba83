"""The demo's staff logins: an admin, a leader and three CSMs who own the demo accounts."""

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db import transaction

DEMO_PASSWORD = "northstar-demo"  # noqa: S105 -- a published demo login, not a secret


@dataclass(frozen=True)
class DemoUser:
    username: str
    first_name: str
    last_name: str
    group: str
    superuser: bool = False

    @property
    def email(self) -> str:
        return f"{self.username}@northstar.example"


DEMO_USERS = (
    DemoUser("admin", "Avery", "Brooks", "Admin", superuser=True),
    DemoUser("leader", "Leah", "Donovan", "Leader"),
    DemoUser("csm1", "Maya", "Patel", "CSM"),
    DemoUser("csm2", "Jonas", "Berg", "CSM"),
    DemoUser("csm3", "Sofia", "Alvarez", "CSM"),
)
CSM_EMAILS = tuple(user.email for user in DEMO_USERS if user.group == "CSM")


@transaction.atomic
def demo_users_ensure() -> None:
    """Create the demo logins, or reset them to their demo names, roles and password.

    They exist before the import runs, so the accounts' `owner_email` finds them instead of
    creating owners without a usable password.
    """
    user_model = get_user_model()
    # One hash for all five: the password hasher is deliberately slow, and the logins share it.
    password = make_password(DEMO_PASSWORD)
    for demo in DEMO_USERS:
        user, _created = user_model.objects.get_or_create(username=demo.username)
        user.email = demo.email
        user.first_name, user.last_name = demo.first_name, demo.last_name
        user.is_active = True
        user.is_staff = user.is_superuser = demo.superuser
        user.password = password
        user.save()
        user.groups.add(Group.objects.get(name=demo.group))
