"""Writes of the accounts app made from the pages and playbooks: notes, lifecycle stages."""

from django.contrib.auth.models import AbstractBaseUser

from accounts.models import Account, LifecycleStage, Note


def note_add(*, account: Account, author: AbstractBaseUser | None, body: str) -> Note:
    """Append a note to the account's interaction log; notes are never edited, only added.
    A note without an author was written by the system (a playbook)."""
    return Note.objects.create(account=account, author=author, body=body.strip())


def account_lifecycle_stage_set(*, account: Account, stage: str) -> None:
    """Move the account to a lifecycle stage (a playbook's action). The import derives stages
    from contracts again when it runs, and a derived stage wins from then on."""
    if stage not in LifecycleStage.values:
        raise ValueError(f"unknown lifecycle stage {stage!r}")
    if account.lifecycle_stage != stage:
        account.lifecycle_stage = stage
        account.save(update_fields=["lifecycle_stage"])
