"""The health lab refuses malformed and oversized proposals with field errors and saves
nothing: numbers that are not finite, thresholds that are not numbers, a formset inflated to
thousands of rows, a metric that does not exist."""

import pytest

from tests.healthscores import test_lab_page as lab_page
from tests.healthscores.test_lab_page import URL, assert_nothing_saved, lab_data

# The lab page's own fixtures: a year of stored snapshots with one churner, a cleared cache.
history, fresh_cache = lab_page.history, lab_page.fresh_cache
pytestmark = pytest.mark.usefixtures("history")

# One malformed component per row, each with the field error it must get. (One request for
# all of them: the lab page backtests on every render, which takes a moment.)
MALFORMED = [
    (("open_tickets", "1e999", 10, 0), "weight", "Enter a number."),
    (("seat_utilization", "nan", 10, 0), "weight", "Enter a number."),
    (("nps_180d", 1, "-inf", 0), "bad", "Enter a number."),
    (("csat_180d", 1, 10, "1" * 400), "good", "Enter a number."),
    (("usage_trend", 1001, 10, 0), "weight", "less than or equal to 1000"),
    (("feature_adoption", "ten", 10, 0), "weight", "Enter a number."),
    (("no_such_metric", 1, 10, 0), "metric", "Select a valid choice."),
    (("open_tickets\x00", 1, 10, 0), "metric", "Select a valid choice."),
]


def test_each_malformed_component_is_a_field_error_and_nothing_is_saved(
    admin_client, default_model
):
    response = admin_client.post(URL, lab_data([row for row, _f, _e in MALFORMED], action="save"))

    assert response.status_code == 200
    forms = response.context["components"].forms
    for form, (row, field, error) in zip(forms, MALFORMED, strict=False):
        assert field in form.errors, (row, form.errors)
        assert error in form.errors[field][0], (row, form.errors)
    assert_nothing_saved(default_model)


def test_malformed_thresholds_are_field_errors_and_nothing_is_saved(admin_client, default_model):
    response = admin_client.post(
        URL, lab_data([("open_tickets", 1, 10, 0)], green="high", yellow="1e999", action="save")
    )

    assert response.status_code == 200
    assert response.context["thresholds"].errors == {
        "green": ["Enter a number."],
        "yellow": ["Ensure this value is less than or equal to 100."],
    }
    assert_nothing_saved(default_model)


def test_a_formset_claiming_thousands_of_rows_is_refused(admin_client, default_model):
    data = lab_data([("open_tickets", 1, 10, 0)], action="save")
    data["c-TOTAL_FORMS"] = "100000"

    response = admin_client.post(URL, data)

    assert response.status_code == 200
    assert response.context["components"].non_form_errors()
    assert_nothing_saved(default_model)


def test_a_model_id_that_is_not_a_number_falls_back_to_the_active_model(
    admin_client, default_model
):
    response = admin_client.get(URL, {"model": "1 OR 1=1"})

    assert response.status_code == 200
    assert response.context["model"] == default_model
