"""Keyset pages of the accounts list: walking next (and back through previous) visits every
row once, in the list's order, with ties on the sort value and accounts without a snapshot."""

import re
from decimal import Decimal
from html import unescape

import pytest

from tests.factories import AccountFactory
from tests.web.test_accounts import SnapshotFactory, snapshot_run
from web import selectors
from web.keyset import cursor_decode, keyset_page
from web.views.accounts import LIST_COLUMNS

SORTS = [prefix + key for key, *_ in LIST_COLUMNS for prefix in ("", "-")]


@pytest.fixture
def tied(db):
    """17 accounts whose sort values repeat (3 MRRs, 2 health scores, 2 renewals), one
    without a snapshot (every figure NULL)."""
    run = snapshot_run()
    for number in range(16):
        SnapshotFactory(
            account=AccountFactory(name=f"Tie {number % 5} {number:02d}"),
            mrr=Decimal(100 * (number % 3)),
            health_score=[None, 55.0][number % 2] if number % 4 else 70.0,
            days_to_renewal=[30, None, 90][number % 3],
            open_tickets=number % 2,
        )
    AccountFactory(name="Tie 0 new")
    return run


def walk(rows, column, descending, size):
    pages = [keyset_page(rows, column=column, descending=descending, size=size)]
    while pages[-1].has_next():
        pages.append(
            keyset_page(
                rows, column=column, descending=descending, size=size, after=pages[-1].next_cursor
            )
        )
    return pages


@pytest.mark.parametrize("sort", SORTS)
def test_next_pages_visit_every_row_once_in_order_and_previous_pages_come_back(leader, tied, sort):
    params = selectors.AccountListParams(sort=sort)
    rows = selectors.account_rows(user=leader, params=params, as_of=tied.as_of)
    column, descending = selectors.sort_column(sort)
    expected = [account.pk for account in rows]

    pages = walk(rows, column, descending, size=4)

    assert [a.pk for page in pages for a in page] == expected
    assert [page.start_index for page in pages] == list(range(1, len(expected) + 1, 4))
    assert pages[-1].end_index == len(expected) == pages[0].count.count
    back = pages[-1]
    for page in reversed(pages[:-1]):
        back = keyset_page(
            rows, column=column, descending=descending, size=4, before=back.previous_cursor
        )
        assert [a.pk for a in back] == [a.pk for a in page]
        assert back.start_index == page.start_index
    assert not back.has_previous()


def test_a_tampered_cursor_shows_the_first_page(leader, tied):
    rows = selectors.account_rows(
        user=leader, params=selectors.AccountListParams(), as_of=tied.as_of
    )
    first = keyset_page(rows, column="name", descending=False, size=4)

    page = keyset_page(rows, column="name", descending=False, size=4, after="x" + first.next_cursor)

    assert cursor_decode("x" + first.next_cursor) is None
    assert [a.pk for a in page] == [a.pk for a in first]


def test_the_list_pages_through_next_links_keeping_the_filters_and_the_sort(
    client, leader, db, django_assert_max_num_queries
):
    snapshot_run()
    for number in range(105):
        SnapshotFactory(
            account=AccountFactory(name=f"Account {number:03d}", segment="SMB"),
            mrr=Decimal(10 * (number % 4)),
        )
    client.force_login(leader)
    seen, url = [], "/?segment=SMB&sort=-mrr"
    while url:
        # the list page pin of test_accounts (15: the last page's rows without an MRR too)
        with django_assert_max_num_queries(15):
            response = client.get(url)
        seen += [account.pk for account in response.context["page"]]
        link = re.search(r'href="([^"]+)" rel="next"', response.content.decode())
        url = "/" + unescape(link.group(1)) if link else None
        if url:
            assert "segment=SMB" in url and "sort=-mrr" in url and "after=" in url

    assert len(seen) == len(set(seen)) == 105
    assert "Showing 101\u2013105 of 105" in response.content.decode()
