"""Migration 0008: a playbook's saved filter becomes a shared view with the same meaning, and the
accounts it already enrolled keep their signal, so nobody enters the playbook twice."""

from datetime import date

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("playbooks", "0007_playbook_view")]
AFTER = [("playbooks", "0009_drop_saved_filters")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_a_saved_filter_becomes_a_shared_view_and_its_runs_keep_their_signal():
    old = migrate(BEFORE)
    Account = old.get_model("accounts", "Account")
    SavedFilter = old.get_model("playbooks", "SavedFilter")
    Condition = old.get_model("playbooks", "Condition")
    Playbook = old.get_model("playbooks", "Playbook")
    PlaybookRun = old.get_model("playbooks", "PlaybookRun")
    saved = SavedFilter.objects.create(name="Big EMEA", description="Our best")
    Condition.objects.create(saved_filter=saved, field="segment", operator="in",
                             value="Enterprise, Strategic")  # fmt: skip
    Condition.objects.create(saved_filter=saved, field="mrr", operator="gte", value="5000")
    playbook = Playbook.objects.create(name="Welcome big", trigger="filter_match",
                                       saved_filter=saved)  # fmt: skip
    account = Account.objects.create(external_id="A-1", name="Big")
    PlaybookRun.objects.create(playbook=playbook, account=account, signal=f"filter:{saved.pk}",
                               as_of=date(2025, 1, 1), anchor_on=date(2025, 1, 1))  # fmt: skip

    migrate(AFTER)

    from accounts.filters import Criterion, ViewFilter
    from accounts.models import View
    from playbooks.models import Playbook as Current
    from playbooks.models import PlaybookRun as CurrentRun

    view = View.objects.get(name="Big EMEA")
    assert (view.visibility, view.owner, view.description) == ("shared", None, "Our best")
    assert ViewFilter.from_dict(view.definition).conditions == (
        Criterion("segment", "in", ("Enterprise", "Strategic")),
        Criterion("mrr", "gte", ("5000",)),
    )
    assert Current.objects.get(pk=playbook.pk).view == view
    assert CurrentRun.objects.get(playbook_id=playbook.pk).signal == f"filter:{view.pk}"
