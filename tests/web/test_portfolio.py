"""The portfolio pages: the dashboard, its CSV, the drill-downs, and who sees what.

The figures come from `march_portfolio` (tests/metrics/conftest.py), computed at the end of
February and of March 2024. MRR on 02-29: steady 1000 + expands 500 + shrinks 800 + churns 600 +
ended-feb 400 = 3300. On 03-31: steady 1000 + expands 800 + shrinks 600 + new 250 + reactivated
350 = 3000. alice owns steady, shrinks and new (1850 on 03-31); bob owns expands, churns-mid-march
and reactivated (1150); SMB is new + reactivated (600).
"""

import csv
import io
from datetime import date
from decimal import Decimal

import pytest

from core.exports import csv_cell
from metrics.dashboard import HEADLINE_KEYS
from metrics.models import KpiTarget
from metrics.registry import PORTFOLIO, PORTFOLIO_KPIS
from tests.factories import AccountFactory, SurveyResponseFactory, TicketFactory
from tests.metrics.conftest import at, contract, recompute

END_OF_FEBRUARY = date(2024, 2, 29)
END_OF_MARCH = date(2024, 3, 31)


@pytest.fixture
def portfolio(march_portfolio):
    recompute(END_OF_FEBRUARY, END_OF_MARCH)
    return march_portfolio


@pytest.fixture
def as_leader(client, leader):
    client.force_login(leader)
    return client


@pytest.fixture
def as_alice(client, alice):
    client.force_login(alice)
    return client


def dashboard(client, **params):
    response = client.get("/portfolio/", params)
    assert response.status_code == 200
    return response


def mrr_on_page(client, **params):
    return dashboard(client, **params).context["board"].current["mrr"]


def csv_rows(response) -> list[list[str]]:
    assert response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode()
    return list(csv.reader(io.StringIO(text)))


def drill_names(response) -> list[str]:
    return [row["cells"][0]["value"] for row in response.context["table"]]


# Access


@pytest.mark.parametrize("url", ["/portfolio/", "/portfolio/export.csv", "/portfolio/drill/mrr/"])
def test_an_anonymous_visitor_is_sent_to_the_login_page(client, db, url):
    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"] == f"/login/?next={url}"


def test_a_leader_sees_the_whole_portfolio(as_leader, portfolio):
    response = dashboard(as_leader)

    assert response.context["board"].current["mrr"] == Decimal(3000)
    assert response.context["whole_portfolio"] is True
    assert b"All accounts" in response.content


def test_a_csm_sees_the_figures_of_her_own_accounts_only(as_alice, portfolio):
    response = dashboard(as_alice)

    assert response.context["board"].current["mrr"] == Decimal(1850)
    assert response.context["whole_portfolio"] is False
    assert b"Your accounts" in response.content


def test_a_csm_cannot_see_another_owners_accounts_by_asking_for_them(as_alice, portfolio, bob):
    assert mrr_on_page(as_alice, owner=bob.pk) == Decimal(1850)


def test_a_csm_is_offered_no_owner_filter(as_alice, portfolio):
    response = dashboard(as_alice)

    assert b'name="owner"' not in response.content


def test_the_page_without_snapshots_says_how_to_compute_them(as_leader, db):
    response = dashboard(as_leader)

    assert "board" not in response.context
    assert b"recompute_snapshots" in response.content


# The month picker and the filters


def test_the_page_shows_the_latest_month_by_default(as_leader, portfolio):
    response = dashboard(as_leader)

    assert response.context["board"].as_of == END_OF_MARCH
    assert response.context["board"].compared_with == END_OF_FEBRUARY


def test_the_month_picker_shows_a_month_on_its_last_computed_date(as_leader, portfolio):
    recompute(date(2024, 2, 10))

    response = dashboard(as_leader, month="2024-02")

    assert response.context["board"].as_of == END_OF_FEBRUARY
    assert response.context["board"].current["mrr"] == Decimal(3300)


def test_the_page_opens_on_the_last_complete_month_not_a_month_to_date(as_leader, march_portfolio):
    recompute(END_OF_FEBRUARY, date(2024, 3, 2))

    response = dashboard(as_leader)

    assert response.context["board"].as_of == END_OF_FEBRUARY
    assert b"full month" in response.content
    assert b'<option value="2024-02" selected>' in response.content


def test_the_page_opens_on_the_month_to_date_when_no_month_is_complete(as_leader, march_portfolio):
    recompute(date(2024, 3, 2))

    assert dashboard(as_leader).context["board"].as_of == date(2024, 3, 2)


def test_the_current_month_is_shown_on_its_latest_date(as_leader, march_portfolio):
    recompute(END_OF_FEBRUARY, date(2024, 3, 15))

    response = dashboard(as_leader, month="2024-03")

    assert response.context["board"].as_of == date(2024, 3, 15)
    # Nothing computed in February on or before the 15th: month to date is not compared with a
    # whole month.
    assert response.context["board"].compared_with is None
    assert b"month to date, as of 15 Mar" in response.content


def test_every_tile_compares_with_the_previous_month(as_leader, portfolio):
    tile = dashboard(as_leader).context["board"].tiles["mrr"]

    assert (tile.value, tile.previous, tile.delta) == (Decimal(3000), Decimal(3300), -300)
    assert tile.tone == "bad"


def test_the_segment_filter_applies_to_every_figure(as_leader, portfolio):
    board = dashboard(as_leader, segment="SMB").context["board"]

    assert board.current["mrr"] == Decimal(600)
    assert board.tiles["mrr"].previous == Decimal(400)  # ended-feb, SMB, paid on 02-29
    assert board.series.of("mrr")[-1] == Decimal(600)


def test_the_owner_filter_applies_to_every_figure(as_leader, portfolio, bob):
    assert mrr_on_page(as_leader, owner=bob.pk) == Decimal(1150)


def test_the_region_filter_applies_to_every_figure(as_leader, portfolio):
    steady = portfolio["steady"]
    steady.region = "North America"
    steady.save()

    assert mrr_on_page(as_leader, region="North America") == Decimal(1000)


def test_filters_combine(as_leader, portfolio, alice):
    assert mrr_on_page(as_leader, segment="SMB", owner=alice.pk) == Decimal(250)


@pytest.mark.parametrize(
    "params",
    [
        {"month": "2099-01"},
        {"month": "March"},
        {"segment": "Nope"},
        {"region": "<script>alert(1)</script>"},
        {"owner": "abc"},
        {"owner": "999999"},
        {"page": "-1", "format": "xml"},
        {"period": "5y"},
    ],
)
def test_a_bad_parameter_falls_back_to_its_default(as_leader, portfolio, params):
    response = dashboard(as_leader, **params)

    assert response.context["board"].as_of == END_OF_MARCH
    assert response.context["board"].current["mrr"] == Decimal(3000)
    assert b"<script>alert(1)" not in response.content


def test_a_bad_parameter_does_not_drop_the_good_ones(as_leader, portfolio):
    assert mrr_on_page(as_leader, segment="SMB", owner="abc", month="bad") == Decimal(600)


def test_links_keep_the_month_and_filters(as_leader, portfolio):
    response = dashboard(as_leader, month="2024-02", segment="SMB")

    assert b"/portfolio/drill/mrr/?month=2024-02&amp;segment=SMB" in response.content
    assert b"/portfolio/export.csv?month=2024-02&amp;segment=SMB" in response.content


# Trailing periods (the figures themselves: tests/metrics/test_trailing_periods.py)


def test_the_page_offers_the_month_and_the_trailing_3_and_12_months(as_leader, portfolio):
    response = dashboard(as_leader)

    assert response.context["params"].period == "month"
    page = response.content.decode()
    assert '<select name="period">' in page
    for value, label in (("month", "That month"), ("3m", "Trailing 3 months")):
        assert f'<option value="{value}"' in page and label in page
    assert "Trailing 12 months" in page


def test_a_trailing_period_says_its_months_and_what_each_tile_covers(as_leader, portfolio):
    response = dashboard(as_leader, period="3m")

    board = response.context["board"]
    assert board.period.label == "Jan\N{EN DASH}Mar 2024"
    page = response.content.decode()
    assert "Trailing 3 months: Jan\N{EN DASH}Mar 2024" in page
    assert "(1 Jan 2024 to 31 Mar 2024)" in page
    # January was never computed: the page says so, and has nothing to compare with.
    assert "Jan 2024 missing" in page
    assert board.previous_period is None
    assert "no comparison: the 3 months before are not all computed" in page
    assert board.tiles["mrr"].scope == "on 31 Mar 2024"
    assert '<span class="pf-tile-scope" data-figure="scope">on 31 Mar 2024</span>' in page
    # The flows of the months computed, February's and March's, summed.
    february, march = board.series.of("net_new_mrr")[-2:]
    assert board.tiles["net_new_mrr"].value == february + march


def test_links_keep_the_period(as_leader, portfolio):
    response = dashboard(as_leader, period="12m")

    assert b"/portfolio/drill/mrr/?month=2024-03&amp;period=12m" in response.content
    assert b"/portfolio/export.csv?month=2024-03&amp;period=12m" in response.content
    assert b"Clear filters" not in response.content


def test_the_export_covers_the_period_asked_for(as_leader, portfolio):
    rows = csv_rows(as_leader.get("/portfolio/export.csv", {"period": "3m"}))

    by_key = {row[0]: row for row in rows[1:]}
    assert by_key["net_new_mrr"][7] == "Jan\N{EN DASH}Mar 2024"
    assert by_key["mrr"][7] == "on 31 Mar 2024"


@pytest.mark.parametrize("period", ["3m", "12m"])
def test_a_trailing_period_runs_the_same_number_of_queries(
    as_leader, period, django_assert_max_num_queries
):
    build_portfolio(30)

    with django_assert_max_num_queries(DASHBOARD_QUERY_BUDGET):
        response = as_leader.get("/portfolio/", {"segment": "SMB", "period": period})

    assert response.status_code == 200
    assert response.context["board"].current["active_customers"] == 15


# Tiles, charts and targets


def test_there_is_a_tile_for_every_portfolio_kpi_grouped(as_leader, portfolio):
    response = dashboard(as_leader)

    keys = [item["tile"].kpi.key for group in response.context["groups"] for item in group["tiles"]]
    assert sorted(keys) == sorted(kpi.key for kpi in PORTFOLIO_KPIS)
    assert [group["group"] for group in response.context["groups"]][:3] == [
        "Revenue",
        "Retention",
        "Customers",
    ]
    for kpi in PORTFOLIO_KPIS:
        assert f'data-kpi="{kpi.key}"'.encode() in response.content


def test_every_tile_explains_itself_in_a_disclosure_not_a_tooltip(as_leader, portfolio):
    page = dashboard(as_leader).content.decode()

    assert (
        'class="pf-tile' in page and "title=" not in page.split('<section class="pf-headline"')[1]
    )
    assert page.count('<details class="pf-def">') == len(PORTFOLIO_KPIS) + len(HEADLINE_KEYS)
    arr = PORTFOLIO["arr"]
    assert f"<p>{arr.plain}</p>" in page
    assert f"Formula: {arr.definition}" in page


@pytest.mark.parametrize("kpi", PORTFOLIO_KPIS, ids=lambda kpi: kpi.key)
def test_every_portfolio_kpi_has_a_plain_definition_without_spec_notation(kpi):
    assert len(kpi.plain) > 20
    for notation in ("<=", ">=", " x 100", "m0", "m1", " D ", " D.", " P ", "[", "_"):
        assert notation not in kpi.plain, notation


def test_the_headline_shows_retention_over_twelve_months_with_the_month_beside(
    as_leader, portfolio
):
    response = dashboard(as_leader)

    headline = {item["tile"].kpi.key: item for item in response.context["headline"]}
    assert "nrr_12m" in headline and "grr_12m" in headline
    assert "nrr" not in headline and "grr" not in headline
    assert headline["nrr_12m"]["beside"].kpi.key == "nrr"
    assert headline["grr_12m"]["beside"].kpi.key == "grr"
    page = response.content.decode()
    assert "Net revenue retention this month:" in page
    assert "Gross revenue retention this month:" in page


def test_a_survey_score_tile_says_how_many_answers_it_comes_from(as_leader, portfolio):
    SurveyResponseFactory(account=AccountFactory(), score=10, responded_at=at("2024-03-05"))
    recompute(END_OF_MARCH)

    response = dashboard(as_leader)

    nps = next(
        item
        for group in response.context["groups"]
        for item in group["tiles"]
        if item["tile"].kpi.key == "nps"
    )
    assert nps["answers"] == 1
    assert '<span class="pf-tile-n" data-figure="answers">1 answer</span>' in (
        response.content.decode()
    )


def test_the_page_embeds_every_chart(as_leader, portfolio):
    response = dashboard(as_leader)

    charts = response.context["charts"]
    assert set(charts) == {"movements", "retention", "logos", "health", "sentiment", "renewals"}
    for name in charts:
        assert f'data-chart="{name}"'.encode() in response.content
    assert b'id="portfolio-charts"' in response.content
    assert b"vendor/plotly-basic.min.js" in response.content


def test_a_target_is_shown_with_how_close_the_figure_is(as_leader, portfolio):
    KpiTarget.objects.create(key="mrr", target=Decimal(4000))

    response = dashboard(as_leader)

    tile = response.context["board"].tiles["mrr"]
    assert (tile.target, tile.attainment, tile.target_met) == (Decimal(4000), 75, False)
    assert b"Target $4,000 \xc2\xb7 75%" in response.content


def test_a_portfolio_mrr_target_is_not_shown_against_a_csms_own_accounts(as_alice, portfolio):
    KpiTarget.objects.create(key="mrr", target=Decimal(4000))
    KpiTarget.objects.create(key="nrr", target=Decimal(100))

    tiles = dashboard(as_alice).context["board"].tiles

    assert tiles["mrr"].target is None
    assert tiles["nrr"].target == Decimal(100)


def test_a_segment_target_is_shown_when_that_segment_is_filtered(as_leader, portfolio):
    KpiTarget.objects.create(key="mrr", segment="SMB", target=Decimal(600))

    tile = dashboard(as_leader, segment="SMB").context["board"].tiles["mrr"]

    assert (tile.target, tile.target_met) == (Decimal(600), True)


# Speed


def build_portfolio(size: int) -> None:
    """`size` paying accounts with a ticket and an NPS answer each, over four months."""
    for n in range(size):
        account = AccountFactory(segment=("SMB", "Enterprise")[n % 2], region=("EMEA", "NA")[n % 2])
        contract(account, "2023-12-01", None, 100 + n)
        TicketFactory(account=account, opened_at=at("2024-03-02 09:00"))
        SurveyResponseFactory(account=account, score=n % 11, responded_at=at("2024-03-05"))
    recompute(date(2024, 1, 31), date(2024, 2, 29), date(2024, 3, 15), date(2024, 3, 31))


# Whatever the data size: session, user and two permission reads (4); the layout's freshness
# line (2) and its connectors (1); the page's months, filter options, company groups, targets,
# comparison date, the grouped totals of every month and their costs, renewal windows, biggest
# renewals and accounts at risk (10).
DASHBOARD_QUERY_BUDGET = 18


@pytest.mark.parametrize("size", [3, 30])
def test_the_dashboard_runs_a_fixed_number_of_queries(
    as_leader, size, django_assert_max_num_queries
):
    build_portfolio(size)

    with django_assert_max_num_queries(DASHBOARD_QUERY_BUDGET):
        response = as_leader.get("/portfolio/", {"segment": "SMB"})

    assert response.status_code == 200
    assert response.context["board"].current["active_customers"] == (size + 1) // 2


@pytest.mark.parametrize("size", [3, 30])
def test_a_drill_down_runs_a_fixed_number_of_queries(
    as_leader, size, django_assert_max_num_queries
):
    build_portfolio(size)

    with django_assert_max_num_queries(14):  # 13 and the filter's company groups
        response = as_leader.get("/portfolio/drill/mrr/")

    assert len(response.context["table"]) == size


# Exports


def test_the_tiles_export_as_csv(as_leader, portfolio):
    KpiTarget.objects.create(key="mrr", target=Decimal(4000))

    rows = csv_rows(as_leader.get("/portfolio/export.csv"))

    assert rows[0] == [
        "key", "label", "value", "unit", "previous", "target", "definition", "covers"
    ]  # fmt: skip
    assert [row[0] for row in rows[1:]] == [kpi.key for kpi in PORTFOLIO_KPIS]
    mrr = rows[1]
    assert mrr[:6] == ["mrr", "MRR", "3000.00", "money", "3300.00", "4000.00"]
    assert mrr[6].startswith("Monthly recurring revenue")
    assert mrr[7] == "on 31 Mar 2024"


def test_the_tiles_export_follows_the_filters_and_the_access_rule(as_alice, portfolio):
    rows = csv_rows(as_alice.get("/portfolio/export.csv", {"segment": "SMB"}))

    assert rows[1][2] == "250.00"  # alice's only SMB account: new


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("=SUM(A1:A9)", "'=SUM(A1:A9)"),
        ("+1+2", "'+1+2"),
        ("-2+3", "'-2+3"),
        ("@cmd", "'@cmd"),
        ("\tTAB", "'\tTAB"),
        ("Acme", "Acme"),
        (Decimal("-12.345"), Decimal("-12.35")),  # a number is not a formula
        (True, "yes"),
        (None, ""),
        (date(2024, 3, 1), "2024-03-01"),
    ],
)
def test_a_csv_cell_neutralises_formulas(value, cell):
    assert csv_cell(value) == cell


# Drill-downs


def test_a_movement_drill_down_lists_each_account_with_its_amount(as_leader, portfolio):
    response = as_leader.get("/portfolio/drill/churned_mrr/")

    assert response.status_code == 200
    rows = {row["cells"][0]["value"]: row["cells"] for row in response.context["table"]}
    assert set(rows) == {"Churns-Mid-March", "Ended-Feb"}
    labels = [column.label for column in response.context["drill"].columns]
    amount = labels.index("Movement amount")
    assert rows["Churns-Mid-March"][amount]["value"] == Decimal(600)
    assert rows["Ended-Feb"][amount]["value"] == Decimal(400)


def test_the_net_new_drill_down_lists_every_movement(as_leader, portfolio):
    names = drill_names(as_leader.get("/portfolio/drill/net_new_mrr/"))

    assert sorted(names) == [
        "Churns-Mid-March",
        "Ended-Feb",
        "Expands",
        "New",
        "Reactivated",
        "Shrinks",
    ]


def test_a_drill_down_follows_the_month_and_filters(as_leader, portfolio):
    response = as_leader.get("/portfolio/drill/mrr/", {"month": "2024-02", "segment": "SMB"})

    assert drill_names(response) == ["Ended-Feb"]


def test_a_csm_drills_into_her_own_accounts_only(as_alice, portfolio):
    names = drill_names(as_alice.get("/portfolio/drill/mrr/"))

    assert sorted(names) == ["New", "Shrinks", "Steady"]


@pytest.fixture
def answers(portfolio):
    steady, expands = portfolio["steady"], portfolio["expands"]
    SurveyResponseFactory(
        account=steady, score=10, responded_at=at("2024-03-05"), comment="=HYPERLINK(1)"
    )
    SurveyResponseFactory(account=steady, score=3, responded_at=at("2024-03-31 23:30"))
    SurveyResponseFactory(account=expands, score=8, responded_at=at("2024-03-10"))
    SurveyResponseFactory(account=steady, score=9, responded_at=at("2024-02-28"))  # February
    SurveyResponseFactory(account=steady, kind="csat", score=5, responded_at=at("2024-03-05"))
    recompute(END_OF_MARCH)


def test_the_nps_drill_down_lists_the_periods_responses(as_leader, answers):
    response = as_leader.get("/portfolio/drill/nps/")

    table = response.context["table"]
    assert [(row["cells"][0]["value"], row["cells"][4]["value"]) for row in table] == [
        ("Steady", 3),
        ("Expands", 8),
        ("Steady", 10),
    ]
    assert [row["cells"][5]["value"] for row in table] == ["detractor", "passive", "promoter"]
    assert response.context["page"].paginator.count == 3


def test_a_csm_sees_only_her_own_accounts_responses(as_alice, answers):
    names = drill_names(as_alice.get("/portfolio/drill/nps/"))

    assert names == ["Steady", "Steady"]


def test_the_nps_export_neutralises_a_formula_in_a_comment(as_leader, answers):
    rows = csv_rows(as_leader.get("/portfolio/drill/nps/", {"format": "csv"}))

    assert rows[0] == ["Account", "Owner", "Responded", "Contact", "Score", "Category", "Comment"]
    assert len(rows) == 4
    assert rows[3][6] == "'=HYPERLINK(1)"


def test_an_account_name_that_looks_like_a_formula_is_neutralised_in_the_export(
    as_leader, portfolio
):
    steady = portfolio["steady"]
    steady.name = "-2+3+cmd|' /C calc'!A0"
    steady.save()

    rows = csv_rows(as_leader.get("/portfolio/drill/mrr/", {"format": "csv"}))

    assert "'-2+3+cmd|' /C calc'!A0" in [row[0] for row in rows]


def test_the_renewal_rate_drill_down_lists_eligible_contracts_and_whether_they_renewed(
    as_leader, portfolio
):
    response = as_leader.get("/portfolio/drill/renewal_rate/")

    labels = [column.label for column in response.context["drill"].columns]
    rows = [
        {label: cell["value"] for label, cell in zip(labels, row["cells"], strict=True)}
        for row in response.context["table"]
    ]
    # shrinks' first contract ends 03-05 and its next starts 03-06: renewed. churns-mid-march's
    # ends 03-20 with no successor. ended-feb's ends in February: not eligible in March.
    assert [(row["Account"], row["End"], row["Renewed"]) for row in rows] == [
        ("Shrinks", date(2024, 3, 5), True),
        ("Churns-Mid-March", date(2024, 3, 20), False),
    ]
    assert rows[0]["Renewed by"] != ""
    tile = dashboard(as_leader).context["board"].tiles["renewal_rate"]
    assert tile.value == 50  # the tile counts the same contracts: 1 renewed of 2


def test_a_generic_drill_down_lists_the_snapshot_rows_with_their_columns(as_leader, portfolio):
    response = as_leader.get("/portfolio/drill/acv/")

    labels = [column.label for column in response.context["drill"].columns]
    assert labels[-3:] == [
        "Contracts started",
        "ARR of contracts started",
        "TCV of contracts started",
    ]
    # Contracts starting in March: shrinks 600, reactivated 350, expands 300, new 250 (x 12).
    arr = {row["cells"][0]["value"]: row["cells"][-2]["value"] for row in response.context["table"]}
    assert arr == {
        "Shrinks": Decimal(7200),
        "Reactivated": Decimal(4200),
        "Expands": Decimal(3600),
        "New": Decimal(3000),
    }


def test_the_open_tickets_drill_down_lists_the_tickets(as_leader, portfolio):
    TicketFactory(account=portfolio["steady"], subject="Still broken", opened_at=at("2024-03-01"))
    TicketFactory(
        account=portfolio["new"],
        subject="Fixed",
        opened_at=at("2024-03-01"),
        resolved_at=at("2024-03-02"),
    )

    response = as_leader.get("/portfolio/drill/open_tickets/")

    assert [row["cells"][3]["value"] for row in response.context["table"]] == ["Still broken"]


def test_drill_downs_are_paginated(as_leader, portfolio):
    for day in range(55):
        SurveyResponseFactory(
            account=portfolio["steady"], responded_at=at(f"2024-03-{1 + day % 28:02d}")
        )

    first = as_leader.get("/portfolio/drill/nps_responses/")
    second = as_leader.get("/portfolio/drill/nps_responses/", {"page": 2})

    assert len(first.context["table"]) == 50
    assert len(second.context["table"]) == 5
    assert b"Page 1 of 2" in first.content


def test_every_registry_key_and_panel_has_a_drill_down(as_leader, portfolio):
    for key in [kpi.key for kpi in PORTFOLIO_KPIS] + ["renewals", "at_risk", "health"]:
        assert as_leader.get(f"/portfolio/drill/{key}/").status_code == 200, key


def test_an_unknown_drill_down_is_not_found(as_leader, portfolio):
    assert as_leader.get("/portfolio/drill/nope/").status_code == 404


# Drill-downs show what changed


def test_the_nrr_drill_down_opens_on_the_accounts_that_moved_biggest_change_first(
    as_leader, portfolio
):
    response = as_leader.get("/portfolio/drill/nrr/")

    # Paying on 02-29: churns (-600), ended-feb (-400), expands (+300), shrinks (-200), steady.
    assert drill_names(response) == [
        "Churns-Mid-March",
        "Ended-Feb",
        "Expands",
        "Shrinks",
        "Steady",
    ]
    change = [row["cells"][-1]["value"] for row in response.context["table"]]
    assert change == [-600, -400, 300, -200, 0]


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("mrr", ["Churns-Mid-March", "Ended-Feb", "Shrinks", "Expands", "Steady"]),
        ("-mrr", ["Steady", "Expands", "Shrinks", "Churns-Mid-March", "Ended-Feb"]),
        ("account__name", ["Churns-Mid-March", "Ended-Feb", "Expands", "Shrinks", "Steady"]),
        ("-starting_mrr", ["Steady", "Shrinks", "Churns-Mid-March", "Expands", "Ended-Feb"]),
    ],
)
def test_a_drill_down_sorts_by_the_column_asked_for(as_leader, portfolio, sort, expected):
    response = as_leader.get("/portfolio/drill/nrr/", {"sort": sort})

    assert drill_names(response) == expected
    assert response.context["sort"] == sort


def test_a_bad_sort_keeps_the_drill_downs_own_order(as_leader, portfolio):
    response = as_leader.get("/portfolio/drill/nrr/", {"sort": "account__owner__password"})

    assert response.context["sort"] == ""
    assert drill_names(response)[0] == "Churns-Mid-March"


def test_sortable_headers_are_links_that_say_their_order(as_leader, portfolio):
    page = as_leader.get("/portfolio/drill/nrr/", {"sort": "-mrr"}).content.decode()

    assert (
        '<th scope="col" class="num" aria-sort="descending">'
        '<a class="pf-sort" href="?month=2024-03&amp;sort=mrr">MRR' in page
    )
    assert (
        'href="?month=2024-03&amp;sort=account__name">Account'
        '<span class="visually-hidden">, sort ascending</span>' in page
    )
    assert page.count('aria-sort="') == 1


def test_churn_lists_show_the_churn_date_the_last_contact_and_the_next_step(
    as_leader, portfolio, bob
):
    from accounts.models import Note
    from tests.factories import TaskFactory

    churned = portfolio["churns-mid-march"]
    Note.objects.create(account=churned, author=bob, body="Asked why they left")
    TaskFactory(account=churned, title="Exit interview", due_on=date(2024, 4, 2))
    TaskFactory(account=churned, title="Later", due_on=date(2024, 5, 1))
    TaskFactory(account=churned, title="Done already", due_on=date(2024, 3, 1), status="done")

    response = as_leader.get("/portfolio/drill/churned_customers/")

    labels = [header["label"] for header in response.context["headers"]]
    assert labels[-3:] == ["Churn date", "Last contact", "Next step"]
    rows = {row["cells"][0]["value"]: row["cells"] for row in response.context["table"]}
    assert set(rows) == {"Churns-Mid-March", "Ended-Feb"}
    churn_date, last_contact, next_step = (cell["value"] for cell in rows["Churns-Mid-March"][-3:])
    assert churn_date == date(2024, 3, 21)
    assert last_contact is not None
    assert next_step == "Exit interview (due 2 Apr 2024)"
    assert [cell["value"] for cell in rows["Ended-Feb"][-3:]] == [date(2024, 3, 1), None, ""]


def test_the_logo_churn_drill_down_lists_churned_accounts_first(as_leader, portfolio):
    response = as_leader.get("/portfolio/drill/logo_churn_rate/")

    assert drill_names(response)[:2] == ["Churns-Mid-March", "Ended-Feb"]


def test_the_at_risk_list_shows_the_next_step(as_leader, portfolio):
    response = as_leader.get("/portfolio/drill/at_risk/")

    assert [header["label"] for header in response.context["headers"]][-2:] == [
        "Last contact",
        "Next step",
    ]


@pytest.mark.parametrize("size", [3, 30])
def test_a_churn_drill_down_with_follow_ups_runs_a_fixed_number_of_queries(
    as_leader, size, django_assert_max_num_queries
):
    from tests.factories import TaskFactory

    build_portfolio(size)
    for account in AccountFactory._meta.model.objects.all():
        TaskFactory(account=account)

    with django_assert_max_num_queries(12):
        response = as_leader.get("/portfolio/drill/at_risk/", {"sort": "-next_step_due"})

    assert response.status_code == 200


# Targets set on the page


def test_a_leader_sets_a_target_on_the_page_and_it_draws_on_its_tile(as_leader, portfolio):
    response = as_leader.post(
        "/portfolio/targets/",
        {"key": "mrr", "segment": "", "target": "4000", "next": "/portfolio/?month=2024-03"},
    )

    assert response.status_code == 302 and response["Location"] == "/portfolio/?month=2024-03"
    page = as_leader.get(response["Location"])
    assert page.context["board"].tiles["mrr"].target == Decimal(4000)
    assert "MRR: target 4000 for all accounts." in page.content.decode()
    assert b"Target $4,000 \xc2\xb7 75%" in page.content


def test_a_leader_sets_a_segments_target_and_an_empty_value_removes_it(as_leader, portfolio):
    as_leader.post("/portfolio/targets/", {"key": "nrr", "segment": "SMB", "target": "105"})
    assert KpiTarget.objects.get(key="nrr", segment="SMB").target == Decimal(105)

    as_leader.post("/portfolio/targets/", {"key": "nrr", "segment": "SMB", "target": ""})

    assert not KpiTarget.objects.filter(key="nrr").exists()


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"key": "mrr", "target": "lots"}, "Enter a number"),
        ({"key": "no_such_kpi", "target": "1"}, "Select a valid choice"),
        ({"key": "mrr", "segment": "Nowhere", "target": "1"}, "there is no segment"),
    ],
)
def test_a_bad_target_is_refused_with_a_message_and_writes_nothing(
    as_leader, portfolio, data, error
):
    response = as_leader.post("/portfolio/targets/", data, follow=True)

    assert error in response.content.decode()
    assert not KpiTarget.objects.exists()


def test_a_csm_may_not_set_targets_and_is_not_offered_the_form(as_alice, portfolio):
    response = as_alice.post("/portfolio/targets/", {"key": "nrr", "target": "100"})

    assert response.status_code == 403
    assert not KpiTarget.objects.exists()
    assert b"Set target" not in dashboard(as_alice).content


def test_a_leader_is_offered_a_target_form_on_every_tile(as_leader, portfolio):
    page = dashboard(as_leader).content.decode()

    assert page.count('action="/portfolio/targets/"') == len(PORTFOLIO_KPIS) + len(HEADLINE_KEYS)
