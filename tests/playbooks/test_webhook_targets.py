"""Where a webhook may go: public addresses only, checked when the playbook is saved and again
when the call is sent, the call pinned to the checked address; only admins see the URLs.

With WEBHOOK_ALLOW_PRIVATE off (the default), every class of non-public address is refused, in
IPv4 and IPv6, written as a literal, as an IPv4-mapped IPv6 address or as a name resolving to it.
"""

import ipaddress
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
import trustme

from playbooks.models import Playbook, StepStatus
from playbooks.webhooks import post_pinned
from tests.factories import AccountFactory, UserFactory
from tests.playbooks.conftest import AS_OF, SnapshotFactory, make_playbook
from tests.playbooks.test_playbook_pages import form_data
from tests.playbooks.test_webhooks import receiver, webhook_run  # noqa: F401 (a fixture)

pytestmark = pytest.mark.django_db

REFUSED = [
    ("http://127.0.0.1:8000/hooks", "loopback"),
    ("http://127.9.9.9/", "loopback"),
    ("http://localhost:5432/", "loopback"),  # a name: judged by what it resolves to
    ("http://[::1]/", "loopback"),
    ("http://169.254.169.254/latest/meta-data/", "link-local"),  # cloud metadata
    ("http://[fe80::1]/", "link-local"),
    ("http://10.1.2.3/", "private"),
    ("http://172.16.0.1/", "private"),
    ("http://192.168.1.1/", "private"),
    ("http://[fd00::1]/", "private"),
    ("http://100.64.0.1/", "CGNAT"),
    ("http://100.127.255.254/", "CGNAT"),
    ("http://224.0.0.1/", "multicast"),
    ("http://[ff02::1]/", "multicast"),
    ("http://240.0.0.1/", "reserved"),
    ("http://0.0.0.0:6379/", "unspecified"),
    ("http://[::]/", "unspecified"),
    ("http://[::ffff:127.0.0.1]/", "loopback"),  # IPv4-mapped
    ("http://[::ffff:169.254.169.254]/", "link-local"),
    ("http://[::ffff:10.0.0.1]/", "private"),
    ("http://[2002:7f00:1::]/", "loopback"),  # 6to4 carrying 127.0.0.1
]


@pytest.fixture
def admin(db):
    return UserFactory(username="avery", groups=["Admin"])


def webhook_form(url: str) -> dict:
    return form_data(**{"actions-0-kind": "webhook", "actions-0-title": "", "actions-0-url": url})


@pytest.mark.parametrize(("url", "reason"), REFUSED)
def test_the_editor_refuses_a_webhook_to_a_non_public_address(client, admin, url, reason):
    client.force_login(admin)

    response = client.post("/playbooks/new/", webhook_form(url))

    assert response.status_code == 400
    page = response.content.decode()
    assert f"is a {reason} address" in page
    assert "webhooks go to public addresses only" in page
    assert not Playbook.objects.filter(name="Renewal check").exists()


@pytest.mark.parametrize("url", ["https://93.184.216.34/hooks", "https://[2606:4700::1111]/h"])
def test_the_editor_accepts_a_webhook_to_a_public_address(client, admin, url):
    client.force_login(admin)

    response = client.post("/playbooks/new/", webhook_form(url))

    assert response.status_code == 302
    assert Playbook.objects.get(name="Renewal check").actions.get().url == url


def test_a_host_that_does_not_resolve_is_refused(client, admin):
    client.force_login(admin)

    response = client.post("/playbooks/new/", webhook_form("https://hooks.example.invalid/"))

    assert response.status_code == 400
    assert "The host hooks.example.invalid could not be resolved." in response.content.decode()


def test_with_private_receivers_allowed_the_editor_accepts_a_loopback_address(
    client, admin, settings
):
    settings.WEBHOOK_ALLOW_PRIVATE = True
    client.force_login(admin)

    response = client.post("/playbooks/new/", webhook_form("http://127.0.0.1:9000/hooks"))

    assert response.status_code == 302


def test_a_call_to_an_address_refused_since_the_playbook_was_saved_is_not_sent(
    today_is,
    receiver,  # noqa: F811
):
    # Saved while allowed (or while the name resolved elsewhere): refused when sent.
    run = webhook_run(receiver)

    from playbooks.tasks import execute_run

    result = execute_run.apply(args=[run.pk]).get()

    assert receiver.calls == []
    step = run.steps.get()
    assert (result["status"], step.status, step.attempts) == ("failed", StepStatus.FAILED, 1)
    assert step.error == "connection failed"  # neither the address nor a timing


def test_a_call_connects_to_the_checked_address_whatever_the_name_resolves_to(
    receiver,  # noqa: F811
):
    port = receiver.url.split(":")[2].split("/")[0]
    # The name does not resolve at all: only the pinned address can have been used.
    url = f"http://rebinding.example.invalid:{port}/hooks/northstar"

    response = post_pinned(
        url, ipaddress.ip_address("127.0.0.1"), body=b"{}", headers={}, timeout=5
    )

    assert response.status_code == 200
    (call,) = receiver.calls
    assert call["headers"]["Host"] == f"rebinding.example.invalid:{port}"


@pytest.fixture
def tls_receiver():
    """An HTTPS server on 127.0.0.1 with a certificate for hooks.northstar.test only, signed by
    a throwaway CA; it records the server name each client asked for (SNI)."""
    ca = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("hooks.northstar.test").configure_cert(context)
    names: list[str | None] = []
    context.sni_callback = lambda sock, name, ctx: names.append(name)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers["Content-Length"]))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    with ca.cert_pem.tempfile() as ca_file:
        yield server.server_address[1], ca_file, names
    server.shutdown()
    server.server_close()


def test_over_tls_the_pinned_call_sends_the_name_and_checks_the_certificate_for_it(tls_receiver):
    port, ca_file, names = tls_receiver
    loopback = ipaddress.ip_address("127.0.0.1")

    response = post_pinned(f"https://hooks.northstar.test:{port}/", loopback, body=b"{}",
                           headers={}, timeout=5, verify=ca_file)  # fmt: skip

    assert response.status_code == 204
    assert names == ["hooks.northstar.test"]
    with pytest.raises(requests.exceptions.SSLError):  # the certificate names another host
        post_pinned(f"https://other.northstar.test:{port}/", loopback, body=b"{}", headers={},
                    timeout=5, verify=ca_file)  # fmt: skip


# Who sees where webhooks go


@pytest.fixture
def webhook_playbook(today_is, snapshot_run, alice):
    SnapshotFactory(account=AccountFactory(owner=alice), as_of=AS_OF, days_to_renewal=30)
    return make_playbook(
        "renewal_within", days=90, actions=[{"kind": "webhook", "url": "https://hooks.acme.test/x"}]
    )


def test_a_leader_reads_a_playbook_without_its_webhook_url(client, leader, webhook_playbook):
    client.force_login(leader)

    for path in (
        f"/playbooks/{webhook_playbook.pk}/",
        f"/playbooks/{webhook_playbook.pk}/dry-run/",
    ):
        page = client.get(path).content.decode()
        assert "hooks.acme.test" not in page, path
        assert "Call a webhook" in page


def test_an_admin_sees_the_webhook_url(client, admin, webhook_playbook):
    client.force_login(admin)

    page = client.get(f"/playbooks/{webhook_playbook.pk}/").content.decode()

    assert "https://hooks.acme.test/x" in page


def test_the_admin_site_shows_webhook_urls_only_to_who_may_change_playbooks(
    client, webhook_playbook
):
    reader = UserFactory(username="rita", is_staff=True, groups=["Leader"])
    client.force_login(reader)

    page = client.get(f"/admin/playbooks/playbook/{webhook_playbook.pk}/change/")

    assert page.status_code == 200
    assert "hooks.acme.test" not in page.content.decode()
