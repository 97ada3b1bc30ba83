from django import forms

from accounts.models import Account


class InboxMapForm(forms.Form):
    """Map an unmatched id to an existing account, or create the account it stands for."""

    account_external_id = forms.CharField(max_length=128, required=False)
    new_account_name = forms.CharField(max_length=255, required=False)

    def clean(self):
        data = super().clean()
        external_id, name = data.get("account_external_id"), data.get("new_account_name")
        if bool(external_id) == bool(name):
            raise forms.ValidationError(
                "Give the external id of an existing account, or a name for a new one."
            )
        if external_id:
            data["account"] = Account.objects.filter(external_id=external_id).first()
            if data["account"] is None:
                self.add_error(
                    "account_external_id", f"No account has external id {external_id!r}."
                )
        return data
