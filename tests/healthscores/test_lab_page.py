"""The health lab page (/health/lab/, healthscores/lab_views.py): admins and leaders preview and
backtest a proposal and ask for suggested weights; only those who may change health models save
it, as a new version; invalid proposals are explained and never saved."""

from datetime import date, timedelta

import pytest
from django.core.cache import cache

from healthscores.models import HealthModel, RescoreJob
from metrics.models import Movement
from tests.factories import AccountFactory, UserFactory
from tests.healthscores.conftest import (
    AccountSnapshotFactory,
    SnapshotRunFactory,
    health_model,
    latest_version,
)

URL = "/health/lab/"
AS_OF = date(2024, 6, 30)


@pytest.fixture(autouse=True)
def fresh_cache():
    """The page caches its sample per snapshot run; each test brings its own snapshots."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def history(db):
    """One churner and two retained accounts, as stored snapshot rows.

    The churner (churned on 06-25) had nps 50 and csat 50 30, 60 and 90 days before; the
    retained accounts had nps -50 and csat 90 30, 60 and 90 days before 06-30. Every other
    default metric is null but open_tickets 0 and champion_left 0 (100 points each).

    Default model: churner (15 x 100 + 10 x 0 + 10 x 100 + 10 x 100) / 45 = 77.8, retained
    (15 x 0 + 10 x 100 + 10 x 100 + 10 x 100) / 45 = 66.7: the churner scores higher, AUC 0.
    Without nps: churner (0 + 1000 + 1000) / 30 = 66.7, retained 3000 / 30 = 100, AUC 1.
    """
    churner = AccountFactory(name="Churner")
    churn_day = AS_OF - timedelta(days=5)
    for h in (30, 60, 90):
        AccountSnapshotFactory(
            account=churner, as_of=churn_day - timedelta(days=h), nps_180d=50, csat_180d=50
        )
    AccountSnapshotFactory(
        account=churner, as_of=churn_day, mrr=0, movement=Movement.CHURN, movement_mrr=1000
    )
    AccountSnapshotFactory(account=churner, as_of=AS_OF, mrr=0, movement=Movement.CHURN)
    for name in ("Kept A", "Kept B"):
        kept = AccountFactory(name=name)
        for h in (0, 30, 60, 90):
            AccountSnapshotFactory(
                account=kept, as_of=AS_OF - timedelta(days=h), nps_180d=-50, csat_180d=90
            )
    return SnapshotRunFactory(as_of=AS_OF)


def lab_data(
    components: list[tuple], *, green="70", yellow="40", action="preview", model=None
) -> dict:
    """The lab form's POST: thresholds, the components formset (prefix "c") and the action."""
    data = {
        "green": green,
        "yellow": yellow,
        "action": action,
        "c-TOTAL_FORMS": str(len(components)),
        "c-INITIAL_FORMS": "0",
        "c-MIN_NUM_FORMS": "0",
        "c-MAX_NUM_FORMS": "1000",
    }
    if model is not None:
        data["model"] = str(model.pk)
    for i, (metric, weight, bad, good) in enumerate(components):
        data.update(
            {
                f"c-{i}-metric": metric,
                f"c-{i}-weight": str(weight),
                f"c-{i}-bad": str(bad),
                f"c-{i}-good": str(good),
            }
        )
    return data


DEFAULT = [
    ("usage_trend", 20, -50, 10),
    ("seat_utilization", 15, 20, 80),
    ("feature_adoption", 10, 10, 60),
    ("nps_180d", 15, -50, 50),
    ("csat_180d", 10, 50, 90),
    ("open_tickets", 10, 10, 0),
    ("avg_first_response_hours_90d", 10, 48, 4),
    ("champion_left_90d", 10, 1, 0),
]
WITHOUT_NPS = [c if c[0] != "nps_180d" else ("nps_180d", 0, -50, 50) for c in DEFAULT]


# Who may use the lab.


def test_an_anonymous_visitor_is_sent_to_the_login_page(client, history):
    response = client.get(URL)

    assert response.status_code == 302
    assert response["Location"] == f"/login/?next={URL}"


def test_a_csm_may_not_open_the_lab(client, alice, history):
    client.force_login(alice)

    assert client.get(URL).status_code == 403
    assert client.post(URL, lab_data(DEFAULT)).status_code == 403


def test_a_staff_member_who_does_not_see_every_account_may_not_open_the_lab(client, history):
    """The lab's backtest and disagreement lists name every account: staff status (the admin
    site) is not enough, only the permission to see every account is (issue 13)."""
    staff_csm = UserFactory(username="sam", groups=["CSM"], is_staff=True)
    client.force_login(staff_csm)

    assert client.get(URL).status_code == 403
    assert client.post(URL, lab_data(DEFAULT)).status_code == 403


def test_a_leader_opens_the_lab_without_a_save_button(client, leader, history):
    client.force_login(leader)

    response = client.get(URL)

    assert response.status_code == 200
    page = response.content.decode()
    assert 'value="preview"' in page
    assert 'value="suggest"' in page
    assert 'value="save"' not in page
    assert response.context["can_save"] is False


def test_the_lab_backtests_the_current_model_on_the_stored_history(client, leader, history):
    client.force_login(leader)

    response = client.get(URL)

    assert (response.context["churners"], response.context["retained"]) == (1, 2)
    horizons = {h["days"]: h for h in response.context["horizons"]}
    # Default model: the churner scores 77.8 and the retained accounts 66.7 (see `history`).
    assert horizons[90]["current"] == 0.0
    assert horizons[90]["churner_current"] == pytest.approx(3500 / 45)
    assert horizons[90]["retained_current"] == pytest.approx(3000 / 45)


def test_a_leader_previews_a_proposal_without_saving_it(client, leader, history, default_model):
    client.force_login(leader)

    response = client.post(URL, lab_data(WITHOUT_NPS, action="preview"))

    assert response.status_code == 200
    horizons = {h["days"]: h for h in response.context["horizons"]}
    # Without nps the churner scores 66.7 and the retained accounts 100: AUC 1.
    assert (horizons[90]["current"], horizons[90]["proposal"]) == (0.0, 1.0)
    assert horizons[90]["churner_proposal"] == pytest.approx(200 / 3)
    assert horizons[90]["retained_proposal"] == pytest.approx(100.0)
    assert default_model.versions.count() == 1
    assert default_model.components.get(metric="nps_180d").weight == 15


def test_one_churner_is_not_enough_to_suggest_weights(client, leader, history, default_model):
    """The overfit this replaces: from one churner the search zeroed NPS and called it AUC
    1.0. Out of time there is no churner to fit on before the later half-year."""
    client.force_login(leader)

    response = client.post(URL, lab_data(DEFAULT, action="suggest"))

    assert response.status_code == 200
    assert response.context["suggestion_note"] == (
        "Not enough churn history to fit weights: no churner in the earlier half-year."
    )
    assert response.context["suggestion_warnings"] == [
        "Only 0 churners to fit on (fewer than 30): suggested weights may fit their noise "
        "rather than what predicts churn."
    ]
    proposed = {
        f.cleaned_data["metric"]: f.cleaned_data["weight"]
        for f in response.context["components"].forms
        if f.cleaned_data
    }
    assert proposed["nps_180d"] == 15  # the proposal stays as it was
    assert default_model.versions.count() == 1


@pytest.fixture
def two_periods(db):
    """A churner in each half of the year (split: 2024-06-30 - 182 days = 2023-12-31) and two
    customers retained throughout, valued as in `history`: churners nps 50, csat 50; retained
    nps -50, csat 90, read 30, 60 and 90 days before the churn, the split or AS_OF.

    Default model: churners 77.8, retained 66.7 (yellow) in both periods, AUC 0. Without NPS:
    churners 66.7, retained 100 (green): AUC 1 in both, and both customers turn green."""
    split = date(2023, 12, 31)
    for name, churn_day in (("Early", date(2023, 12, 1)), ("Late", AS_OF - timedelta(days=5))):
        churner = AccountFactory(name=name)
        for h in (30, 60, 90):
            AccountSnapshotFactory(
                account=churner, as_of=churn_day - timedelta(days=h), nps_180d=50, csat_180d=50
            )
        AccountSnapshotFactory(
            account=churner, as_of=churn_day, mrr=0, movement=Movement.CHURN, movement_mrr=1000
        )
    for name in ("Kept A", "Kept B"):
        kept = AccountFactory(name=name)
        for day in (AS_OF, split):
            for h in (0, 30, 60, 90):
                AccountSnapshotFactory(
                    account=kept, as_of=day - timedelta(days=h), nps_180d=-50, csat_180d=90
                )
    return SnapshotRunFactory(as_of=AS_OF)


def test_a_suggestion_moving_most_of_the_book_into_one_band_is_refused_without_confirmation(
    client, leader, two_periods, default_model
):
    client.force_login(leader)

    response = client.post(URL, lab_data(DEFAULT, action="suggest"))

    assert response.context["suggestion"].offered
    assert response.context["lab_notes"][1] == (
        "Suggestion refused: these weights move 2 of 2 customers (100 %) into green. Tick “I "
        "accept weights that move most of the book into one band” to go ahead."
    )
    bands = {b["band"]: (b["before"], b["after"]) for b in response.context["suggestion_bands"]}
    assert bands["yellow"] == (2, 0) and bands["green"] == (0, 2)
    proposed = {
        f.cleaned_data["metric"]: f.cleaned_data["weight"]
        for f in response.context["components"].forms
        if f.cleaned_data
    }
    assert proposed["nps_180d"] == 15  # refused: the form keeps the proposal


def test_a_confirmed_suggestion_fitted_and_checked_out_of_time_fills_the_form(
    client, leader, two_periods, default_model
):
    client.force_login(leader)
    data = lab_data(DEFAULT, action="suggest")
    data["confirm_concentration"] = "on"

    response = client.post(URL, data)

    assert response.context["suggestion_note"] == (
        "Suggested weights, fitted on the earlier half-year's churn (AUC 0.000 to 1.000), raise "
        "the 90-day AUC on the later half-year's churn, which the fit never saw, from 0.000 to "
        "1.000 (+1.000). Review them, then preview or save."
    )
    suggested = {
        form.initial["metric"]: form.initial["weight"]
        for form in response.context["components"]
        if form.initial  # the formset's empty extra rows have none
    }
    assert suggested["nps_180d"] == 0
    assert suggested["csat_180d"] == 10
    assert "Fitted on 1 churner up to 31 Dec 2023" in response.content.decode()
    assert default_model.versions.count() == 1


def test_saving_weights_that_move_most_of_the_book_into_one_band_needs_the_confirmation(
    admin_client, two_periods, default_model
):
    response = admin_client.post(URL, lab_data(WITHOUT_NPS, action="save"))

    assert response.status_code == 200
    assert response.context["lab_notes"][0].startswith(
        "Not saved: these weights move 2 of 2 customers (100 %) into green."
    )
    assert default_model.versions.count() == 1


def test_a_leader_may_not_save(client, leader, history, default_model, queued_rescores):
    client.force_login(leader)

    response = client.post(URL, lab_data(WITHOUT_NPS, action="save"))

    assert response.status_code == 403
    assert default_model.versions.count() == 1
    assert default_model.components.get(metric="nps_180d").weight == 15
    assert queued_rescores == []


def test_a_superuser_sees_the_save_button(admin_client, history):
    response = admin_client.get(URL)

    assert 'value="save"' in response.content.decode()


def test_a_superuser_saves_a_proposal_as_a_new_version(
    admin_client, admin_user, history, default_model, queued_rescores
):
    proposal = [("csat_180d", 4, 50, 90), ("open_tickets", 1, 10, 0)]

    data = lab_data(proposal, green="75", yellow="45", action="save")
    data["confirm_concentration"] = "on"  # both customers move into one band

    response = admin_client.post(URL, data)

    assert response.status_code == 302
    assert response["Location"] == f"{URL}?model={default_model.pk}"
    version = latest_version(default_model)
    assert (version.number, version.created_by) == (2, admin_user)
    default_model.refresh_from_db()
    assert (default_model.green_threshold, default_model.yellow_threshold) == (75, 45)
    assert sorted(default_model.components.values_list("metric", "weight", "bad", "good")) == [
        ("csat_180d", 4, 50.0, 90.0),
        ("open_tickets", 1, 10.0, 0.0),
    ]
    assert version.reason == "Saved from the health lab."
    # The same 365 days as the lab's backtest, through the admin's service: one job, two parts.
    job = RescoreJob.objects.get()
    assert (job.version, job.first, job.last) == (version, date(2023, 7, 2), date(2024, 6, 30))
    assert [args[2] for args in queued_rescores] == [job.pk, job.pk]
    messages = [str(m) for m in admin_client.get(response["Location"]).context["messages"]]
    assert "Saved Default as version 2." in messages


def test_saving_the_current_weights_again_publishes_nothing(
    admin_client, history, default_model, queued_rescores
):
    response = admin_client.post(URL, lab_data(DEFAULT, action="save"), follow=True)

    assert default_model.versions.count() == 1
    assert queued_rescores == []
    assert "Nothing changed: the model already has these weights." in [
        str(m) for m in response.context["messages"]
    ]


def test_a_superuser_saves_a_segment_model_picked_in_the_lab(admin_client, history, default_model):
    smb = health_model([("open_tickets", 1, 10, 0)], name="SMB", segment="SMB")

    admin_client.post(URL, lab_data([("open_tickets", 2, 10, 0)], action="save", model=smb))

    assert latest_version(smb).number == 2
    assert default_model.versions.count() == 1


def test_a_save_with_the_broker_down_is_saved_and_says_the_rescore_was_not_queued(
    admin_client, history, default_model, broker_down
):
    data = lab_data([("open_tickets", 1, 10, 0)], action="save")
    data["confirm_concentration"] = "on"  # both customers move into green

    response = admin_client.post(URL, data, follow=True)

    assert latest_version(default_model).number == 2
    assert any("could not be queued" in str(m) for m in response.context["messages"])


# Invalid proposals: errors on the page, nothing saved.


def assert_nothing_saved(model: HealthModel) -> None:
    assert model.versions.count() == 1
    assert model.components.count() == 8


def test_a_negative_weight_is_a_field_error(admin_client, history, default_model):
    response = admin_client.post(
        URL, lab_data([("open_tickets", -1, 10, 0), ("nps_180d", 1, -50, 50)], action="save")
    )

    assert response.status_code == 200
    assert response.context["components"].forms[0].errors == {
        "weight": ["Ensure this value is greater than or equal to 0."]
    }
    assert "Ensure this value is greater than or equal to 0." in response.content.decode()
    assert_nothing_saved(default_model)


def test_a_duplicate_metric_is_a_form_error(admin_client, history, default_model):
    response = admin_client.post(
        URL, lab_data([("open_tickets", 1, 10, 0), ("open_tickets", 2, 5, 0)], action="save")
    )

    assert response.status_code == 200
    assert response.context["components"].non_form_errors() == [
        "Each metric may appear once: open_tickets."
    ]
    assert "Each metric may appear once: open_tickets." in response.content.decode()
    assert_nothing_saved(default_model)


@pytest.mark.parametrize(("green", "yellow"), [("60", "60"), ("50", "60")])
def test_yellow_at_or_above_green_is_a_form_error(
    admin_client, history, default_model, green, yellow
):
    response = admin_client.post(
        URL, lab_data([("open_tickets", 1, 10, 0)], green=green, yellow=yellow, action="save")
    )

    assert response.status_code == 200
    assert response.context["thresholds"].non_field_errors() == [
        "Thresholds must satisfy 0 < yellow < green <= 100."
    ]
    assert_nothing_saved(default_model)


def test_good_equal_to_bad_is_a_field_error(admin_client, history, default_model):
    response = admin_client.post(URL, lab_data([("open_tickets", 1, 5, 5)], action="save"))

    assert response.context["components"].forms[0].errors == {
        "good": ["Good must differ from bad (the score is linear between them)."]
    }
    assert_nothing_saved(default_model)


def test_a_proposal_with_every_weight_0_is_a_form_error(admin_client, history, default_model):
    response = admin_client.post(
        URL, lab_data([("open_tickets", 0, 10, 0), ("nps_180d", 0, -50, 50)], action="save")
    )

    assert response.context["components"].non_form_errors() == [
        "At least one component needs a weight above 0."
    ]
    assert_nothing_saved(default_model)


def test_a_component_without_its_numbers_is_a_field_error(admin_client, history, default_model):
    data = lab_data([("open_tickets", 1, 10, 0)], action="save")
    data["c-0-bad"] = ""

    response = admin_client.post(URL, data)

    assert response.context["components"].forms[0].errors == {"bad": ["Required for a component."]}
    assert_nothing_saved(default_model)


def test_the_lab_without_snapshots_asks_for_a_recompute(client, leader, default_model):
    client.force_login(leader)

    response = client.get(URL)

    assert response.status_code == 200
    assert response.context["empty"] is True
    assert "recompute_snapshots" in response.content.decode()


def test_a_save_from_the_lab_keeps_the_reason_given_on_the_version(
    admin_client, history, default_model
):
    data = lab_data(WITHOUT_NPS, action="save")
    data.update(confirm_concentration="on", reason="NPS answers are too few to trust.")

    admin_client.post(URL, data)

    assert latest_version(default_model).reason == "NPS answers are too few to trust."
