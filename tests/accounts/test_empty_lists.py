"""An empty accounts list says why it is empty, and what to do, for the one reading it."""

import pytest

from tests.factories import AccountFactory

pytestmark = pytest.mark.django_db


def empty_cell(page: str) -> str:
    cell = page[page.index('class="empty"') :]
    return cell[: cell.index("</td>")]


def test_a_leader_owning_no_accounts_is_sent_to_all_accounts_not_to_an_import(
    client, alice, leader
):
    AccountFactory.create_batch(3, owner=alice)
    client.force_login(leader)

    cell = empty_cell(client.get("/?mine=1").content.decode())

    assert 'You own no accounts; <a href="/">see all accounts</a>.' in cell
    assert "import_data" not in cell


def test_a_csm_owning_no_accounts_is_told_who_gives_them(client, alice, bob):
    AccountFactory.create_batch(2, owner=alice)
    client.force_login(bob)

    cell = empty_cell(client.get("/").content.decode())

    assert "You own no accounts yet" in cell and "import_data" not in cell


def test_an_empty_install_tells_a_leader_how_to_load_accounts(client, leader):
    client.force_login(leader)

    assert "import_data" in empty_cell(client.get("/").content.decode())
