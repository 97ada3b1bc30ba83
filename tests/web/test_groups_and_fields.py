"""Company groups and the admins' own fields in the pages (issue 16): the list and the portfolio
cut by group, a parent's 360 page with its members and roll-up, the parent owner's reach over
the group, custom values shown and edited on the 360 page, and the list's field filters.

Globex Holding (alice's) has two subsidiaries, Globex UK (bob's) and Globex DE (nobody's), and
Globex DE has a subsidiary of its own, Globex Berlin; Initech (bob's) stands alone.
"""

from decimal import Decimal

import pytest

from accounts.models import Account, CustomField, Note
from tests.factories import AccountFactory, UserFactory
from tests.web.test_accounts import AS_OF, EARLIER, SnapshotFactory, names, snapshot_run


@pytest.fixture
def run(db):
    """The latest completed snapshot run, of AS_OF (as in test_accounts)."""
    snapshot_run(EARLIER)
    return snapshot_run(AS_OF)


@pytest.fixture
def group(alice, bob, run):
    holding = AccountFactory(name="Globex Holding", owner=alice)
    uk = AccountFactory(name="Globex UK", owner=bob, parent=holding)
    de = AccountFactory(name="Globex DE", parent=holding)
    berlin = AccountFactory(name="Globex Berlin", parent=de)
    initech = AccountFactory(name="Initech", owner=bob)
    SnapshotFactory(account=holding, mrr=Decimal("1000.00"), health_score=90.0)
    SnapshotFactory(account=uk, mrr=Decimal("3000.00"), health_score=30.0)
    SnapshotFactory(account=de, mrr=Decimal("0.00"), health_score=10.0)  # not a customer
    SnapshotFactory(account=berlin, mrr=Decimal("1000.00"), health_score=50.0)
    SnapshotFactory(account=initech, mrr=Decimal("7000.00"), health_score=80.0)
    return {"holding": holding, "uk": uk, "de": de, "berlin": berlin, "initech": initech}


@pytest.fixture
def fields(db):
    return {
        "tier": CustomField.objects.create(
            target="accounts", key="tier", label="Tier", field_type="choice",
            choices=["Gold", "Silver"],
        ),
        "employees": CustomField.objects.create(
            target="accounts", key="employees", label="Employees", field_type="number"
        ),
        "signed_on": CustomField.objects.create(
            target="accounts", key="signed_on", label="Signed on", field_type="date"
        ),
        "partner": CustomField.objects.create(
            target="accounts", key="partner", label="Partner", field_type="boolean"
        ),
    }  # fmt: skip


# The list and the portfolio, cut by company group


def test_the_list_offers_a_group_picker_that_suggests_the_accounts_with_children(
    client, leader, group
):
    client.force_login(leader)

    page = client.get("/").text
    suggested = client.get("/search/groups/", {"q": "globex"}).json()["results"]

    assert 'data-group-picker data-suggest="/search/groups/"' in page
    assert "<option" not in page.split('id="id_group"')[1].split("</div>")[0]
    assert [g["name"] for g in suggested] == ["Globex DE", "Globex Holding"]


def test_group_suggestions_put_names_that_start_with_the_text_first_and_match_external_ids(
    client, leader, group
):
    hold_co = AccountFactory(name="Hold Co")
    AccountFactory(name="Hold Co Ltd", parent=hold_co)
    client.force_login(leader)

    by_start = client.get("/search/groups/", {"q": "hold"}).json()["results"]
    by_id = client.get("/search/groups/", {"q": group["holding"].external_id}).json()["results"]

    assert [g["name"] for g in by_start] == ["Hold Co", "Globex Holding"]
    assert [g["id"] for g in by_id] == [group["holding"].pk]
    assert client.get("/search/groups/", {"q": "  "}).json() == {"results": []}


def test_the_chosen_group_is_shown_by_name_in_the_picker(client, leader, group):
    client.force_login(leader)

    response = client.get("/", {"group": group["holding"].pk})

    assert response.context["form"].chosen_group == (group["holding"].pk, "Globex Holding")
    assert f'name="group" value="{group["holding"].pk}"' in response.text
    assert 'value="Globex Holding"' in response.text


def test_a_book_without_groups_shows_no_group_picker(client, leader):
    client.force_login(leader)

    assert "data-group-picker" not in client.get("/").text
    assert "data-group-picker" not in client.get("/portfolio/").text


def test_a_group_id_that_is_not_a_group_is_ignored_not_an_error(client, leader, group):
    client.force_login(leader)
    not_a_group = Account.objects.filter(children__isnull=True).first()

    response = client.get("/", {"group": not_a_group.pk})

    assert response.status_code == 200
    assert response.context["params"].group is None


def test_a_group_lists_its_parent_and_every_account_below_it(client, leader, group):
    client.force_login(leader)

    response = client.get("/", {"group": group["holding"].pk})

    assert names(response) == ["Globex Berlin", "Globex DE", "Globex Holding", "Globex UK"]
    assert names(client.get("/", {"group": group["de"].pk})) == ["Globex Berlin", "Globex DE"]


def test_the_portfolio_cut_by_a_group_sums_its_members_only(client, leader, group):
    client.force_login(leader)

    whole = client.get("/portfolio/").context["board"].current["mrr"]
    cut = client.get("/portfolio/", {"group": group["holding"].pk}).context["board"]

    assert whole == Decimal("12000.00")
    assert cut.current["mrr"] == Decimal("5000.00")


def test_an_unknown_group_falls_back_to_no_filter(client, leader, group):
    client.force_login(leader)

    assert len(names(client.get("/", {"group": "999999"}))) == 5
    assert client.get("/portfolio/", {"group": "x"}).status_code == 200


# A parent's 360 page


def test_a_parents_page_shows_its_members_and_the_groups_roll_up(client, leader, group):
    client.force_login(leader)

    response = client.get(f"/accounts/{group['holding'].pk}/")

    rollup = response.context["group"]
    assert [m.name for m in rollup.members] == ["Globex UK", "Globex Berlin", "Globex DE"]
    assert rollup.health.mrr == Decimal("5000.00")
    # MRR-weighted over the paying members: (90 x 1000 + 30 x 3000 + 50 x 1000) / 5000 = 46.
    assert rollup.health.score == pytest.approx(46.0)
    assert rollup.health.worst_band == "red"
    page = response.content.decode()
    assert 'id="group-members"' in page and "$5,000" in page and ">46<" in page


def test_an_account_without_children_has_no_group_section(client, leader, group):
    client.force_login(leader)

    response = client.get(f"/accounts/{group['initech'].pk}/")

    assert response.context["group"] is None
    assert 'id="group"' not in response.content.decode()


@pytest.mark.parametrize("size", [3, 30])
def test_a_parents_page_costs_the_same_queries_for_3_or_30_members(
    client, leader, run, size, django_assert_max_num_queries
):
    parent = AccountFactory(name="Parent")
    SnapshotFactory(account=parent)
    for number in range(size):
        SnapshotFactory(account=AccountFactory(parent=parent, name=f"Member {number:02d}"))
    client.force_login(leader)

    # The leader's 360 page (no survey controls, an empty year): the members and the group's
    # roll-up are one query each, whatever the number of members. (+1: churn probabilities)
    with django_assert_max_num_queries(25):
        response = client.get(f"/accounts/{parent.pk}/")
    assert len(response.context["group"].members) == size


# The parent's owner and the group


def test_the_owner_of_a_parent_sees_every_account_below_it(client, alice, group):
    client.force_login(alice)

    assert names(client.get("/")) == ["Globex Berlin", "Globex DE", "Globex Holding", "Globex UK"]
    assert client.get(f"/accounts/{group['berlin'].pk}/").status_code == 200


def test_the_owner_of_a_parent_may_act_on_its_members(client, alice, group):
    client.force_login(alice)

    response = client.post(f"/accounts/{group['uk'].pk}/notes/", {"body": "Group call."})

    assert response.status_code == 302
    assert Note.objects.filter(account=group["uk"], author=alice).exists()


def test_a_subsidiarys_owner_sees_neither_the_parent_nor_its_siblings(client, bob, group):
    client.force_login(bob)

    assert names(client.get("/")) == ["Globex UK", "Initech"]
    assert client.get(f"/accounts/{group['holding'].pk}/").status_code == 404
    assert client.get(f"/accounts/{group['de'].pk}/").status_code == 404
    hidden = client.get("/", {"group": group["holding"].pk})
    assert hidden.context["form"].chosen_group is None
    assert hidden.context["params"].group is None
    assert client.get("/search/groups/", {"q": "Globex"}).json() == {"results": []}


def test_a_leaver_of_the_parent_loses_the_group(client, alice, group):
    group["holding"].owner = UserFactory(groups=["CSM"])
    group["holding"].save()
    client.force_login(alice)

    assert names(client.get("/")) == []
    assert client.get(f"/accounts/{group['berlin'].pk}/").status_code == 404


# Custom fields on the 360 page


def test_the_360_page_shows_each_field_with_its_label_and_typed_value(client, alice, fields, run):
    account = AccountFactory(
        owner=alice,
        custom={"tier": "Gold", "employees": 12500.5, "signed_on": "2024-05-01", "partner": False},
    )
    client.force_login(alice)

    page = client.get(f"/accounts/{account.pk}/").content.decode()

    for shown in ("Tier", "Gold", "Employees", "12,500.5", "Signed on", "1 May 2024", "Partner"):
        assert shown in page
    assert "<dd>No</dd>" in page
    assert 'id="fields"' in page and "Edit fields" in page


def test_the_owner_edits_the_fields_and_an_empty_value_removes_it(client, alice, fields, run):
    account = AccountFactory(owner=alice, custom={"tier": "Gold", "imported_only": 1})
    client.force_login(alice)

    response = client.post(
        f"/accounts/{account.pk}/fields/",
        {
            "custom-tier": "",
            "custom-employees": "1200",
            "custom-signed_on": "2025-02-01",
            "custom-partner": "yes",
        },
    )

    assert response.status_code == 302
    assert response["Location"].endswith("#fields")
    account.refresh_from_db()
    assert account.custom == {
        "employees": 1200, "signed_on": "2025-02-01", "partner": True, "imported_only": 1,
    }  # fmt: skip


def test_a_bad_field_value_is_refused_with_its_error_and_nothing_is_written(
    client, alice, fields, run
):
    account = AccountFactory(owner=alice, custom={"tier": "Gold"})
    client.force_login(alice)

    response = client.post(
        f"/accounts/{account.pk}/fields/",
        {"custom-tier": "Silver", "custom-employees": "lots", "custom-signed_on": "2025-02-30"},
    )

    assert response.status_code == 400
    page = response.content.decode()
    assert "is not a number" in page and "not a valid calendar date" in page
    account.refresh_from_db()
    assert account.custom == {"tier": "Gold"}


def test_a_leader_edits_fields_but_a_csm_cannot_touch_another_csms_account(
    client, leader, bob, alice, fields, run
):
    account = AccountFactory(owner=alice)
    client.force_login(bob)
    assert (
        client.post(f"/accounts/{account.pk}/fields/", {"custom-tier": "Gold"}).status_code == 404
    )
    client.force_login(leader)
    assert (
        client.post(f"/accounts/{account.pk}/fields/", {"custom-tier": "Gold"}).status_code == 302
    )

    account.refresh_from_db()
    assert account.custom == {"tier": "Gold"}


def test_without_fields_the_360_page_has_no_fields_section(client, alice, run):
    account = AccountFactory(owner=alice)
    client.force_login(alice)

    assert 'id="fields"' not in client.get(f"/accounts/{account.pk}/").content.decode()


# The list's filters on custom fields


@pytest.fixture
def tiered(alice, bob, fields, run):
    made = {
        "Acme": AccountFactory(name="Acme", owner=alice,
                               custom={"tier": "Gold", "employees": 1200, "partner": True}),
        "Globex": AccountFactory(name="Globex", owner=alice,
                                 custom={"tier": "Silver", "employees": 40, "partner": False}),
        "Hooli": AccountFactory(name="Hooli", owner=alice, custom={}),
        "Initech": AccountFactory(name="Initech", owner=bob,
                                  custom={"tier": "Gold", "employees": 5000, "partner": True}),
    }  # fmt: skip
    for account in made.values():
        SnapshotFactory(account=account, as_of=AS_OF)
    return made


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"cf_tier": "Gold"}, ["Acme", "Initech"]),
        ({"cf_partner": "no"}, ["Globex"]),
        ({"cf_partner": "yes", "cf_tier": "Gold"}, ["Acme", "Initech"]),
        ({"cf_employees_min": "100"}, ["Acme", "Initech"]),
        ({"cf_employees_min": "41", "cf_employees_max": "1200"}, ["Acme"]),
        ({"cf_employees_max": "40.0"}, ["Globex"]),
        ({"cf_tier": "Bronze"}, ["Acme", "Globex", "Hooli", "Initech"]),  # not a choice: ignored
        ({"cf_employees_min": "many"}, ["Acme", "Globex", "Hooli", "Initech"]),
    ],
)
def test_custom_field_filters_narrow_the_list(client, leader, tiered, params, expected):
    client.force_login(leader)

    assert names(client.get("/", params)) == expected


def test_a_csm_filtering_by_a_field_finds_none_of_another_csms_accounts(client, bob, tiered):
    client.force_login(bob)

    assert names(client.get("/", {"cf_tier": "Gold"})) == ["Initech"]
    assert names(client.get("/", {"cf_employees_min": "1"})) == ["Initech"]
    export = b"".join(client.get("/accounts/export.csv", {"cf_tier": "Gold"}).streaming_content)
    assert b"Acme" not in export and b"Initech" in export


def test_the_field_filters_use_the_containment_index(tiered):
    """`custom @> ...` is what the GIN jsonb_path_ops index serves (plan forced to prefer it)."""
    from django.db import connection

    sql, params = (
        Account.objects.filter(custom__contains={"tier": "Gold"})
        .values("pk")
        .query.sql_with_params()
    )
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "account_custom_idx" in plan
