"""Numeric custom fields as health-model components (issue 16): the nightly job keeps each
account's numeric field values on its snapshot row, a component names one as "custom.<key>",
the set-based scoring scores it as the Python arithmetic does, and the lab backtests it.

Two accounts: Falling (its field `potential` at 10) churns at the end of April 2024; Staying
(`potential` 90) keeps paying. A component from 0 to 100 on the field scores each account its
value.
"""

from datetime import date

import pytest

from accounts.models import CustomField
from healthscores.forms import HealthComponentForm
from healthscores.lab import evaluate, load_sample
from healthscores.models import HealthModelVersion
from healthscores.scoring import Component, Definition, score
from metrics.models import AccountSnapshot
from metrics.services import snapshot_recompute
from tests.factories import AccountFactory
from tests.healthscores.conftest import contract

POTENTIAL = "custom.potential"


@pytest.fixture
def fields(db):
    CustomField.objects.create(
        target="accounts", key="potential", label="Potential", field_type="number"
    )
    CustomField.objects.create(
        target="accounts", key="tier", label="Tier", field_type="choice", choices=["Gold"]
    )


@pytest.fixture
def book(fields):
    falling = AccountFactory(name="Falling", custom={"potential": 10, "tier": "Gold"})
    staying = AccountFactory(name="Staying", custom={"potential": 90.5})
    unknown = AccountFactory(name="Unknown", custom={"tier": "Gold"})
    contract(falling, "2024-01-01", "2024-04-30")
    contract(staying, "2024-01-01", None)
    contract(unknown, "2024-01-01", None)
    return {"falling": falling, "staying": staying, "unknown": unknown}


def row(account, as_of: date) -> AccountSnapshot:
    return AccountSnapshot.objects.get(account=account, as_of=as_of)


def test_the_nightly_job_keeps_the_numeric_field_values_on_each_snapshot(book):
    snapshot_recompute(as_of=date(2024, 3, 31))
    assert row(book["falling"], date(2024, 3, 31)).custom_numbers == {"potential": 10}
    assert row(book["staying"], date(2024, 3, 31)).custom_numbers == {"potential": 90.5}
    assert row(book["unknown"], date(2024, 3, 31)).custom_numbers == {}  # text fields are not


def test_a_text_in_a_numeric_field_is_not_kept_as_a_number(fields):
    account = AccountFactory(custom={"potential": "high"})  # written before the field's type
    snapshot_recompute(as_of=date(2024, 3, 31))
    assert row(account, date(2024, 3, 31)).custom_numbers == {}


def test_a_component_on_a_custom_field_is_scored_in_sql_as_in_python(book, only_model):
    only_model([(POTENTIAL, 1, 0, 100)])
    snapshot_recompute(as_of=date(2024, 3, 31))
    staying = row(book["staying"], date(2024, 3, 31))
    assert staying.health_score == pytest.approx(90.5)  # (90.5 - 0) / (100 - 0) x 100
    version = HealthModelVersion.objects.get(pk=staying.health_model_version)
    expected = score(Definition.from_json(version.definition), {POTENTIAL: 90.5})
    assert staying.health_score == pytest.approx(expected.score)
    assert staying.health_components[0]["value"] == pytest.approx(90.5)
    assert row(book["falling"], date(2024, 3, 31)).health_score == pytest.approx(10.0)
    assert row(book["unknown"], date(2024, 3, 31)).health_score is None  # no value: no score


def test_the_lab_backtests_a_custom_field(book):
    # Falling churns on 1 May (its snapshot says so); 30 days before each end: its value and
    # Staying's, read from the snapshots of those days.
    for day in (date(2024, 4, 1), date(2024, 5, 1), date(2024, 5, 31), date(2024, 6, 30)):
        snapshot_recompute(as_of=day)
    sample = load_sample(date(2024, 6, 30))
    result = evaluate(Definition(70.0, 40.0, (Component(POTENTIAL, 1, 0, 100),)), sample)
    # At 30 days: the churner scored 10, the retained account 90.5: a perfect warning.
    assert result.auc[30] == 1.0
    assert result.mean_churner_score[30] == pytest.approx(10.0)


def test_the_component_form_offers_numeric_fields_only(fields):
    data = {"weight": "1", "bad": "0", "good": "100"}
    assert HealthComponentForm({**data, "metric": POTENTIAL}).is_valid()
    assert not HealthComponentForm({**data, "metric": "custom.tier"}).is_valid()
    assert HealthComponentForm({**data, "metric": "nps_180d"}).is_valid()
