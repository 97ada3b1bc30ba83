"""The churn probability on the 360 page (beside the health score, with its top factors or its
reason, in a fixed number of queries) and the churn models' panel on the health lab page."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from churn import sql as churn_sql
from churn.models import ChurnScore
from churn.selectors import account_churn
from churn.services import churn_model_train, churn_scores_write
from tests.churn.conftest import LAST, write_book
from tests.factories import AccountFactory
from web.templatetags.northstar import probability


@pytest.fixture
def trained(book):
    """The 30-day model, and an account whose seat utilization has been falling for 80 days
    (its churn, 10 days after the last snapshot, is not stored: the risk is visible, not known)."""
    falling = AccountFactory(name="Falling Co")
    write_book([falling.pk], {falling.pk: LAST + timedelta(days=10)})
    return churn_model_train(horizon=30)


def _riskiest(model) -> ChurnScore:
    return (
        ChurnScore.objects.filter(model=model, as_of=LAST, probability__isnull=False)
        .order_by("-probability")
        .first()
    )


def test_the_360_page_shows_the_probability_with_its_top_factors_and_definition(
    client, leader, trained
):
    score = _riskiest(trained)
    assert score.account.name == "Falling Co" and score.probability > 0.2
    client.force_login(leader)
    page = client.get(f"/accounts/{score.account_id}/").content.decode()
    assert 'id="churn-summary"' in page
    assert f"<strong>{probability(score.probability)}</strong>" in page
    assert "within 30 days" in page
    (churn,) = account_churn(account_id=score.account_id, as_of=LAST)
    assert churn.factors and f"{churn.factors[0].label} <span" in page
    assert 'What is this?<span class="visually-hidden"> Churn probability' in page
    assert f"v{trained.version}" in page  # the model that made it, in the disclosure


def test_an_account_without_enough_history_shows_the_reason_not_a_number(client, leader, trained):
    new = AccountFactory()
    write_book([new.pk], {}, starts={new.pk: LAST - timedelta(days=20)})
    churn_scores_write(model=trained, as_of=LAST)
    client.force_login(leader)
    page = client.get(f"/accounts/{new.pk}/").content.decode()
    assert churn_sql.TOO_LITTLE_HISTORY in page


def test_more_horizons_cost_the_360_page_no_extra_query(client, leader, trained):
    account = _riskiest(trained).account_id
    client.force_login(leader)
    client.get(f"/accounts/{account}/")  # warm the session and caches
    with CaptureQueriesContext(connection) as one:
        client.get(f"/accounts/{account}/")
    churn_model_train(horizon=90)
    with CaptureQueriesContext(connection) as two:
        assert "within 90 days" in client.get(f"/accounts/{account}/").content.decode()
    assert len(two) == len(one)


def test_the_lab_shows_each_active_models_figures_beside_the_health_scores(client, leader, trained):
    client.force_login(leader)
    page = client.get("/health/lab/").content.decode()
    assert 'id="churn-model-figures"' in page
    assert f"{trained.metrics['auc']:.3f}" in page
    assert f"{trained.metrics['health_score_auc']:.3f}" in page
    assert "Reliability" in page  # the diagram's figure, drawn by plotly.js


def test_without_enough_history_the_lab_says_what_training_needs(client, leader, db):
    client.force_login(leader)
    page = client.get("/health/lab/").content.decode()
    assert 'id="churn-history-note"' in page
    assert "No churn model can be trained yet" in page
