"""`manage.py connectors add|list|sync|rotate-keys`: the outputs are fixed so scripts can read
them (`add` ends with the endpoint; Segment's last two lines are the endpoint and write key)."""

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from connectors.models import Connector, ConnectorKind
from connectors.services import ConnectorInvalid, connector_create, connector_secrets_rotate
from connectors.syncs import connector_sync_locked


class Command(BaseCommand):
    help = "Add, list and sync connectors (docs/connectors.md)."

    def add_arguments(self, parser):
        commands = parser.add_subparsers(dest="action", required=True)
        add = commands.add_parser("add", help="add a connector")
        add.add_argument("kind", choices=ConnectorKind.values)
        add.add_argument("--name", required=True)
        add.add_argument("--signing-secret", help="Stripe or Zendesk webhook signing secret")
        add.add_argument("--api-key", help="Stripe API key, for `sync`")
        add.add_argument("--token", help="HubSpot private app token, or Zendesk API token")
        add.add_argument("--subdomain", help="Zendesk subdomain (<subdomain>.zendesk.com)")
        add.add_argument("--email", help="Zendesk agent email the API token belongs to")
        add.add_argument("--api-base", help="the source's API address (tests, proxies)")
        commands.add_parser("list", help="list connectors")
        sync = commands.add_parser("sync", help="backfill a pulled connector (Stripe)")
        sync.add_argument("name")
        sync.add_argument("--dry-run", action="store_true", help="say what would change")
        commands.add_parser("rotate-keys", help="re-encrypt secrets with the first key")

    def handle(self, *args, action, **options):
        try:
            getattr(self, f"_{action.replace('-', '_')}")(**options)
        except ConnectorInvalid as exc:
            raise CommandError(str(exc)) from None

    def _add(self, *, kind, name, signing_secret, api_key, token, api_base, subdomain, email, **_):
        if kind == ConnectorKind.STRIPE and not signing_secret:
            raise CommandError("a Stripe connector needs --signing-secret (whsec_...)")
        if kind == ConnectorKind.HUBSPOT and not token:
            raise CommandError("a HubSpot connector needs --token (a private app's token)")
        if kind not in (ConnectorKind.STRIPE, ConnectorKind.ZENDESK) and signing_secret:
            raise CommandError("--signing-secret is for Stripe and Zendesk")
        if kind != ConnectorKind.STRIPE and api_key:
            raise CommandError("--api-key is for Stripe")
        if kind == ConnectorKind.ZENDESK and not (token and subdomain and email):
            raise CommandError("a Zendesk connector needs --subdomain, --email and --token")
        if kind not in (ConnectorKind.HUBSPOT, ConnectorKind.ZENDESK) and token:
            raise CommandError("--token is for HubSpot and Zendesk")
        if kind == ConnectorKind.SEGMENT and api_base:
            raise CommandError("--api-base is for pulled connectors (Stripe, HubSpot)")
        token_name = "api_token" if kind == ConnectorKind.ZENDESK else "access_token"
        secrets = {"signing_secret": signing_secret, "api_key": api_key, token_name: token}
        options = {"api_base": api_base, "subdomain": subdomain, "email": email}
        connector, write_key = connector_create(
            kind=kind,
            name=name,
            settings={key: value for key, value in options.items() if value},
            secrets_given={k: v for k, v in secrets.items() if v},
        )
        self.stdout.write(f"Added {connector}.")
        self.stdout.write(f"endpoint: {connector.endpoint}")
        if write_key:
            self.stdout.write(f"write key: {write_key}")

    def _list(self, **_):
        connectors = Connector.objects.order_by("name")
        self.stdout.write(f"{'name':<24} {'kind':<8} {'endpoint':<22} {'last success':<17} error")
        for c in connectors:
            success = f"{c.last_success_at:%Y-%m-%d %H:%M}" if c.last_success_at else "never"
            state = "" if c.is_active else " (inactive)"
            self.stdout.write(
                f"{c.name:<24} {c.kind:<8} {c.endpoint:<22} {success:<17} "
                f"{c.last_error[:60]}{state}"
            )

    def _sync(self, *, name, dry_run, **_):
        connector = Connector.objects.filter(name=name).first()
        if connector is None:
            raise CommandError(f"no connector named {name!r} (see `connectors list`)")
        with tqdm(unit=" records", desc=name) as bar:
            summary = connector_sync_locked(
                connector=connector, dry_run=dry_run, progress=bar.update
            )
        if dry_run:  # the diff per record, then the summary line
            for diff in summary.changes.diffs:
                self.stdout.write(f"  {diff}")
        self.stdout.write(summary.line(dry_run=dry_run))

    def _rotate_keys(self, **_):
        self.stdout.write(f"{connector_secrets_rotate()} connectors' secrets re-encrypted.")
