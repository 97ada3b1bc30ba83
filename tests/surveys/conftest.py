"""Fixtures of the surveys tests: an account owned by alice with contacts, and Celery in eager
mode for the tests that follow an invitation to its email."""

import pytest

from tests.factories import AccountFactory, ContactFactory


@pytest.fixture
def acme(alice):
    return AccountFactory(name="Acme", owner=alice, segment="Enterprise")


@pytest.fixture
def jane(acme):
    return ContactFactory(account=acme, name="Jane Doe", email="jane@acme.example")


@pytest.fixture
def eager_celery():
    """Tasks run in the caller's process when queued, as a worker would run them."""
    from config.celery import app

    previous = app.conf.task_always_eager, app.conf.task_eager_propagates
    app.conf.task_always_eager = app.conf.task_eager_propagates = True
    yield app
    app.conf.task_always_eager, app.conf.task_eager_propagates = previous
