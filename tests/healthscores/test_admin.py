"""Admins tune health models in the admin (healthscores/admin.py, forms.py): the rules of
kpi-spec section 8 are checked with clear messages, a changed model publishes a version, and a
rescore is queued, through the real add and change views with the inline components."""

from datetime import date

import pytest

from healthscores.models import HealthModel, RescoreJob
from tests.healthscores.conftest import SnapshotRunFactory, health_model, latest_version

ADD_URL = "/admin/healthscores/healthmodel/add/"
CHANGELIST_URL = "/admin/healthscores/healthmodel/"


def change_url(model: HealthModel) -> str:
    return f"/admin/healthscores/healthmodel/{model.pk}/change/"


def form_data(
    *,
    name: str = "Custom",
    segment: str = "",
    active: bool = False,
    green="70",
    yellow="40",
    components: list[dict],
    reason: str = "Tickets matter more to us than usage.",
) -> dict:
    """The POST of the model form and its inline components (prefix "components"); a component
    with an "id" is an existing row, one with "DELETE" is removed."""
    data = {
        "reason": reason,
        "name": name,
        "segment": segment,
        "green_threshold": green,
        "yellow_threshold": yellow,
        "components-TOTAL_FORMS": str(len(components)),
        "components-INITIAL_FORMS": str(sum(1 for c in components if c.get("id"))),
        "components-MIN_NUM_FORMS": "1",
        "components-MAX_NUM_FORMS": "1000",
        "_save": "Save",
    }
    if active:
        data["is_active"] = "on"
    for i, component in enumerate(components):
        for key in ("id", "metric", "weight", "bad", "good"):
            data[f"components-{i}-{key}"] = str(component.get(key, ""))
        if component.get("DELETE"):
            data[f"components-{i}-DELETE"] = "on"
    return data


def existing(model: HealthModel, **changes_by_metric) -> list[dict]:
    """The model's components as the change view posts them back, with some fields changed:
    existing(model, open_tickets={"weight": 12})."""
    return [
        {
            "id": c.pk,
            "metric": c.metric,
            "weight": c.weight,
            "bad": c.bad,
            "good": c.good,
            **changes_by_metric.get(c.metric, {}),
        }
        for c in model.components.all()
    ]


def default_model_data(model: HealthModel, **changes_by_metric) -> dict:
    return form_data(
        name=model.name,
        segment=model.segment,
        active=model.is_active,
        green=str(model.green_threshold),
        yellow=str(model.yellow_threshold),
        components=existing(model, **changes_by_metric),
    )


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def errors_of(response) -> dict:
    """Every error the page shows: the model form's, the formset's and each component's."""
    formset = response.context["inline_admin_formsets"][0].formset
    return {
        "model": response.context["adminform"].form.errors,
        "components": formset.non_form_errors(),
        "component_fields": [form.errors for form in formset.forms],
    }


ONE_COMPONENT = [{"metric": "open_tickets", "weight": "1", "bad": "10", "good": "0"}]


@pytest.fixture
def snapshots_until_end_of_march(db):
    return SnapshotRunFactory(as_of=date(2024, 3, 31))


# Validation: each rule with a message that says what to do.


def test_a_new_model_with_valid_components_is_saved_with_version_1(admin_client, admin_user):
    response = admin_client.post(
        ADD_URL,
        form_data(
            name="SMB",
            segment="SMB",
            components=[
                {"metric": "open_tickets", "weight": "2", "bad": "10", "good": "0"},
                {"metric": "nps_180d", "weight": "3", "bad": "-50", "good": "50"},
            ],
        ),
    )

    assert response.status_code == 302
    model = HealthModel.objects.get(name="SMB")
    assert sorted(model.components.values_list("metric", "weight", "bad", "good")) == [
        ("nps_180d", 3, -50.0, 50.0),
        ("open_tickets", 2, 10.0, 0.0),
    ]
    [version] = model.versions.all()
    assert version.number == 1
    assert version.created_by == admin_user
    assert [c["metric"] for c in version.definition["components"]] == [
        "open_tickets",
        "nps_180d",
    ]


def test_a_model_needs_a_component_weighing_more_than_0(admin_client):
    response = admin_client.post(
        ADD_URL,
        form_data(
            components=[
                {"metric": "open_tickets", "weight": "0", "bad": "10", "good": "0"},
                {"metric": "nps_180d", "weight": "0", "bad": "-50", "good": "50"},
            ]
        ),
    )

    assert response.status_code == 200
    assert errors_of(response)["components"] == ["At least one component needs a weight above 0."]
    assert "At least one component needs a weight above 0." in response.content.decode()
    assert not HealthModel.objects.filter(name="Custom").exists()


def test_a_component_weight_cannot_be_negative(admin_client):
    response = admin_client.post(
        ADD_URL,
        form_data(
            components=[
                {"metric": "open_tickets", "weight": "-1", "bad": "10", "good": "0"},
                {"metric": "nps_180d", "weight": "2", "bad": "-50", "good": "50"},
            ]
        ),
    )

    assert errors_of(response)["component_fields"][0] == {
        "weight": ["A weight cannot be negative."]
    }
    assert not HealthModel.objects.filter(name="Custom").exists()


def test_a_component_needs_good_different_from_bad(admin_client):
    response = admin_client.post(
        ADD_URL,
        form_data(components=[{"metric": "open_tickets", "weight": "1", "bad": "5", "good": "5"}]),
    )

    assert errors_of(response)["component_fields"][0] == {
        "good": ["Good must differ from bad (the score is linear between them)."]
    }
    assert not HealthModel.objects.filter(name="Custom").exists()


@pytest.mark.parametrize(
    ("green", "yellow"),
    [
        ("70", "70"),  # yellow = green
        ("60", "70"),  # yellow above green
        ("70", "0"),  # yellow not above 0
        ("100.01", "40"),  # green above 100
    ],
)
def test_thresholds_must_satisfy_0_below_yellow_below_green_at_most_100(
    admin_client, green, yellow
):
    response = admin_client.post(
        ADD_URL, form_data(green=green, yellow=yellow, components=ONE_COMPONENT)
    )

    assert (
        "Thresholds must satisfy 0 < yellow < green <= 100."
        in errors_of(response)["model"]["__all__"]
    )
    assert not HealthModel.objects.filter(name="Custom").exists()


def test_thresholds_of_exactly_100_for_green_are_accepted(admin_client):
    response = admin_client.post(
        ADD_URL, form_data(green="100", yellow="0.01", components=ONE_COMPONENT)
    )

    assert response.status_code == 302
    assert HealthModel.objects.get(name="Custom").green_threshold == 100


def test_a_component_metric_must_come_from_the_registry(admin_client):
    response = admin_client.post(
        ADD_URL,
        form_data(components=[{"metric": "mood", "weight": "1", "bad": "0", "good": "10"}]),
    )

    assert errors_of(response)["component_fields"][0] == {
        "metric": ["Select a valid choice. mood is not one of the available choices."]
    }
    assert not HealthModel.objects.filter(name="Custom").exists()


def test_a_text_metric_of_the_snapshot_is_not_a_choice(admin_client):
    response = admin_client.post(
        ADD_URL,
        form_data(components=[{"metric": "movement", "weight": "1", "bad": "0", "good": "1"}]),
    )

    assert "metric" in errors_of(response)["component_fields"][0]


def test_a_metric_may_appear_once_in_a_model(admin_client):
    response = admin_client.post(
        ADD_URL,
        form_data(
            components=[
                {"metric": "open_tickets", "weight": "1", "bad": "10", "good": "0"},
                {"metric": "open_tickets", "weight": "2", "bad": "20", "good": "0"},
            ]
        ),
    )

    assert response.status_code == 200
    assert not HealthModel.objects.filter(name="Custom").exists()
    assert errors_of(response)["components"] == ["Please correct the duplicate data for metric."]


def test_only_one_model_may_be_active_for_accounts_without_a_segment_model(
    admin_client, default_model
):
    response = admin_client.post(ADD_URL, form_data(active=True, components=ONE_COMPONENT))

    assert (
        "“Default” is already the active model for accounts without a model of their own; "
        "deactivate it first."
    ) in errors_of(response)["model"]["__all__"]
    assert not HealthModel.objects.filter(name="Custom").exists()


def test_only_one_model_may_be_active_per_segment(admin_client):
    health_model([("open_tickets", 1, 10, 0)], name="Enterprise A", segment="Enterprise")

    response = admin_client.post(
        ADD_URL,
        form_data(name="Enterprise B", segment="Enterprise", active=True, components=ONE_COMPONENT),
    )

    assert (
        "“Enterprise A” is already the active model for Enterprise; deactivate it first."
    ) in errors_of(response)["model"]["__all__"]
    assert not HealthModel.objects.filter(name="Enterprise B").exists()


@pytest.mark.parametrize(
    "data",
    [
        form_data(green="60", yellow="70", components=ONE_COMPONENT),
        form_data(active=True, components=ONE_COMPONENT),
    ],
    ids=["thresholds", "second-active-model"],
)
def test_a_model_form_error_is_shown_once_without_a_generic_constraint_message(
    admin_client, default_model, data
):
    response = admin_client.post(ADD_URL, data)

    errors = errors_of(response)["model"]["__all__"]
    assert len(errors) == 1
    assert not any("Constraint" in error for error in errors)


def test_an_inactive_second_model_of_a_segment_is_allowed(admin_client, default_model):
    response = admin_client.post(ADD_URL, form_data(active=False, components=ONE_COMPONENT))

    assert response.status_code == 302
    assert HealthModel.objects.get(name="Custom").is_active is False


def test_deleting_every_weighted_component_is_refused(admin_client, default_model):
    data = default_model_data(default_model)
    for i in range(8):
        data[f"components-{i}-DELETE"] = "on"

    response = admin_client.post(change_url(default_model), data)

    assert errors_of(response)["components"] == ["At least one component needs a weight above 0."]
    assert default_model.components.count() == 8


# Publishing versions and queueing rescores.


# Real commits: the rescore is queued when the admin's transaction commits, in time for its
# message to reach the page, as in production.
@pytest.mark.django_db(transaction=True)
def test_changing_a_weight_of_the_active_model_publishes_the_next_version_and_queues_a_rescore(
    admin_client,
    admin_user,
    default_model,
    queued_rescores,
    snapshots_until_end_of_march,
):
    response = admin_client.post(
        change_url(default_model),
        default_model_data(default_model, open_tickets={"weight": "25"}),
        follow=True,
    )

    assert response.status_code == 200
    version = latest_version(default_model)
    assert version.number == 2
    assert version.created_by == admin_user
    weights = {c["metric"]: c["weight"] for c in version.definition["components"]}
    assert weights["open_tickets"] == 25
    assert "Published version 2 of the model." in messages_of(response)
    assert version.reason == "Tickets matter more to us than usage."
    # The same 365 days as the lab's backtest are rescored with the new version, in two parts
    # of one job: 2024-03-31 - 364 days = 2023-04-02.
    job = RescoreJob.objects.get()
    assert (job.model, job.version, job.first, job.last) == (
        default_model,
        version,
        date(2023, 4, 2),
        date(2024, 3, 31),
    )
    assert (job.total_dates, job.done_dates, job.status) == (365, 0, "queued")
    assert queued_rescores == [
        ["2023-04-02", "2023-10-01", job.pk],
        ["2023-10-02", "2024-03-31", job.pk],
    ]
    assert (
        "Queued a rescore of the snapshots from 2023-04-02 to 2024-03-31 (365 dates); its "
        "progress is shown on the model's page."
    ) in messages_of(response)


def test_changing_a_threshold_of_the_active_model_publishes_a_version(
    admin_client,
    default_model,
    queued_rescores,
    snapshots_until_end_of_march,
    django_capture_on_commit_callbacks,
):
    data = default_model_data(default_model)
    data["green_threshold"] = "75"

    # The rescore is queued once the admin's transaction commits.
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(change_url(default_model), data)

    version = latest_version(default_model)
    assert (version.number, version.definition["green"]) == (2, 75)
    assert len(queued_rescores) == 2  # one job, two parts


def test_adding_a_component_publishes_a_version_with_it(
    admin_client, default_model, snapshots_until_end_of_march
):
    data = form_data(
        name="Default",
        active=True,
        components=[
            *existing(default_model),
            {"metric": "fcr_rate_90d", "weight": "5", "bad": "20", "good": "80"},
        ],
    )

    admin_client.post(change_url(default_model), data)

    version = latest_version(default_model)
    assert version.number == 2
    assert len(version.definition["components"]) == 9
    assert version.definition["components"][-1]["metric"] == "fcr_rate_90d"


def test_saving_a_model_without_a_change_publishes_nothing_and_queues_nothing(
    admin_client, default_model, queued_rescores, snapshots_until_end_of_march
):
    response = admin_client.post(
        change_url(default_model), default_model_data(default_model), follow=True
    )

    assert response.status_code == 200
    assert list(default_model.versions.values_list("number", flat=True)) == [1]
    assert queued_rescores == []
    assert not any("Published" in message for message in messages_of(response))


def test_renaming_a_model_publishes_nothing(
    admin_client, default_model, queued_rescores, snapshots_until_end_of_march
):
    data = default_model_data(default_model)
    data["name"] = "Standard"

    admin_client.post(change_url(default_model), data)

    assert HealthModel.objects.get(pk=default_model.pk).name == "Standard"
    assert default_model.versions.count() == 1
    assert queued_rescores == []


def test_changing_an_inactive_model_publishes_a_version_but_queues_no_rescore(
    admin_client, queued_rescores, snapshots_until_end_of_march
):
    draft = health_model([("open_tickets", 1, 10, 0)], name="Draft", active=False)
    component = draft.components.get()

    admin_client.post(
        change_url(draft),
        form_data(
            name="Draft",
            components=[{"id": component.pk, "metric": "open_tickets", "weight": "3", "bad": "10",
                         "good": "0"}],
        ),
    )  # fmt: skip

    assert latest_version(draft).number == 2
    assert queued_rescores == []


# Real commits: the rescore is queued when the admin's transaction commits, in time for its
# message to reach the page, as in production.
@pytest.mark.django_db(transaction=True)
def test_a_change_before_any_snapshot_says_there_is_nothing_to_rescore(
    admin_client, default_model, queued_rescores
):
    response = admin_client.post(
        change_url(default_model),
        default_model_data(default_model, open_tickets={"weight": "25"}),
        follow=True,
    )

    assert latest_version(default_model).number == 2
    assert queued_rescores == []
    assert "No snapshots yet: nothing to rescore." in messages_of(response)


def test_the_rescore_action_queues_the_365_days_ending_at_the_latest_snapshot(
    admin_client, default_model, queued_rescores
):
    SnapshotRunFactory(as_of=date(2024, 3, 30))
    SnapshotRunFactory(as_of=date(2024, 3, 31))

    response = admin_client.post(
        CHANGELIST_URL,
        {"action": "rescore_last_365_days", "_selected_action": [default_model.pk]},
        follow=True,
    )

    # 2024-03-31 - 364 days = 2023-04-02: [2023-04-02, 2024-03-31] is 365 days, queued as two
    # parts that two worker processes score side by side.
    job = RescoreJob.objects.get()
    assert queued_rescores == [
        ["2023-04-02", "2023-10-01", job.pk],
        ["2023-10-02", "2024-03-31", job.pk],
    ]
    assert (
        "Queued a rescore of the snapshots from 2023-04-02 to 2024-03-31"
        in (messages_of(response)[0])
    )
    assert default_model.versions.count() == 1


# Real commits: the rescore is queued when the admin's transaction commits, in time for its
# message to reach the page, as in production.
@pytest.mark.django_db(transaction=True)
def test_an_unreachable_broker_shows_an_error_and_the_model_is_still_saved(
    admin_client,
    default_model,
    broker_down,
    snapshots_until_end_of_march,
):
    response = admin_client.post(
        change_url(default_model),
        default_model_data(default_model, open_tickets={"weight": "25"}),
        follow=True,
    )

    assert response.status_code == 200
    assert default_model.components.get(metric="open_tickets").weight == 25
    assert latest_version(default_model).number == 2
    assert (
        "The rescore could not be queued (the task broker is unreachable); the model is saved, "
        "and the nightly job will score with it."
    ) in messages_of(response)


def test_the_rescore_action_with_an_unreachable_broker_shows_an_error(
    admin_client, default_model, broker_down, snapshots_until_end_of_march
):
    response = admin_client.post(
        CHANGELIST_URL,
        {"action": "rescore_last_365_days", "_selected_action": [default_model.pk]},
        follow=True,
    )

    assert response.status_code == 200
    assert any("could not be queued" in message for message in messages_of(response))


def test_the_rescore_is_queued_only_once_the_new_version_is_committed(
    admin_client,
    default_model,
    queued_rescores,
    snapshots_until_end_of_march,
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(
            change_url(default_model),
            default_model_data(default_model, open_tickets={"weight": "25"}),
        )
        # Still inside the (test's) transaction: nothing may have been queued yet.
        assert queued_rescores == []

    assert [args[:2] for args in queued_rescores] == [
        ["2023-04-02", "2023-10-01"],
        ["2023-10-02", "2024-03-31"],
    ]


# A reason for every change, the weights' total, the rescore's progress, a diff of versions.


def test_changing_a_weight_without_a_reason_is_refused_and_saves_nothing(
    admin_client, default_model, queued_rescores, snapshots_until_end_of_march
):
    data = default_model_data(default_model, open_tickets={"weight": "25"})
    data["reason"] = "  "

    response = admin_client.post(change_url(default_model), data)

    assert response.status_code == 200
    assert errors_of(response)["components"] == [
        "Give a reason for the change (the field above the components): it is kept with the "
        "new version, so whoever reads a score later knows why the model changed."
    ]
    assert default_model.components.get(metric="open_tickets").weight == 10
    assert default_model.versions.count() == 1
    assert queued_rescores == []


def test_renaming_a_model_needs_no_reason(
    admin_client, default_model, snapshots_until_end_of_march
):
    data = default_model_data(default_model)
    data["name"], data["reason"] = "Standard", ""

    response = admin_client.post(change_url(default_model), data)

    assert response.status_code == 302
    assert HealthModel.objects.get(pk=default_model.pk).name == "Standard"


def test_the_change_page_shows_the_weights_total_the_rescores_and_a_diff_of_versions(
    admin_client,
    default_model,
    snapshots_until_end_of_march,
    django_capture_on_commit_callbacks,
):
    data = default_model_data(default_model, open_tickets={"weight": "25"})
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(change_url(default_model), data)
    RescoreJob.objects.filter(model=default_model).update(done_dates=183)

    content = admin_client.get(change_url(default_model)).content.decode()

    # The spec's default weights: 20 + 15 + 10 + 15 + 10 + 10 + 10 + 10 = 100, then 115.
    assert "115 over 8 components" in content
    assert "2023-04-02 to 2024-03-31" in content and "183 of 365 dates (50%), running" in content
    assert "Tickets matter more to us than usage." in content
    # v2 against v1: open tickets' weight 10 -> 25, bad 10 and good 0 kept; the rest the same.
    assert "<th scope='row'>open_tickets</th><td>10 (10 → 0)</td><td>25 (10 → 0)</td>" in content
    assert "<td>changed</td>" in content


def test_a_version_page_shows_what_changed_from_the_previous_version(
    admin_client, default_model, snapshots_until_end_of_march
):
    data = default_model_data(default_model, usage_trend={"bad": "-80"})
    admin_client.post(change_url(default_model), data)
    version = latest_version(default_model)

    response = admin_client.get(f"/admin/healthscores/healthmodelversion/{version.pk}/change/")

    content = response.content.decode()
    assert "<th scope='row'>usage_trend</th><td>20 (-50 → 10)</td><td>20 (-80 → 10)</td>" in content
