"""The 360 page's figures say what they are in plain words, by click and keyboard (a
disclosure), not in a hover-only `title` in spec notation (issue 21, item 2)."""

import re

import pytest
from django.urls import reverse

from metrics.registry import ACCOUNT_FACTS, ACCOUNT_KPIS
from tests.factories import AccountFactory

SPEC_NOTATION = re.compile(r"<=|>=| x 100|\bD\b|\bm0\b|\bm1\b")


def test_every_account_metric_has_a_plain_definition_without_spec_notation():
    for kpi in (*ACCOUNT_KPIS, *ACCOUNT_FACTS):
        assert kpi.plain, f"{kpi.key} has no plain definition"
        assert not SPEC_NOTATION.search(kpi.plain), (kpi.key, kpi.plain)


@pytest.mark.django_db
def test_the_360_tiles_open_their_definition_instead_of_a_hover_title(client, alice):
    account = AccountFactory(owner=alice)
    client.force_login(alice)

    page = client.get(reverse("account_detail", args=[account.pk])).content.decode()

    tiles = page[
        page.index('aria-label="Key figures"') : page.index(
            "</section>", page.index('aria-label="Key figures"')
        )
    ]
    assert 'title="' not in tiles
    assert tiles.count("<summary>What is this?") >= 4
    assert "What this account pays each month" in tiles


@pytest.mark.django_db
def test_the_plan_and_customer_since_tiles_explain_themselves_in_a_disclosure(client, alice):
    account = AccountFactory(owner=alice)
    client.force_login(alice)

    page = client.get(reverse("account_detail", args=[account.pk])).content.decode()

    for label, words in (
        ("Plan", "biggest contract running on the last day shown"),
        ("Customer since", "first paid contract started"),
    ):
        tile = page[page.index(f'<span class="tile-label">{label}</span>') :]
        tile = tile[: tile.index("</details>")]
        assert f'<summary>What is this?<span class="visually-hidden"> {label}</span>' in tile
        assert words in tile
        assert 'title="' not in tile
