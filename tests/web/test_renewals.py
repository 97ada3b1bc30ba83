"""The renewal desk's pages: who sees and calls which renewals, the model's number and the
owner's call side by side, reasons of churns (and My day's reminder), and fixed query counts."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from renewals.models import ChurnReason, RenewalCall, RenewalOutcome
from renewals.services import outcomes_after_snapshot
from tests.factories import ContractFactory
from tests.renewals.conftest import renewal, score

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk(alice, bob):
    """Renewals ending in 20 and 120 days (alice) and 45 days (bob), scored today; one of
    alice's accounts churned last quarter."""
    today = timezone.localdate()
    terms = {
        "soon": renewal(alice, ends=today + timedelta(days=20), name="Alpha Soon"),
        "later": renewal(alice, ends=today + timedelta(days=120), name="Alpha Later"),
        "bobs": renewal(bob, ends=today + timedelta(days=45), name="Bravo Bob"),
        "gone": renewal(alice, ends=today - timedelta(days=60), name="Alpha Gone", segment="SMB"),
    }
    score(terms["soon"].account, as_of=today, p=0.42)
    score(terms["bobs"].account, as_of=today, p=0.1)
    score(terms["later"].account, as_of=today, p=None, reason="Still onboarding")
    outcomes_after_snapshot(today)
    return terms


def names(page) -> list[str]:
    return [row.account.name for row in page.context["rows"]]


def test_a_csm_sees_only_her_own_renewals_and_a_leader_sees_all(client, alice, leader, desk):
    client.force_login(alice)
    assert names(client.get("/renewals/")) == ["Alpha Soon"]
    assert names(client.get("/renewals/?days=180")) == ["Alpha Soon", "Alpha Later"]

    client.force_login(leader)
    assert names(client.get("/renewals/?days=90")) == ["Alpha Soon", "Bravo Bob"]


def test_the_page_shows_the_models_probability_or_its_reason_and_the_stage(client, alice, desk):
    client.force_login(alice)

    page = client.get("/renewals/?days=180")

    body = page.content.decode()
    assert "42%" in body
    assert "Still onboarding" in body
    assert [row.stage.value for row in page.context["rows"]] == ["not_started", "not_started"]


def test_a_csm_records_her_call_beside_the_models_number(client, alice, desk):
    client.force_login(alice)
    term = desk["soon"]

    call = {"call": "at_risk", "probability": "70", "note": "Budget freeze."}
    answer = client.post(f"/renewals/{term.pk}/call/", call)

    assert answer.status_code == 302
    call = RenewalCall.objects.get(contract=term)
    assert (call.call, call.churn_probability, call.author) == ("at_risk", 0.7, alice)
    page = client.get("/renewals/")
    (row,) = page.context["rows"]
    assert (row.probability, row.call.churn_probability, row.stage.value) == (0.42, 0.7, "at_risk")


def test_a_csm_cannot_call_another_csms_renewal_and_a_leader_calls_none(
    client, alice, leader, desk
):
    client.force_login(alice)
    assert client.post(f"/renewals/{desk['bobs'].pk}/call/", {"call": "commit"}).status_code == 404

    client.force_login(leader)
    assert client.post(f"/renewals/{desk['soon'].pk}/call/", {"call": "commit"}).status_code == 403
    assert not RenewalCall.objects.exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"call": "maybe"}, "call: Select a valid choice"),
        ({"call": "commit", "probability": "140"}, "probability: Ensure this value is less than"),
        ({}, "call: This field is required"),
    ],
)
def test_a_bad_call_says_what_is_wrong_and_writes_nothing(client, alice, desk, data, message):
    client.force_login(alice)

    answer = client.post(f"/renewals/{desk['soon'].pk}/call/", data, follow=True)

    assert message in answer.content.decode()
    assert not RenewalCall.objects.exists()


def waiting(client) -> list[str]:
    """The accounts My day lists as waiting for a reason."""
    day = client.get("/day/")
    (section,) = [s for s in day.context["sections"] if s.id == "open-outcomes"]
    return [outcome.account.name for outcome in section.items]


def test_a_churn_without_a_reason_waits_on_my_day_until_its_owner_picks_one(client, alice, desk):
    client.force_login(alice)
    outcome = RenewalOutcome.objects.get(contract=desk["gone"])
    assert outcome.kind == "churned"
    assert waiting(client) == ["Alpha Gone"]

    price = ChurnReason.objects.get(name="Price")
    answer = client.post(f"/renewals/outcomes/{outcome.pk}/reason/",
                         {"reason": price.pk, "note": "Cheaper rival."})  # fmt: skip

    assert answer.status_code == 302
    outcome.refresh_from_db()
    assert (outcome.reason, outcome.reason_by) == (price, alice)
    assert waiting(client) == []


def test_the_default_reason_library_is_installed():
    assert list(ChurnReason.objects.values_list("name", flat=True)) == [
        "Price", "Product fit", "Champion left", "Acquired", "Budget cut", "Moved to competitor",
        "Poor adoption", "Support experience", "Company closed",
    ]  # fmt: skip


def test_reasons_are_reported_by_count_and_arr_by_segment_and_month(client, alice, leader, desk):
    today = timezone.localdate()
    downsold = renewal(alice, ends=today - timedelta(days=70), mrr="3000.00", segment="SMB")
    ContractFactory(account=downsold.account, start_date=downsold.end_date + timedelta(days=1),
                    mrr=Decimal("1000.00"))  # fmt: skip
    outcomes_after_snapshot(today)
    budget = ChurnReason.objects.get(name="Budget cut")
    RenewalOutcome.objects.filter(contract__in=[desk["gone"], downsold]).update(reason=budget)
    client.force_login(leader)

    report = client.get("/renewals/reasons/").context["report"]

    assert report["by_reason"] == [
        {"reason__name": "Budget cut", "count": 2, "arr": Decimal("36000.00")}
    ]
    assert [(r["account__segment"], r["arr"]) for r in report["by_segment"]] == [
        ("SMB", Decimal("36000.00"))
    ]
    assert sum(row["count"] for row in report["by_month"]) == 2


def test_the_forecast_page_shows_model_calls_and_blend_for_the_quarter(client, leader, desk):
    client.force_login(leader)

    page = client.get("/renewals/forecast/")

    assert page.status_code == 200
    book = page.context["books"][0]
    assert book.owner is None
    assert set(book.by_source) == {"model", "csm", "blend"}
    assert b"chart-forecast" in page.content


PAGES = ["/renewals/?days=180", "/renewals/forecast/", "/renewals/reasons/"]


@pytest.mark.parametrize("url", PAGES)
def test_the_pages_cost_the_same_queries_whatever_the_number_of_renewals(
    client, alice, leader, url, django_assert_max_num_queries
):
    today = timezone.localdate()
    for n in range(12):
        term = renewal(alice, ends=today + timedelta(days=5 + n * 7))
        score(term.account, as_of=today, p=n / 20)
        RenewalCall.objects.create(contract=term, call="commit", author=alice)
        renewal(alice, ends=today - timedelta(days=40 + n))  # churned
    outcomes_after_snapshot(today)
    client.force_login(alice)

    # session, user, permissions (2 groups), the snapshot run, the renewals with their scores,
    # health, calls and outcomes, the owner's open outcomes, the reasons offered; the forecast:
    # the quarter's renewals, owners, closed quarters; the reasons: three grouped queries; the
    # freshness line's connectors.
    with django_assert_max_num_queries(11):
        assert client.get(url).status_code == 200
