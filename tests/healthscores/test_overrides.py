"""CSM sentiment overrides (healthscores services and selectors): a CSM's own reading of an
account, kept beside the computed score and never replacing it, every entry an audit record."""

from datetime import date, timedelta

import pytest
from django.db import IntegrityError
from django.utils import timezone

from healthscores.models import SentimentOverride
from healthscores.selectors import latest_override, override_disagreement, override_history
from healthscores.services import health_scores_recompute, sentiment_override_add
from tests.factories import AccountFactory
from tests.healthscores.conftest import AccountSnapshotFactory, at

D = date(2024, 3, 31)


@pytest.fixture
def account(alice):
    return AccountFactory(name="Acme", owner=alice)


def scored_row(account, open_tickets: int, as_of: date = D):
    """A snapshot scored with the single component open_tickets (bad 10, good 0)."""
    row = AccountSnapshotFactory(account=account, as_of=as_of, open_tickets=open_tickets)
    health_scores_recompute(first=as_of, last=as_of)
    row.refresh_from_db()
    return row


def test_an_override_records_its_author_band_reason_and_time(account, alice):
    before = timezone.now()

    override = sentiment_override_add(
        account=account, author=alice, band="red", reason="  Champion is interviewing elsewhere. "
    )

    override.refresh_from_db()
    assert override.account == account
    assert override.author == alice
    assert override.band == "red"
    assert override.reason == "Champion is interviewing elsewhere."
    assert before <= override.created_at <= timezone.now()


def test_an_override_never_changes_the_computed_score_or_band(only_model, account, alice):
    only_model([("open_tickets", 1, 10, 0)])
    row = scored_row(account, open_tickets=1)  # (1 - 10) / -10 x 100 = 90: green

    sentiment_override_add(account=account, author=alice, band="red", reason="Budget cut.")
    health_scores_recompute(first=D, last=D)

    row.refresh_from_db()
    assert row.health_score == pytest.approx(90.0)
    assert row.health_band == "green"


def test_every_override_is_kept_as_the_audit_trail(account, alice, bob):
    first = sentiment_override_add(account=account, author=alice, band="red", reason="Angry call.")
    second = sentiment_override_add(
        account=account, author=bob, band="yellow", reason="Call went better."
    )
    SentimentOverride.objects.filter(pk=first.pk).update(created_at=at("2024-03-01 10:00"))
    SentimentOverride.objects.filter(pk=second.pk).update(created_at=at("2024-03-02 10:00"))

    assert SentimentOverride.objects.filter(account=account).count() == 2
    assert latest_override(account=account) == second
    assert override_history(account=account) == [second, first]
    assert [(o.author, o.band) for o in override_history(account=account)] == [
        (bob, "yellow"),
        (alice, "red"),
    ]


def test_the_database_refuses_an_override_without_a_reason(account, alice):
    with pytest.raises(IntegrityError):
        SentimentOverride.objects.create(account=account, author=alice, band="red", reason="")


def test_a_reason_of_blanks_is_no_reason(account, alice):
    with pytest.raises(IntegrityError):
        sentiment_override_add(account=account, author=alice, band="red", reason="   \n ")


def test_the_admin_cannot_edit_an_override(admin_client, account, alice):
    override = sentiment_override_add(account=account, author=alice, band="red", reason="Quiet.")

    response = admin_client.post(
        f"/admin/healthscores/sentimentoverride/{override.pk}/change/",
        {"account": account.pk, "band": "green", "reason": "Rewritten."},
    )

    assert response.status_code == 403
    override.refresh_from_db()
    assert (override.band, override.reason) == ("red", "Quiet.")


@pytest.fixture
def banded(only_model, alice):
    """Four accounts banded on D by open tickets alone (bad 10, good 0; green >= 70,
    yellow >= 40): green 1 ticket (90), yellow 5 (50), red 9 (10), and one with no snapshot."""
    only_model([("open_tickets", 1, 10, 0)])
    accounts = {name: AccountFactory(name=name, owner=alice) for name in ("g", "y", "r", "none")}
    for name, tickets in (("g", 1), ("y", 5), ("r", 9)):
        AccountSnapshotFactory(account=accounts[name], as_of=D, open_tickets=tickets)
    health_scores_recompute(first=D, last=D)
    return accounts


def override(account, author, band: str, when: str):
    entry = sentiment_override_add(account=account, author=author, band=band, reason="Call.")
    SentimentOverride.objects.filter(pk=entry.pk).update(created_at=at(when))


def test_disagreement_counts_the_latest_override_of_each_account_against_its_band(banded, alice):
    override(banded["g"], alice, "red", "2024-03-10 09:00")  # green computed: disagrees
    override(banded["y"], alice, "yellow", "2024-03-10 09:00")  # agrees
    override(banded["r"], alice, "green", "2024-03-01 09:00")  # superseded...
    override(banded["r"], alice, "red", "2024-03-20 09:00")  # ...by an agreeing one
    override(banded["none"], alice, "red", "2024-03-20 09:00")  # no snapshot on D: not compared

    result = override_disagreement(as_of=D)

    # 3 accounts compared, 1 disagreement: 1 / 3 x 100 = 33.33 %
    assert result == {"overrides": 3, "disagreements": 1, "rate": pytest.approx(100 / 3)}


def test_the_latest_override_decides_even_when_an_earlier_one_disagreed(banded, alice, bob):
    override(banded["g"], alice, "green", "2024-03-01 09:00")
    override(banded["g"], bob, "red", "2024-03-02 09:00")

    assert override_disagreement(as_of=D) == {"overrides": 1, "disagreements": 1, "rate": 100.0}


def test_disagreement_without_overrides_has_no_rate(banded):
    assert override_disagreement(as_of=D) == {"overrides": 0, "disagreements": 0, "rate": None}


def test_disagreement_is_measured_on_the_date_asked_for(banded, alice):
    AccountSnapshotFactory(account=banded["g"], as_of=D - timedelta(days=1), open_tickets=9)
    health_scores_recompute(first=D - timedelta(days=1), last=D - timedelta(days=1))
    override(banded["g"], alice, "red", "2024-03-10 09:00")

    # Red on 03-30 (9 tickets: 10 points), green on 03-31.
    assert override_disagreement(as_of=D - timedelta(days=1))["disagreements"] == 0
    assert override_disagreement(as_of=D)["disagreements"] == 1
