"""Writes of the accounts app made from the pages: notes on an account."""

from django.contrib.auth.models import AbstractBaseUser

from accounts.models import Account, Note


def note_add(*, account: Account, author: AbstractBaseUser, body: str) -> Note:
    """Append a note to the account's interaction log; notes are never edited, only added."""
    return Note.objects.create(account=account, author=author, body=body.strip())
