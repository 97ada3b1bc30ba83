"""Tags (issue 16): free labels on accounts, one tag whatever its case and spacing, kept sorted
and distinct, filtered by containment through the one filter compiler."""

import pytest

from accounts.filters import ViewFilter, filter_accounts
from accounts.models import Account
from accounts.services import account_tags_change
from accounts.tags import MAX_LENGTH, MAX_PER_ACCOUNT, BadTag, normalise_tag, parse_tags
from audit.models import AuditEntry
from tests.factories import AccountFactory


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("Beta", "beta"),
        ("  Exec   sponsor\tleft ", "exec sponsor left"),
        ("q3-expansion", "q3-expansion"),
        ("R&D / EMEA", "r&d / emea"),
        ("Zürich", "zürich"),
    ],
)
def test_a_tag_is_stored_in_one_form_whatever_its_case_and_spacing(raw, stored):
    assert normalise_tag(raw) == stored


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("", "cannot be empty"),
        ("   ", "cannot be empty"),
        ("x" * (MAX_LENGTH + 1), f"at most {MAX_LENGTH} characters"),
        ("drop;table", "use letters, digits"),
        ("<script>", "use letters, digits"),
    ],
)
def test_a_tag_that_cannot_be_stored_says_why(raw, message):
    with pytest.raises(BadTag, match=message):
        normalise_tag(raw)


def test_a_list_of_tags_is_split_on_commas_and_repeats_are_dropped():
    assert parse_tags("Beta, expansion,,BETA , at risk") == ("beta", "expansion", "at risk")
    assert parse_tags("") == ()


def test_tags_are_kept_sorted_and_distinct_and_each_change_is_audited(db):
    account = AccountFactory(tags=[])
    account_tags_change(account=account, add=("zeta", "alpha", "alpha"))
    account_tags_change(account=account, add=("mid",), remove=("zeta",))
    assert Account.objects.get(pk=account.pk).tags == ["alpha", "mid"]
    entries = AuditEntry.objects.filter(action="account.update", object_id=str(account.pk))
    assert [e.changes["tags"] for e in entries.order_by("pk")] == [
        [[], ["alpha", "zeta"]], [["alpha", "zeta"], ["alpha", "mid"]],
    ]  # fmt: skip
    account_tags_change(account=account, add=("alpha",))  # no change: no entry
    assert entries.count() == 2


def test_an_account_holds_a_bounded_number_of_tags_and_a_refusal_writes_nothing(db):
    account = AccountFactory(tags=[f"t{n:02}" for n in range(MAX_PER_ACCOUNT)])
    with pytest.raises(BadTag, match=f"at most {MAX_PER_ACCOUNT} tags"):
        account_tags_change(account=account, add=("one more",))
    assert len(Account.objects.get(pk=account.pk).tags) == MAX_PER_ACCOUNT


def test_a_tag_filter_matches_accounts_carrying_every_tag(db):
    both = AccountFactory(name="Both", tags=["beta", "expansion"])
    AccountFactory(name="Beta only", tags=["beta"])
    AccountFactory(name="None", tags=[])
    spec = ViewFilter(tags=("beta", "expansion"))
    assert list(filter_accounts(Account.objects.all(), spec)) == [both]
    one = filter_accounts(Account.objects.all(), ViewFilter(tags=("beta",)))
    assert sorted(one.values_list("name", flat=True)) == ["Beta only", "Both"]


def test_a_saved_definition_keeps_its_tags_and_normalises_a_hand_written_one():
    spec = ViewFilter(segment="SMB", tags=("beta", "at risk"))
    assert spec.to_dict() == {"segment": "SMB", "tags": ["beta", "at risk"]}
    assert ViewFilter.from_dict(spec.to_dict()) == spec
    assert ViewFilter.from_dict({"tags": [" BETA "]}).tags == ("beta",)
    with pytest.raises(ValueError):
        ViewFilter.from_dict({"tags": ["bad;tag"]})
