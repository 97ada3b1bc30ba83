"""`python manage.py bench_digests`: the time to send one digest per account owner, as the
workers send them (batches of DIGEST_BATCH users, one SMTP connection each), to a real SMTP
server on this machine; prints JSON. Runs inside a transaction rolled back at the end, so the
users it makes (one owner per account) leave no trace in the data set."""

import json
import socket
import time

from aiosmtpd.controller import Controller
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import connection, transaction
from django.test.utils import override_settings

from accounts.models import Account
from metrics import benchmark
from metrics.models import AccountSnapshot
from metrics.services import snapshot_recompute, yesterday
from notifications import services


class _Count:
    def __init__(self):
        self.received = 0

    async def handle_DATA(self, server, session, envelope):
        self.received += 1
        return "250 OK"


class _Rollback(Exception):
    pass


class Command(BaseCommand):
    help = "Time 10,000 digests (one per account owner) through a local SMTP server."

    def add_arguments(self, parser):
        parser.add_argument("--digests", type=int, default=10_000)

    def handle(self, *args, digests: int, **options):
        if Account.objects.count() < digests:
            self.stderr.write(f"Seeding {digests:,} accounts (once)...")
            call_command("seed_demo", accounts=digests)
        as_of = yesterday()
        if not AccountSnapshot.objects.filter(as_of=as_of).exists():
            self.stderr.write(f"Computing the snapshots of {as_of}...")
            snapshot_recompute(as_of=as_of)
        sink = _Count()
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        controller = Controller(sink, hostname="127.0.0.1", port=port)
        controller.start()
        figures = {"machine": benchmark.machine()}
        try:
            with override_settings(
                EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
                EMAIL_HOST="127.0.0.1", EMAIL_PORT=port, EMAIL_USE_TLS=False,
                EMAIL_USE_SSL=False, EMAIL_HOST_USER="", EMAIL_HOST_PASSWORD="",
            ), transaction.atomic():  # fmt: skip
                user_ids = self._owners(digests)
                started = time.perf_counter()
                sent = 0
                for start in range(0, len(user_ids), services.DIGEST_BATCH):
                    sent += services.digests_send(user_ids[start : start + services.DIGEST_BATCH])
                    done = start + services.DIGEST_BATCH
                    if done % 2000 == 0:
                        self.stderr.write(f"  {done:,} / {len(user_ids):,} digests")
                seconds = time.perf_counter() - started
                figures["digests"] = {
                    "sent": sent,
                    "received_by_smtp": sink.received,
                    "seconds": round(seconds, 1),
                    "per_second": round(sent / seconds, 1),
                    "batch": services.DIGEST_BATCH,
                }
                raise _Rollback
        except _Rollback:
            pass
        finally:
            controller.stop()
        self.stdout.write(json.dumps(figures, indent=2))

    def _owners(self, count: int) -> list[int]:
        """One new user per account (the first `count` accounts), set as its owner."""
        users = get_user_model().objects.bulk_create(
            get_user_model()(username=f"bench-digest-{n}", email=f"owner{n}@bench.example")
            for n in range(count)
        )
        ids = [user.pk for user in users]
        with connection.cursor() as cursor:
            cursor.execute(
                """
                UPDATE accounts_account a SET owner_id = o.user_id
                FROM (SELECT id, row_number() OVER (ORDER BY id) AS n FROM accounts_account) r
                JOIN unnest(%s::bigint[]) WITH ORDINALITY AS o(user_id, n) ON o.n = r.n
                WHERE a.id = r.id
                """,
                [ids],
            )
        return ids
