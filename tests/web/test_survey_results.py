"""The results page /surveys/: NPS, CSAT and CES over time from the snapshots, the response
rate, detractor follow-ups, and the comments with their filters, for the accounts the user may
see; and its CSV export."""

import csv
import io
from datetime import timedelta

import pytest
from django.utils import timezone

from metrics.services import snapshot_recompute
from tests.factories import AccountFactory, ContactFactory, SurveyResponseFactory
from tests.surveys.factories import InvitationFactory


def said(account, kind, score, comment="", minutes_ago=1, contact=None):
    return SurveyResponseFactory(
        account=account,
        contact=contact,
        kind=kind,
        score=score,
        comment=comment,
        responded_at=timezone.now() - timedelta(minutes=minutes_ago),
    )


@pytest.fixture
def portfolio(alice, bob):
    """Alice's Acme (Enterprise) and Bob's Globex (SMB), with answers of today."""
    acme = AccountFactory(name="Acme", owner=alice, segment="Enterprise")
    globex = AccountFactory(name="Globex", owner=bob, segment="SMB")
    said(acme, "nps", 10, "Love the dashboards", minutes_ago=3)
    said(acme, "nps", 9)
    said(acme, "nps", 3, "Too slow lately", minutes_ago=5)
    said(acme, "csat", 4, "Helpful support", minutes_ago=2)
    said(acme, "ces", 6)
    said(globex, "nps", 0, "Globex is unhappy")
    return acme, globex


def test_the_page_needs_a_login(client, db):
    page = client.get("/surveys/")

    assert page.status_code == 302 and page["Location"].startswith("/login/")


def test_a_csm_reads_the_comments_of_her_own_accounts_only(client, alice, portfolio):
    client.force_login(alice)

    html = client.get("/surveys/").content.decode()

    assert "Too slow lately" in html and "Love the dashboards" in html
    assert "Globex is unhappy" not in html


def test_a_leader_reads_every_accounts_comments(client, leader, portfolio):
    client.force_login(leader)

    html = client.get("/surveys/").content.decode()

    assert "Globex is unhappy" in html and "Too slow lately" in html


def test_detractors_come_first_then_the_newest(client, alice, portfolio):
    client.force_login(alice)

    page = client.get("/surveys/").context["page"]

    assert [r.comment for r in page.object_list] == [
        "Too slow lately",  # the only detractor, though the oldest
        "Helpful support",
        "Love the dashboards",
    ]


def test_each_comment_links_to_its_account(client, alice, portfolio):
    acme, _globex = portfolio
    client.force_login(alice)

    html = client.get("/surveys/").content.decode()

    assert f'href="/accounts/{acme.pk}/#comments"' in html


@pytest.mark.parametrize(
    ("query", "comments"),
    [
        ("kind=csat", ["Helpful support"]),
        ("group=detractor", ["Globex is unhappy", "Too slow lately"]),
        ("group=promoter", ["Helpful support", "Love the dashboards"]),
        ("segment=SMB", ["Globex is unhappy"]),
        ("kind=nps&group=passive", []),
        (
            "months=abc&kind=nope",
            ["Globex is unhappy", "Too slow lately", "Helpful support", "Love the dashboards"],
        ),
    ],
)
def test_the_comment_filters(client, leader, portfolio, query, comments):
    client.force_login(leader)

    page = client.get(f"/surveys/?{query}")

    assert page.status_code == 200
    assert [r.comment for r in page.context["page"].object_list] == comments


def test_a_leader_filters_by_owner(client, leader, bob, portfolio):
    client.force_login(leader)

    page = client.get(f"/surveys/?owner={bob.pk}")

    assert [r.comment for r in page.context["page"].object_list] == ["Globex is unhappy"]


def test_the_period_leaves_out_older_comments(client, alice, portfolio):
    acme, _globex = portfolio
    said(acme, "nps", 1, "Half a year ago", minutes_ago=60 * 24 * 200)
    client.force_login(alice)

    recent = client.get("/surveys/?months=3").context["page"].object_list
    year = client.get("/surveys/?months=12").context["page"].object_list

    assert "Half a year ago" not in [r.comment for r in recent]
    assert "Half a year ago" in [r.comment for r in year]


def test_nps_csat_and_ces_come_from_the_snapshots(client, alice, portfolio):
    client.force_login(alice)
    before = client.get("/surveys/").context["totals"]
    snapshot_recompute(as_of=timezone.localdate())

    page = client.get("/surveys/")

    assert before["nps_responses"] == 0  # nothing until the next snapshot
    totals = page.context["totals"]
    # Acme: 10, 9, 3 -> 2 promoters, 1 detractor of 3 = 33.3; Globex is Bob's.
    assert (totals["nps_promoters"], totals["nps_passives"], totals["nps_detractors"]) == (2, 0, 1)
    assert totals["nps"] == pytest.approx(100 / 3)
    assert totals["csat"] == 100  # one answer, a 4
    assert totals["ces"] == 6
    nps = page.context["charts"]["nps"]
    assert [trace["name"] for trace in nps["data"]] == [
        "Detractors (0-6)", "Passives (7-8)", "Promoters (9-10)", "NPS"
    ]  # fmt: skip
    assert nps["data"][3]["y"][-1] == pytest.approx(100 / 3)


def test_the_response_rate_counts_answered_invitations_by_the_month_sent(client, alice):
    acme = AccountFactory(owner=alice)
    invitations = [InvitationFactory(contact=ContactFactory(account=acme)) for _ in range(4)]
    invitations[0].status, invitations[0].responded_at = "answered", timezone.now()
    invitations[0].save()
    client.force_login(alice)

    page = client.get("/surveys/")

    totals = page.context["totals"]
    assert (totals["sent"], totals["answered"], totals["response_rate"]) == (4, 1, 25)
    rate = page.context["charts"]["rate"]["data"]
    assert rate[0]["y"][-1] == 4 and rate[1]["y"][-1] == 1 and rate[2]["y"][-1] == 25


def test_the_page_shows_detractor_follow_ups(client, alice, portfolio):
    from surveys.services import response_record

    acme, _globex = portfolio
    invitation = InvitationFactory(contact=ContactFactory(account=acme))
    response_record(invitation_id=invitation.pk, score=2, comment="Unhappy")
    client.force_login(alice)

    page = client.get("/surveys/")

    figures = page.context["follow_ups"]
    assert (figures.detractors, figures.followed_up, figures.overdue) == (1, 0, 0)
    assert "Detractors followed up" in page.content.decode()


def test_the_charts_are_drawn_by_a_static_script_from_embedded_json(client, alice, portfolio):
    client.force_login(alice)

    html = client.get("/surveys/").content.decode()

    assert '<script id="survey-charts" type="application/json">' in html
    assert "js/survey-results.js" in html
    assert "<script>" not in html  # no inline script to allow in a Content-Security-Policy


@pytest.mark.parametrize("size", [3, 30])
def test_the_page_costs_the_same_queries_whatever_the_data(
    client, leader, size, django_assert_max_num_queries
):
    for n in range(size):
        account = AccountFactory(segment="SMB" if n % 2 else "Enterprise")
        said(account, "nps", n % 11, f"comment {n}")
        InvitationFactory(contact=ContactFactory(account=account))
    snapshot_recompute(as_of=timezone.localdate())
    client.force_login(leader)

    # session, user, permissions (2), segments and regions, owners, snapshot months, the month
    # aggregate and its costs, response rates, follow-ups, comment count and page, and the
    # freshness line (imports, snapshot run, connectors)
    with django_assert_max_num_queries(16):
        assert client.get("/surveys/").status_code == 200


# The CSV export


def rows_of(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_the_export_has_every_response_of_the_filter_and_the_access_rule(client, alice, portfolio):
    client.force_login(alice)

    response = client.get("/surveys/export.csv?kind=nps")

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    rows = rows_of(response)
    assert rows[0][:3] == ["Responded at", "Account", "Account external id"]
    assert sorted(row[8] for row in rows[1:]) == ["10", "3", "9"]  # Acme's NPS, not Globex's
    assert {row[1] for row in rows[1:]} == {"Acme"}
    assert {row[9] for row in rows[1:]} == {"promoter", "detractor"}


def test_the_export_keeps_formulas_from_running_in_a_spreadsheet(client, alice):
    acme = AccountFactory(name="=cmd|' /C calc'!A0", owner=alice)
    said(acme, "nps", 1, '=HYPERLINK("http://evil.example","click")')
    said(acme, "nps", 2, "@SUM(1+1)")
    said(acme, "nps", 3, "-2+3")
    client.force_login(alice)

    rows = rows_of(client.get("/surveys/export.csv"))

    comments = sorted(row[10] for row in rows[1:])
    assert comments == ["'-2+3", '\'=HYPERLINK("http://evil.example","click")', "'@SUM(1+1)"]
    assert {row[1] for row in rows[1:]} == {"'=cmd|' /C calc'!A0"}


def test_the_period_picker_shows_the_period_the_page_covers(client, alice, portfolio):
    """The subtitle's start and the selected period are the same: 12 months by default."""
    from surveys.selectors import period_months

    client.force_login(alice)

    page = client.get("/surveys/").content.decode()

    since = period_months(today=timezone.localdate(), months=12)[0]
    assert f"since {since:%-d %b %Y}" in page
    assert '<option value="12" selected>Last 12 months</option>' in page
    assert '<option value="3" selected>' not in page


def test_closing_the_loop_counts_the_nps_detractors_the_nps_tile_counts(client, alice, portfolio):
    """The NPS tile's detractors and closing the loop's read the same period and rule; answers
    from survey pages (which raise an alert) are a part of them, said as such."""
    import re

    from surveys.services import response_record

    acme, _globex = portfolio
    invitation = InvitationFactory(contact=ContactFactory(account=acme), kind="nps")
    response_record(invitation_id=invitation.pk, score=2, comment="Unhappy")
    snapshot_recompute(as_of=timezone.localdate())
    client.force_login(alice)

    page = client.get("/surveys/").content.decode()

    tile = re.search(r'data-figure="nps-detractors">(\d+)<', page).group(1)
    loop = re.search(r'data-figure="loop-nps-detractors">(\d+) ', page).group(1)
    on_pages = re.search(r'data-figure="loop-detractors">(\d+) ', page).group(1)
    assert (tile, loop, on_pages) == ("2", "2", "1")
    assert "imported and API answers raise no alert" in page
