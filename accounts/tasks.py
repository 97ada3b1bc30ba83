"""Celery tasks of the accounts app."""

from celery import shared_task

from accounts import partitions


@shared_task(name="accounts.partitions")
def maintain_partitions() -> dict:
    """The coming months' usage partitions, and retention (accounts/partitions.py), daily."""
    return partitions.maintain()
