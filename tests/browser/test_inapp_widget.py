"""The in-app widget in Chromium, embedded in a customer's product served from another origin (a
second local port) under a strict Content-Security-Policy: it asks the identified user, takes a
keyboard-only answer that lands on the account, keeps to the fatigue rule across email and the
product, passes axe-core, keeps its styles and the host's apart, and never throws into the host
page when Northstar cannot be reached.

The screenshot is written to SCREENSHOT_DIR when set (docs/screenshots), else a tmp folder.
"""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.test import Client
from playwright.sync_api import expect

from surveys.models import InAppKey, SurveyResponse
from surveys.services import invite_contacts
from tests.browser.axe import axe_violations
from tests.factories import AccountFactory, ContactFactory, UserFactory
from tests.surveys.factories import default_survey

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# What a careless host stylesheet does to everything it can reach.
HOST_CSS = """
* { color: rgb(255, 0, 0) !important; font-size: 30px !important; }
button { display: none !important; }
.send { background: rgb(0, 128, 0); }
"""
HOST_JS = """
northstar.identify({userId: "u-1", email: "jo@acme.example", accountId: "acme"});
"""


class CustomerApp:
    """A customer's product on its own origin: one page embedding the widget, its own script
    and stylesheet, every response under a CSP that allows no inline script or style at all."""

    def __init__(self):
        self.pages: dict[str, tuple[str, str]] = {}
        app = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                body, kind = app.pages.get(self.path.split("?")[0], ("not here", "text/html"))
                status = 200 if self.path.split("?")[0] in app.pages else 404
                self.send_response(status)
                self.send_header("Content-Type", f"{kind}; charset=utf-8")
                self.send_header("Content-Security-Policy", app.csp)
                self.end_headers()
                self.wfile.write(body.encode())

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://127.0.0.1:{self.server.server_port}"
        self.csp = ""
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def embed(self, northstar: str, key: str, *, api: str = "") -> str:
        self.csp = (
            f"default-src 'none'; script-src 'self' {northstar}; connect-src {api or northstar};"
            " style-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'"
        )
        data_api = f' data-api="{api}"' if api else ""
        self.pages = {
            "/": (
                '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Acme app'
                '</title><link rel="stylesheet" href="/app.css"></head><body><main>'
                '<h1>Your dashboard</h1><p>Reports for this week.</p><button class="send">'
                "Host button</button></main>"
                f'<script src="{northstar}/static/northstar-inapp.js" data-key="{key}"{data_api}'
                ' defer></script><script src="/app.js" defer></script></body></html>',
                "text/html",
            ),
            "/app.css": (HOST_CSS, "text/css"),
            "/app.js": (HOST_JS, "text/javascript"),
        }
        return self.origin + "/"


@pytest.fixture
def customer_app():
    app = CustomerApp()
    yield app
    app.server.shutdown()


@pytest.fixture
def jo():
    survey = default_survey("nps")
    survey.inapp_enabled = True
    survey.save()
    owner = UserFactory(username="maya", first_name="Maya")
    account = AccountFactory(name="Acme", external_id="acme", owner=owner)
    return ContactFactory(account=account, name="Jo", email="jo@acme.example")


def watch(page) -> dict[str, list[str]]:
    seen = {"thrown": [], "csp": []}
    page.on("pageerror", lambda error: seen["thrown"].append(str(error)))
    page.on(
        "console",
        lambda m: "Content Security Policy" in m.text and seen["csp"].append(m.text),
    )
    return seen


def test_a_user_answers_in_the_product_with_the_keyboard_alone(
    page, live_server, customer_app, jo, screenshot_dir
):
    key = InAppKey.objects.create(name="Acme app", allowed_origins=customer_app.origin)
    seen = watch(page)

    page.goto(customer_app.embed(live_server.url, key.public_key))

    legend = page.locator("[data-northstar-inapp] legend")
    expect(legend).to_have_text("How likely are you to recommend us to a friend or colleague?")
    expect(page.get_by_role("radio")).to_have_count(11)
    # Neither page's styles reach the other: the host's `*` and `button` rules stop at the
    # shadow root, and the widget's .send leaves the host's own .send alone.
    send = page.get_by_role("button", name="Send")
    expect(send).to_be_visible()
    assert legend.evaluate("e => getComputedStyle(e).color") != "rgb(255, 0, 0)"
    host_send = page.locator("main .send")
    assert host_send.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(0, 128, 0)"
    page.screenshot(path=screenshot_dir / "inapp-widget.png")

    page.keyboard.press("Tab")  # the first stop: the dismiss button
    expect(page.get_by_role("button", name="Dismiss the survey")).to_be_focused()
    page.keyboard.press("Tab")  # into the scale
    for _ in range(9):
        page.keyboard.press("ArrowRight")
    expect(page.get_by_role("radio", name="9")).to_be_checked()
    page.keyboard.press("Tab")
    page.keyboard.type("Reports save me an hour a week.")
    page.keyboard.press("Tab")
    expect(send).to_be_focused()
    page.keyboard.press("Enter")

    expect(page.get_by_role("status")).to_have_text("Thank you for your answer.")
    answer = SurveyResponse.objects.get()
    assert (answer.contact, answer.kind, answer.score, answer.comment) == (
        jo,
        "nps",
        9,
        "Reports save me an hour a week.",
    )
    owner = Client()
    owner.force_login(jo.account.owner)
    assert "Reports save me an hour a week." in owner.get(f"/accounts/{jo.account.pk}/").text
    assert "Reports save me an hour a week." in owner.get("/surveys/?period=3").text
    assert seen == {"thrown": [], "csp": []}

    # The fatigue rule, across channels: not asked again in the product, nor by email.
    with page.expect_response(lambda r: r.url.endswith("/ask")) as asked:
        page.reload()
    assert asked.value.json() == {"question": None}
    expect(page.locator("[data-northstar-inapp]")).to_have_count(0)
    outcome = invite_contacts(survey=default_survey("nps"), contacts=[jo])
    assert (outcome.created, outcome.skipped_recent_response) == (0, 1)


def test_escape_dismisses_and_the_question_stays_away(page, live_server, customer_app, jo):
    key = InAppKey.objects.create(name="Acme app", allowed_origins=customer_app.origin)
    page.goto(customer_app.embed(live_server.url, key.public_key))
    page.get_by_role("radio", name="3").focus()

    with page.expect_response(lambda r: r.url.endswith("/dismiss")) as dismissed:
        page.keyboard.press("Escape")

    assert dismissed.value.json() == {"dismissed": True}
    expect(page.locator("[data-northstar-inapp]")).to_have_count(0)
    with page.expect_response(lambda r: r.url.endswith("/ask")) as asked:
        page.reload()
    assert asked.value.json() == {"question": None}


def test_axe_finds_nothing_serious_in_the_widget(browser, live_server, customer_app, jo):
    # axe arrives as an inline script: this context bypasses the host's CSP to inject it.
    key = InAppKey.objects.create(name="Acme app", allowed_origins=customer_app.origin)
    context = browser.new_context(bypass_csp=True)
    page = context.new_page()
    page.goto(customer_app.embed(live_server.url, key.public_key))
    expect(page.locator("[data-northstar-inapp] legend")).to_be_visible()

    assert axe_violations(page) == []
    context.close()


@pytest.mark.parametrize("down", ["closed port", "not Northstar"])
def test_the_host_page_never_sees_an_error_when_northstar_is_down(
    page, live_server, customer_app, jo, down
):
    key = InAppKey.objects.create(name="Acme app", allowed_origins=customer_app.origin)
    api = "http://127.0.0.1:9" if down == "closed port" else customer_app.origin
    seen = watch(page)

    page.goto(customer_app.embed(live_server.url, key.public_key, api=api))
    page.wait_for_load_state("networkidle")

    expect(page.get_by_role("heading", name="Your dashboard")).to_be_visible()
    expect(page.locator("[data-northstar-inapp]")).to_have_count(0)
    assert page.evaluate("typeof window.northstar.identify") == "function"
    assert seen == {"thrown": [], "csp": []}
