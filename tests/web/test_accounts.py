"""The accounts list, its CSV export and the account 360 page, as their users meet them.

alice and bob are CSMs who own accounts, `leader` sees every account. Snapshots are made with a
small factory here (every column has a plain default), so a test states only the figures it is
about; the metrics tests hold the engine that computes them to the spec.
"""

import csv
import io
import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import factory
import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import ImportLog, Note
from healthscores.models import Alert, HealthModelVersion, SentimentOverride, SnapshotHealth
from metrics.freshness import STALE_AFTER
from metrics.models import AccountSnapshot, SnapshotRun
from surveys.models import SurveyResponse
from tests.factories import (
    AccountFactory,
    ContactFactory,
    ContractFactory,
    ScoredSnapshotFactory,
    SurveyResponseFactory,
    TicketFactory,
    UserFactory,
)
from tests.healthscores.conftest import health_model, latest_version

AS_OF = date(2025, 3, 31)
EARLIER = AS_OF - timedelta(days=30)


class SnapshotFactory(ScoredSnapshotFactory):
    """One account's snapshot of AS_OF: a healthy 1,000/month customer unless told otherwise."""

    class Meta:
        model = AccountSnapshot

    as_of = AS_OF
    account = factory.SubFactory(AccountFactory)
    mrr = Decimal("1000.00")
    arr = factory.LazyAttribute(lambda s: s.mrr * 12)
    starting_mrr = factory.LazyAttribute(lambda s: s.mrr)
    movement_mrr = None  # no movement (kpi-spec section 7)
    seats = 10
    days_to_renewal = None
    active_users_30d = 8
    active_users_7d = 6
    active_user_days_30d = 120
    events_30d = 900
    events_prev_30d = 800
    minutes_30d = 600.0
    sessions_30d = 100
    features_used_30d = 4
    seat_utilization = 80.0
    usage_trend = 12.5
    feature_adoption = 50.0
    open_tickets = 0
    tickets_90d = 2
    champion_left_90d = 0
    paid_before_period = True
    renewals_eligible = renewals_renewed = contracts_started = 0
    contracts_started_arr = contracts_started_tcv = Decimal(0)
    trial_started = trial_converted = onboarded = False
    tickets_opened = first_responses = tickets_resolved = resolved_first_contact = 0
    first_response_hours = resolution_hours = 0.0
    nps_promoters = nps_detractors = nps_responses = 0
    csat_satisfied = csat_responses = ces_score_sum = ces_responses = 0
    monthly_starting_mrr = factory.LazyFunction(lambda: [Decimal(0)] * 12)
    monthly_lost_mrr = factory.LazyFunction(lambda: [Decimal(0)] * 12)
    health_score = 80.0
    health_band = factory.LazyAttribute(
        lambda s: (
            "unknown"
            if s.health_score is None
            else "green"
            if s.health_score >= 70
            else "yellow"
            if s.health_score >= 40
            else "red"
        )
    )
    computed_at = factory.LazyFunction(timezone.now)


def snapshot_run(as_of: date = AS_OF, finished_at: datetime | None = None) -> SnapshotRun:
    return SnapshotRun.objects.create(
        as_of=as_of, accounts=0, seconds=1.0, finished_at=finished_at or timezone.now()
    )


@pytest.fixture
def run(db) -> SnapshotRun:
    """The latest completed snapshot run, of AS_OF."""
    snapshot_run(EARLIER)
    return snapshot_run(AS_OF)


@pytest.fixture
def accounts(alice, bob, run):
    """Alice's Acme (green, renews in 20 days) and Globex (red, falling), bob's Initech."""
    acme = AccountFactory(name="Acme", owner=alice, segment="Enterprise", region="EMEA")
    globex = AccountFactory(
        name="Globex", owner=alice, segment="SMB", region="APAC", lifecycle_stage="onboarding"
    )
    initech = AccountFactory(name="Initech", owner=bob, segment="SMB", region="EMEA")
    SnapshotFactory(account=acme, mrr=Decimal("5000.00"), health_score=85.0, days_to_renewal=20)
    SnapshotFactory(account=acme, as_of=EARLIER, health_score=80.0)
    SnapshotFactory(
        account=globex,
        mrr=Decimal("300.00"),
        health_score=30.0,
        nps_180d=-40.0,
        open_tickets=4,
        days_to_renewal=200,
        is_onboarding=True,
    )
    SnapshotFactory(account=globex, as_of=EARLIER, health_score=55.0)
    SnapshotFactory(account=initech, mrr=Decimal("2000.00"), health_score=60.0, nps_180d=50.0)
    return {"acme": acme, "globex": globex, "initech": initech}


def names(response) -> list[str]:
    assert response.status_code == 200
    return [account.name for account in response.context["page"]]


def csv_rows(response) -> list[list[str]]:
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode()
    return list(csv.reader(io.StringIO(text)))


# Who may see what


@pytest.mark.parametrize("url", ["/", "/accounts/export.csv", "/accounts/1/", "/accounts/1/notes/"])
def test_an_anonymous_visitor_is_sent_to_log_in_from_every_account_page(client, db, url):
    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"].startswith(f"/login/?next={url}")


def test_a_csm_lands_on_her_own_accounts(client, alice, accounts):
    client.force_login(alice)

    response = client.get("/")

    assert names(response) == ["Acme", "Globex"]
    assert "<h1>My accounts</h1>" in response.content.decode()


def test_a_leader_lands_on_every_account(client, leader, accounts):
    client.force_login(leader)

    response = client.get("/")

    assert names(response) == ["Acme", "Globex", "Initech"]
    assert "<h1>Accounts</h1>" in response.content.decode()


def test_my_accounts_keeps_a_leaders_own_accounts_only(client, leader, accounts):
    AccountFactory(name="Lena's own", owner=leader)
    client.force_login(leader)

    assert names(client.get("/", {"mine": "1"})) == ["Lena's own"]


def test_a_csm_gets_404_on_another_csms_account(client, alice, accounts):
    client.force_login(alice)

    assert client.get(f"/accounts/{accounts['initech'].pk}/").status_code == 404


def test_a_csm_cannot_export_another_csms_accounts(client, alice, accounts):
    client.force_login(alice)

    rows = csv_rows(client.get("/accounts/export.csv", {"owner": accounts["initech"].owner_id}))

    assert [row[1] for row in rows[1:]] == ["Acme", "Globex"]  # the owner filter is ignored
    all_rows = csv_rows(client.get("/accounts/export.csv", {"q": "initech"}))
    assert all_rows[1:] == []


# The list: what each row shows


def test_the_list_reads_the_latest_snapshot_and_the_health_change_over_30_days(
    client, leader, accounts
):
    client.force_login(leader)

    rows = {account.name: account for account in client.get("/").context["page"]}

    assert rows["Acme"].mrr == Decimal("5000.00")
    assert rows["Acme"].health_change == pytest.approx(5.0)
    assert rows["Globex"].health_change == pytest.approx(-25.0)
    assert rows["Initech"].health_change is None  # no snapshot 30 days earlier
    assert rows["Acme"].renewal_on == AS_OF + timedelta(days=20)


def test_the_health_change_is_not_measured_across_a_model_version(client, leader, run):
    """A new model is not a change in health: the list and the 360 page show no change."""
    account = AccountFactory(name="Remodelled")
    SnapshotFactory(account=account, health_score=40.0, health_model_version=2)
    SnapshotFactory(account=account, as_of=EARLIER, health_score=80.0, health_model_version=1)
    client.force_login(leader)

    rows = {a.name: a for a in client.get("/").context["page"]}
    assert rows["Remodelled"].health_change is None
    assert client.get(f"/accounts/{account.pk}/").context["health_change"] is None


def test_sorting_by_health_change_reads_the_same_changes_as_any_other_order(
    client, leader, accounts, run
):
    """Sorted by it, the change is joined for every row; otherwise it is computed for the
    page's rows only: both give the same numbers, across a model version too."""
    remodelled = AccountFactory(name="Remodelled")
    SnapshotFactory(account=remodelled, health_score=40.0, health_model_version=2)
    SnapshotFactory(account=remodelled, as_of=EARLIER, health_score=80.0, health_model_version=1)
    client.force_login(leader)

    by_name = {a.name: a.health_change for a in client.get("/").context["page"]}
    by_change = [(a.name, a.health_change) for a in client.get("/", {"sort": "-health_change"})
                 .context["page"]]  # fmt: skip

    assert dict(by_change) == by_name
    assert [name for name, _change in by_change][:2] == ["Acme", "Globex"]  # +5, then -25
    assert by_name["Remodelled"] is None


def test_the_list_shows_money_health_change_renewal_and_definitions(client, leader, accounts):
    client.force_login(leader)

    content = client.get("/").content.decode()

    assert "$5,000" in content
    assert "+5" in content
    assert "\u221225" in content  # a real minus sign
    assert "20 Apr 2025" in content
    assert "in 20 days" in content
    assert "prov." in content  # Globex's score is provisional
    assert 'title="The account&#x27;s MRR on D: sum of mrr of its contracts active that day."' in (
        content
    )


def test_an_account_without_a_snapshot_yet_is_listed_with_empty_figures(client, leader, accounts):
    AccountFactory(name="Brand new")
    client.force_login(leader)

    rows = {account.name: account for account in client.get("/").context["page"]}

    assert rows["Brand new"].mrr is None
    assert rows["Brand new"].health_band == "unknown"


def test_the_list_works_before_any_snapshot_was_computed(client, leader, db):
    AccountFactory(name="Acme")
    client.force_login(leader)

    response = client.get("/")

    assert names(response) == ["Acme"]
    assert "No snapshot has been computed yet" in response.content.decode()


# The list: filters


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"q": "glob"}, ["Globex"]),
        ({"q": "  ACME "}, ["Acme"]),
        ({"segment": "SMB"}, ["Globex", "Initech"]),
        ({"region": "EMEA"}, ["Acme", "Initech"]),
        ({"stage": "onboarding"}, ["Globex"]),
        ({"band": "red"}, ["Globex"]),
        ({"band": "yellow"}, ["Initech"]),
        ({"renewal_within": "30"}, ["Acme"]),
        ({"renewal_within": "365"}, ["Acme", "Globex"]),
        ({"segment": "SMB", "region": "EMEA"}, ["Initech"]),
    ],
)
def test_each_filter_narrows_the_list(client, leader, accounts, params, expected):
    client.force_login(leader)

    assert names(client.get("/", params)) == expected


def test_the_owner_filter_shows_one_owners_accounts(client, leader, bob, accounts):
    client.force_login(leader)

    assert names(client.get("/", {"owner": bob.pk})) == ["Initech"]


def test_the_unknown_band_includes_accounts_without_a_snapshot(client, leader, accounts):
    AccountFactory(name="Brand new")
    client.force_login(leader)

    assert names(client.get("/", {"band": "unknown"})) == ["Brand new"]


def test_a_band_lists_customers_only_and_churned_accounts_are_not_a_customer(
    client, leader, accounts
):
    gone = AccountFactory(name="Gone", lifecycle_stage="churned")
    SnapshotFactory(account=gone, mrr=Decimal(0), arr=Decimal(0), health_score=12.0)
    client.force_login(leader)

    assert names(client.get("/", {"band": "red"})) == ["Globex"]
    response = client.get("/", {"band": "not_customer"})
    assert names(response) == ["Gone"]
    assert "Churned" in response.content.decode()
    assert "band-red" not in response.content.decode()


def test_a_csm_is_not_offered_an_owner_filter(client, alice, accounts):
    client.force_login(alice)

    assert 'name="owner"' not in client.get("/").content.decode()


def test_filter_choices_come_from_the_accounts_the_user_may_see(client, alice, bob, accounts):
    AccountFactory(owner=bob, segment="Bob only")
    client.force_login(alice)

    form = client.get("/").context["form"]

    assert [value for value, _ in form.fields["segment"].choices] == ["", "Enterprise", "SMB"]


@pytest.mark.parametrize(
    "params",
    [
        {"segment": "Nope"},
        {"owner": "not-a-number"},
        {"owner": "999999"},
        {"stage": "zombie"},
        {"band": "purple"},
        {"renewal_within": "soon"},
        {"renewal_within": "-5"},
        {"sort": "password"},
        {"sort": "-"},
        {"page": "last-but-one"},
        {"page": "9999"},
        {"q": "x" * 500},
    ],
)
def test_a_bad_query_parameter_falls_back_to_its_default_instead_of_failing(
    client, leader, accounts, params
):
    client.force_login(leader)

    response = client.get("/", params)

    assert response.status_code == 200
    assert len(response.context["page"].object_list) >= 1


def test_a_bad_value_is_ignored_while_the_good_ones_apply(client, leader, accounts):
    client.force_login(leader)

    response = client.get("/", {"segment": "SMB", "band": "purple", "sort": "-mrr"})

    assert names(response) == ["Initech", "Globex"]
    assert "Some filters were not understood" in response.content.decode()


# The list: sorting and pages


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("name", ["Acme", "Globex", "Initech"]),
        ("-name", ["Initech", "Globex", "Acme"]),
        ("-mrr", ["Acme", "Initech", "Globex"]),
        ("mrr", ["Globex", "Initech", "Acme"]),
        ("health", ["Globex", "Initech", "Acme"]),
        ("health_change", ["Globex", "Acme", "Initech"]),  # no change: last
        ("renewal", ["Acme", "Globex", "Initech"]),  # no renewal date: last
        ("-renewal", ["Globex", "Acme", "Initech"]),  # still last when descending
        ("nps", ["Globex", "Initech", "Acme"]),
        ("-open_tickets", ["Globex", "Acme", "Initech"]),
        ("owner", ["Acme", "Globex", "Initech"]),
    ],
)
def test_each_column_sorts_with_empty_values_last(client, leader, accounts, sort, expected):
    client.force_login(leader)

    assert names(client.get("/", {"sort": sort})) == expected


def test_accounts_without_an_owner_sort_last_by_owner(client, leader, accounts):
    AccountFactory(name="Aardvark", owner=None)
    client.force_login(leader)

    assert names(client.get("/", {"sort": "owner"}))[-1] == "Aardvark"
    assert names(client.get("/", {"sort": "-owner"}))[-1] == "Aardvark"


def test_the_sorted_columns_heading_says_so_and_links_to_the_reverse_order(
    client, leader, accounts
):
    client.force_login(leader)

    content = client.get("/", {"sort": "-mrr", "segment": "SMB"}).content.decode()

    assert 'aria-sort="descending"' in content
    assert 'href="?sort=mrr&amp;segment=SMB"' in content
    assert 'href="?sort=-open_tickets&amp;segment=SMB"' in content  # first click: most first


def test_the_list_shows_50_accounts_a_page(client, leader, db):
    snapshot_run()
    for number in range(51):
        SnapshotFactory(account=AccountFactory(name=f"Account {number:02d}"))
    client.force_login(leader)

    first, second = client.get("/"), client.get("/", {"page": "2"})

    assert len(names(first)) == 50
    assert names(second) == ["Account 50"]
    assert "Showing 51\u201351 of 51" in second.content.decode()


def test_page_links_keep_the_filters_and_the_sort(client, leader, db):
    snapshot_run()
    for number in range(55):
        SnapshotFactory(account=AccountFactory(name=f"Account {number:02d}", segment="SMB"))
    client.force_login(leader)

    content = client.get("/", {"segment": "SMB", "sort": "-name"}).content.decode()

    # The next link carries the keyset cursor (web/keyset.py) beside the filters and the sort.
    assert re.search(r'href="\?segment=SMB&amp;sort=-name&amp;after=[^"]+" rel="next"', content)


# The list: export


def test_the_export_has_the_current_filter_and_sort_on_every_page(client, leader, accounts):
    client.force_login(leader)

    response = client.get("/accounts/export.csv", {"segment": "SMB", "sort": "-mrr", "page": 1})
    rows = csv_rows(response)

    assert rows[0][:3] == ["External id", "Account", "Owner"]
    assert [row[1] for row in rows[1:]] == ["Initech", "Globex"]
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="accounts-2025-03-31.csv"'


def test_the_export_writes_the_snapshot_figures(client, alice, accounts):
    client.force_login(alice)

    rows = csv_rows(client.get("/accounts/export.csv", {"q": "acme"}))
    row = dict(zip(rows[0], rows[1], strict=True))

    assert row["MRR"] == "5000.00"
    assert row["ARR"] == "60000.00"
    assert row["Health score"] == "85.00"
    assert row["Health band"] == "green"
    assert row["Health change (30 days)"] == "5.00"
    assert row["Renewal date"] == "2025-04-20"
    assert row["Owner"] == "Alice"


@pytest.mark.parametrize("prefix", ["=", "+", "-", "@"])
def test_the_export_neutralises_spreadsheet_formulas(client, leader, run, prefix):
    AccountFactory(name=f'{prefix}HYPERLINK("http://evil.example","click")', segment=f"{prefix}1+1")
    client.force_login(leader)

    rows = csv_rows(client.get("/accounts/export.csv"))

    assert rows[1][1] == f'\'{prefix}HYPERLINK("http://evil.example","click")'
    assert rows[1][3] == f"'{prefix}1+1"


def test_negative_figures_stay_numbers_in_the_export(client, alice, accounts):
    client.force_login(alice)

    rows = csv_rows(client.get("/accounts/export.csv", {"q": "globex"}))

    assert rows[1][rows[0].index("Health change (30 days)")] == "-25.00"


def test_the_list_links_the_export_with_the_current_filters(client, leader, accounts):
    client.force_login(leader)

    content = client.get("/", {"segment": "SMB", "page": "1"}).content.decode()

    assert 'href="/accounts/export.csv?segment=SMB"' in content


# Query counts


def portfolio(size: int, owner) -> None:
    for number in range(size):
        account = AccountFactory(owner=owner, name=f"Account {number:03d}")
        SnapshotFactory(account=account, health_score=40.0 + number % 50)
        SnapshotFactory(account=account, as_of=EARLIER)


@pytest.mark.parametrize("size", [3, 30])
def test_the_list_costs_the_same_queries_for_3_or_30_accounts(
    client, leader, alice, run, size, django_assert_max_num_queries
):
    portfolio(size, alice)
    client.force_login(leader)

    # session, user, 2 permission reads, snapshot run, imports, connectors, filter values (2),
    # company groups, custom fields, count, page (in two parts: the scored rows off the
    # score index, then the unscored), open alerts
    with django_assert_max_num_queries(15):
        assert client.get("/", {"sort": "-health"}).status_code == 200


@pytest.mark.parametrize("size", [3, 30])
def test_the_export_costs_the_same_queries_for_3_or_30_accounts(
    client, leader, alice, run, size, django_assert_max_num_queries
):
    portfolio(size, alice)
    client.force_login(leader)

    # the list's queries but the page's (imports, open alerts, a count and a page: one stream),
    # and the export's audit entry
    with django_assert_max_num_queries(12):
        assert len(csv_rows(client.get("/accounts/export.csv"))) == size + 1


# Freshness, on every page


def test_every_page_says_how_fresh_the_data_is_and_when_each_source_was_imported(client, alice, db):
    yesterday = timezone.localdate() - timedelta(days=1)
    snapshot_run(yesterday)
    ImportLog.objects.create(kind="tickets", rows=10)
    ImportLog.objects.create(kind="usage", rows=10)
    account = AccountFactory(owner=alice)
    client.force_login(alice)

    for url in ("/", f"/accounts/{account.pk}/"):
        content = client.get(url).content.decode()
        assert f"Data as of <strong>{yesterday:%-d %b %Y}</strong>" in content
        assert "tickets just now" in content
        assert "usage just now" in content
        assert "nightly snapshot has not run" not in content


def test_a_snapshot_older_than_36_hours_shows_a_warning(client, alice, db):
    snapshot_run(timezone.localdate() - timedelta(days=3))
    client.force_login(alice)

    content = client.get("/").content.decode()

    assert 'class="freshness is-stale" role="alert"' in content
    assert "the nightly snapshot has not run since" in content


def test_staleness_is_measured_from_the_end_of_the_as_of_day():
    from metrics.freshness import DataFreshness

    run = SnapshotRun(as_of=date(2025, 3, 1), accounts=0, seconds=0, finished_at=timezone.now())
    end_of_day = datetime(2025, 3, 2, tzinfo=UTC)

    fresh = DataFreshness(run=run, imports=[], now=end_of_day + STALE_AFTER)
    stale = DataFreshness(run=run, imports=[], now=end_of_day + STALE_AFTER + timedelta(minutes=1))

    assert not fresh.is_stale
    assert stale.is_stale
    assert stale.age_hours == 36


# Navigation


def test_a_csm_sees_her_navigation_without_the_health_lab_or_admin(client, alice, db):
    client.force_login(alice)

    content = client.get("/").content.decode()

    assert '<a href="/" aria-current="page">My accounts</a>' in content
    assert 'href="/portfolio/"' in content
    assert 'href="/surveys/"' in content
    assert 'href="/health/lab/"' not in content
    assert 'href="/admin/"' not in content


def test_a_leader_sees_all_accounts_and_the_health_lab(client, leader, db):
    client.force_login(leader)

    content = client.get("/").content.decode()

    assert 'href="/?mine=1">My accounts' in content
    assert '<a href="/" aria-current="page">Accounts</a>' in content
    assert 'href="/health/lab/"' in content
    assert 'href="/admin/"' not in content


def test_staff_see_the_admin_link_and_everyone_logs_out_with_a_post(client, db):
    client.force_login(UserFactory(first_name="Ada", last_name="Admin", is_staff=True))

    content = client.get("/").content.decode()

    assert 'href="/admin/"' in content
    assert "Ada Admin" in content
    assert '<form method="post" action="/logout/">' in content


def test_the_login_page_has_labelled_fields(client, db):
    content = client.get("/login/").content.decode()

    assert '<label for="id_username">Username</label>' in content
    assert 'autocomplete="current-password"' in content


# The account 360 page


@pytest.fixture
def acme(alice, run):
    """Alice's Acme with a year of contracts, tickets, surveys, contacts, alerts and notes."""
    account = AccountFactory(
        name="Acme", owner=alice, segment="Enterprise", region="EMEA", lifecycle_stage="active"
    )
    ContractFactory(
        account=account,
        plan="Starter",
        start_date=date(2024, 1, 1),
        end_date=date(2024, 12, 31),
        mrr=Decimal("800.00"),
        seats=8,
    )
    ContractFactory(
        account=account,
        plan="Growth",
        start_date=date(2025, 1, 1),
        end_date=date(2025, 12, 31),
        mrr=Decimal("1200.00"),
        seats=12,
    )
    # Scored with a version of three components (usage trend, NPS, open tickets; weights 20,
    # 15, 10), NPS without a value: the other two share the 30 points of weight present.
    version = latest_version(
        health_model(
            [
                ("usage_trend", 20, -80, 40),
                ("nps_180d", 15, -100, 100),
                ("open_tickets", 10, 50, 0),
            ],
            name="Acme's",
            active=False,
        )
    )
    # Usage trend -20 scores 50, 32 open tickets 36: (20 x 50 + 10 x 36) / 30 = 45.33.
    SnapshotFactory(
        account=account,
        mrr=Decimal("1200.00"),
        seats=12,
        days_to_renewal=275,
        usage_trend=-20.0,
        nps_180d=None,
        open_tickets=32,
        health_score=45.33,
        health_model_version=version.pk,
        health_component_scores=[50.0, None, 36.0],
    )
    # 30 days earlier: usage trend 16 scored 80, 35 open tickets 30: (1600 + 300) / 30 = 63.33.
    SnapshotFactory(
        account=account,
        as_of=EARLIER,
        mrr=Decimal("1200.00"),
        usage_trend=16.0,
        nps_180d=None,
        open_tickets=35,
        health_score=63.33,
        health_model_version=version.pk,
        health_component_scores=[80.0, None, 30.0],
    )
    return account


def test_the_360_page_header_shows_revenue_plan_seats_renewal_owner_and_health(client, alice, acme):
    client.force_login(alice)

    response = client.get(f"/accounts/{acme.pk}/")
    content = response.content.decode()

    assert response.status_code == 200
    assert '<h1 id="account-name">Acme</h1>' in content
    assert "$1,200" in content and "$14,400" in content
    assert response.context["contract"].plan == "Growth"
    assert "in 275 days" in content
    assert "31 Dec 2025" in content
    assert "Alice" in content
    assert "band-yellow" in content
    assert "\u221218" in content  # 63 -> 45 in 30 days


def test_a_provisional_score_says_so(client, alice, run):
    account = AccountFactory(owner=alice)
    SnapshotFactory(account=account, is_onboarding=True)
    client.force_login(alice)

    assert ">Provisional</span>" in client.get(f"/accounts/{account.pk}/").content.decode()


def test_the_why_panel_lists_each_component_with_its_registry_definition(client, alice, acme):
    client.force_login(alice)

    response = client.get(f"/accounts/{acme.pk}/")
    content = response.content.decode()

    labels = [c["label"] for c in response.context["components"]]
    assert labels == ["Usage trend", "NPS (180 days)", "Open tickets"]
    # Each component opens its definition: in plain words, then the formula.
    assert "<summary>What is this?" in content
    assert (
        "Formula: (events in [D-29, D] - events in [D-59, D-30]) / events in [D-59, D-30] x 100."
        in content
    )
    assert "left out" in content  # NPS has no value


def test_the_why_panel_says_no_usage_in_60_days_when_the_trend_is_left_out_for_it(
    client, alice, run
):
    account = AccountFactory(owner=alice)
    version = latest_version(health_model([("usage_trend", 20, -50, 10)], active=False))
    SnapshotFactory(
        account=account, events_30d=0, events_prev_30d=0, usage_trend=None, health_score=None,
        health_model_version=version.pk, health_component_scores=[None],
    )  # fmt: skip
    client.force_login(alice)

    content = client.get(f"/accounts/{account.pk}/").content.decode()

    assert "No usage in the last 60 days</strong>: left out" in content


def test_the_360_page_of_a_churned_account_says_it_is_not_counted_in_a_band(client, alice, run):
    account = AccountFactory(owner=alice, lifecycle_stage="churned")
    SnapshotFactory(account=account, mrr=Decimal(0), arr=Decimal(0), health_score=12.0)
    client.force_login(alice)

    content = client.get(f"/accounts/{account.pk}/").content.decode()

    assert "Churned: no paying contract, not counted in a band" in content


def test_why_did_it_move_compares_30_days_ago_with_the_latest_by_default(client, alice, acme):
    client.force_login(alice)

    movement = client.get(f"/accounts/{acme.pk}/").context["movement"]

    assert movement["dates"] == (EARLIER, AS_OF)
    assert movement["summary"] == "Health fell 18 points: Usage trend -20, Open tickets +2"


def test_why_did_it_move_compares_the_dates_asked_for(client, alice, acme):
    client.force_login(alice)

    response = client.get(f"/accounts/{acme.pk}/", {"first": "2025-03-01", "second": "2025-03-31"})

    assert response.context["movement"]["dates"] == (EARLIER, AS_OF)
    assert "Health fell 18 points" in response.content.decode()


@pytest.mark.parametrize(
    ("params", "error"),
    [
        ({"first": "2025-03-31", "second": "2025-03-01"}, "Pick a date after the first one."),
        ({"first": "2025-03-01", "second": "2026-01-01"}, "The latest snapshot is of 31 Mar 2025."),
        ({"first": "yesterday", "second": "2025-03-31"}, "Enter a valid date."),
    ],
)
def test_why_did_it_move_explains_bad_dates_and_falls_back_to_the_defaults(
    client, alice, acme, params, error
):
    client.force_login(alice)

    response = client.get(f"/accounts/{acme.pk}/", params)

    assert response.status_code == 200
    assert error in response.content.decode()
    assert response.context["movement"]["dates"] == (EARLIER, AS_OF)


def test_dates_without_snapshots_say_there_is_nothing_to_compare(client, alice, acme):
    client.force_login(alice)

    response = client.get(f"/accounts/{acme.pk}/", {"first": "2025-01-01", "second": "2025-01-02"})

    assert "No snapshot on 1 Jan 2025 or 2 Jan 2025 to compare." in response.content.decode()


def test_the_360_page_draws_six_charts_with_plotly_loaded_once(client, alice, acme):
    client.force_login(alice)

    content = client.get(f"/accounts/{acme.pk}/").content.decode()

    for name in ("health", "mrr", "usage", "adoption", "tickets", "surveys"):
        assert f'id="chart-{name}"' in content
    assert content.count("vendor/plotly-basic.min.js") == 1
    assert "cdn.plot.ly" not in content


def test_the_health_chart_is_labelled_with_model_versions(client, alice, acme):
    model_version = HealthModelVersion.objects.select_related("model").first()
    SnapshotHealth.objects.filter(snapshot__account=acme, snapshot__as_of=EARLIER).update(
        model_version_id=-1
    )
    SnapshotHealth.objects.filter(snapshot__account=acme, snapshot__as_of=AS_OF).update(
        model_version_id=model_version.pk
    )
    client.force_login(alice)

    content = client.get(f"/accounts/{acme.pk}/").content.decode()

    assert f"{model_version.model.name} v{model_version.number}" in content


def test_the_latest_comments_put_detractors_first(client, alice, acme):
    SurveyResponseFactory(
        account=acme, score=10, comment="Love it", responded_at=datetime(2025, 3, 20, tzinfo=UTC)
    )
    SurveyResponseFactory(
        account=acme, score=2, comment="Too slow", responded_at=datetime(2025, 3, 1, tzinfo=UTC)
    )
    SurveyResponseFactory(
        account=acme,
        kind="csat",
        score=1,
        comment="Support was rude",
        responded_at=datetime(2025, 2, 1, tzinfo=UTC),
    )
    SurveyResponseFactory(
        account=acme, score=4, comment="", responded_at=datetime(2025, 3, 25, tzinfo=UTC)
    )
    client.force_login(alice)

    comments = client.get(f"/accounts/{acme.pk}/").context["comments"]

    assert [c.comment for c in comments] == ["Too slow", "Support was rude", "Love it"]


def test_contacts_mark_champions_and_who_left(client, alice, acme):
    ContactFactory(account=acme, name="Cara Champion", is_champion=True)
    ContactFactory(account=acme, name="Lee Left", left_on=date(2025, 2, 1))
    ContactFactory(account=acme, name="Ann Active")
    client.force_login(alice)

    response = client.get(f"/accounts/{acme.pk}/")
    content = response.content.decode()

    assert [c.name for c in response.context["contacts"]] == [
        "Cara Champion",
        "Ann Active",
        "Lee Left",
    ]
    assert ">Champion</span>" in content
    assert "Left Feb 2025" in content


def test_the_timeline_mixes_every_kind_of_event_newest_first(client, alice, acme):
    Alert.objects.create(account=acme, owner=alice, reason="score_drop", as_of=AS_OF)
    Note.objects.create(account=acme, author=alice, body="Called the CFO")
    TicketFactory(
        account=acme,
        subject="Export is broken",
        priority="urgent",
        opened_at=datetime(2025, 3, 10, tzinfo=UTC),
    )
    SurveyResponseFactory(
        account=acme, score=3, comment="Meh", responded_at=datetime(2025, 3, 12, tzinfo=UTC)
    )
    client.force_login(alice)

    timeline = client.get(f"/accounts/{acme.pk}/").context["timeline"]

    kinds = [entry.kind for entry in timeline]
    assert kinds[:2] == ["note", "alert"]  # both written today, the note last
    assert kinds[2:] == ["survey", "ticket", "contract"]  # Starter's end is Growth's renewal
    assert timeline[3].title == "Export is broken"
    assert timeline[4].title == "Growth renewed (800 → 1,200/month)"


def test_the_timeline_shows_a_bounded_number_of_each_kind(client, alice, acme):
    for day in range(1, 20):
        TicketFactory(account=acme, opened_at=datetime(2025, 3, day, tzinfo=UTC))
    client.force_login(alice)

    timeline = client.get(f"/accounts/{acme.pk}/").context["timeline"]

    assert sum(1 for entry in timeline if entry.kind == "ticket") == 6


def test_the_360_page_of_an_account_without_snapshots_still_renders(client, alice, run):
    account = AccountFactory(owner=alice, name="Fresh")
    client.force_login(alice)

    response = client.get(f"/accounts/{account.pk}/")

    assert response.status_code == 200
    assert "No snapshot of this account yet" in response.content.decode()
    assert "No health score yet" in response.content.decode()


def test_champion_left_says_its_90_day_window_beside_a_champion_who_left_earlier(
    client, alice, run
):
    """ "Champion left: No" beside a champion listed "Left May" read as a contradiction: the
    figure is a 90-day window and says so."""
    account = AccountFactory(owner=alice)
    ContactFactory(
        account=account, name="Cara Champion", is_champion=True, left_on=AS_OF - timedelta(150)
    )
    version = latest_version(health_model([("champion_left_90d", 10, 1, 0)], active=False))
    SnapshotFactory(
        account=account,
        champion_left_90d=0,
        health_score=100.0,
        health_model_version=version.pk,
        health_component_scores=[100.0],
    )
    client.force_login(alice)

    content = client.get(f"/accounts/{account.pk}/").content.decode()

    assert f"Left {AS_OF - timedelta(150):%b %Y}" in content
    assert ">Champion left in the last 90 days<details" in content
    assert ">Champion left<" not in content


def at_noon(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, datetime.min.time()).replace(hour=12))


def test_a_survey_score_of_the_why_panel_says_how_many_answers_it_comes_from(client, alice, run):
    account = AccountFactory(owner=alice)
    SurveyResponseFactory(account=account, kind="nps", score=10, responded_at=at_noon(AS_OF))
    SurveyResponseFactory(
        account=account, kind="nps", score=2, responded_at=at_noon(AS_OF - timedelta(200))
    )
    version = latest_version(health_model([("nps_180d", 10, -100, 100)], active=False))
    SnapshotFactory(
        account=account,
        nps_180d=100.0,
        health_score=100.0,
        health_model_version=version.pk,
        health_component_scores=[100.0],
    )
    client.force_login(alice)

    response = client.get(f"/accounts/{account.pk}/")

    assert [c["answers"] for c in response.context["components"]] == [1]
    assert '<span class="muted small" data-figure="answers">1 answer</span>' in (
        response.content.decode()
    )


def test_every_figure_of_the_header_carries_its_definition(client, alice, acme):
    client.force_login(alice)

    content = client.get(f"/accounts/{acme.pk}/").content.decode()

    for definition in (
        "The account&#x27;s MRR on D",
        "12 x the account&#x27;s MRR.",
        "Sum of seats of the contracts active on D.",
        "Earliest end date among active contracts with one",
        "Weighted mean of the health model&#x27;s component scores",
    ):
        assert definition in content


# Notes


def test_a_csm_adds_a_note_and_sees_it_on_the_page(client, alice, acme):
    client.force_login(alice)

    response = client.post(f"/accounts/{acme.pk}/notes/", {"body": "  Renewal call booked  "})

    assert response.status_code == 302
    assert response["Location"] == f"/accounts/{acme.pk}/#notes"
    note = Note.objects.get()
    assert (note.account, note.author, note.body) == (acme, alice, "Renewal call booked")
    assert "Renewal call booked" in client.get(response["Location"]).content.decode()


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ("", "This field is required."),
        ("   ", "This field is required."),
        ("x" * 10_001, "Ensure this value has at most 10000 characters (it has 10001)."),
    ],
)
def test_an_invalid_note_is_refused_with_its_error_shown(client, alice, acme, body, error):
    client.force_login(alice)

    response = client.post(f"/accounts/{acme.pk}/notes/", {"body": body})

    assert response.status_code == 400
    assert error in response.content.decode()
    assert 'aria-invalid="true" aria-describedby="body-error"' in response.content.decode()
    assert not Note.objects.exists()


def test_a_note_needs_the_csrf_token(alice, acme):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)

    response = client.post(f"/accounts/{acme.pk}/notes/", {"body": "Sneaky"})

    assert response.status_code == 403
    assert not Note.objects.exists()


def test_a_csm_cannot_add_a_note_to_another_csms_account(client, bob, acme):
    client.force_login(bob)

    assert client.post(f"/accounts/{acme.pk}/notes/", {"body": "Hi"}).status_code == 404
    assert not Note.objects.exists()


def test_a_leader_reads_notes_but_may_not_add_them(client, leader, acme):
    client.force_login(leader)

    page = client.get(f"/accounts/{acme.pk}/").content.decode()
    assert f'action="/accounts/{acme.pk}/notes/"' not in page
    assert client.post(f"/accounts/{acme.pk}/notes/", {"body": "Hi"}).status_code == 403


def test_notes_are_only_posted(client, alice, acme):
    client.force_login(alice)

    assert client.get(f"/accounts/{acme.pk}/notes/").status_code == 405


# Query counts of the 360 page


def history_of(account, alice, size: int) -> None:
    """`size` days of snapshots and `size` of every raw record, all within the last year."""
    for offset in range(1, size + 1):
        day = AS_OF - timedelta(days=offset)
        moment = datetime.combine(day, datetime.min.time(), tzinfo=UTC)
        if day != EARLIER:
            SnapshotFactory(account=account, as_of=day, health_model_version=offset % 2 or None)
        TicketFactory(account=account, opened_at=moment, first_response_at=moment)
        SurveyResponseFactory(
            account=account,
            responded_at=moment,
            comment="ok",
            contact=ContactFactory(account=account),
        )
        ContractFactory(account=account, start_date=day, end_date=day + timedelta(days=5))
        Note.objects.create(account=account, author=alice, body="note")
        Alert.objects.create(
            account=account,
            owner=alice,
            reason="detractor",
            as_of=day,
            status="closed",
            acknowledged_by=alice,
        )
        SentimentOverride.objects.create(account=account, author=alice, band="red", reason="x")


@pytest.mark.parametrize("size", [3, 30])
def test_the_360_page_costs_the_same_queries_whatever_the_history(
    client, alice, acme, size, django_assert_max_num_queries
):
    history_of(acme, alice, size)
    client.force_login(alice)

    # session, user, 2 permission reads, account, imports, connectors, snapshot run, snapshot,
    # history and its scores, contracts, tickets, surveys, alerts, their acknowledgers, overrides,
    # notes, why_moved, the labels of the history's model versions (it has two), thresholds,
    # contacts, the owner's name, for a CSM the survey controls (open invitations, active
    # surveys), tasks and playbook runs (the timeline), the custom fields and the company group's
    # members (none here; a parent's page adds its roll-up: test_groups_and_fields), and the
    # churn probabilities of the date with their models (30 in all)
    with django_assert_max_num_queries(30):
        assert client.get(f"/accounts/{acme.pk}/").status_code == 200
    assert SurveyResponse.objects.filter(account=acme).count() == size


def test_a_csm_home_lists_her_open_alerts_and_a_leader_sees_everyones(client, alice, bob, leader):
    from healthscores.models import Alert, AlertStatus

    mine = AccountFactory(owner=alice, name="Alice Co")
    theirs = AccountFactory(owner=bob, name="Bob Co")
    Alert.objects.create(account=mine, owner=alice, reason="entered_red", as_of=date(2024, 3, 31))
    Alert.objects.create(account=theirs, owner=bob, reason="champion_left", as_of=date(2024, 3, 31))
    Alert.objects.create(account=mine, owner=alice, reason="score_drop", as_of=date(2024, 3, 1),
                         status=AlertStatus.CLOSED)  # fmt: skip

    client.force_login(alice)
    page = client.get("/").content.decode()
    assert "Open alerts" in page and "Entered red" in page
    assert "Champion left" not in page and "Health fell 15+" not in page

    client.force_login(leader)
    page = client.get("/").content.decode()
    assert "Entered red" in page and "Champion left" in page
