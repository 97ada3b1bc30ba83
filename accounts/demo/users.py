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
def demo_users_ensure() -> list[str]:
    """Create the demo logins that do not exist yet; return the usernames that already did.

    An existing user of a demo name is never touched (not its password, role or status): on a
    database with real people, `admin` may be a real administrator. They exist before the
    import runs, so the accounts' `owner_email` finds them instead of creating owners without a
    usable password.
    """
    user_model = get_user_model()
    existing = set(
        user_model.objects.filter(username__in=[d.username for d in DEMO_USERS]).values_list(
            "username", flat=True
        )
    )
    # One hash for all five: the password hasher is deliberately slow, and the logins share it.
    password = make_password(DEMO_PASSWORD)
    for demo in DEMO_USERS:
        if demo.username in existing:
            continue
        user = user_model.objects.create(
            username=demo.username,
            email=demo.email,
            first_name=demo.first_name,
            last_name=demo.last_name,
            is_staff=demo.superuser,
            is_superuser=demo.superuser,
            password=password,
        )
        user.groups.add(Group.objects.get(name=demo.group))
    return sorted(existing)
