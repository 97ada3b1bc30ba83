"""The three default surveys a fresh install gets (migration 0003), which admins then reword."""

FOLLOW_UP = "What is the main reason for your score?"

DEFAULT_SURVEYS = (
    {
        "kind": "nps",
        "name": "Net Promoter Score",
        "question": "How likely are you to recommend us to a friend or colleague?",
        "low_label": "Not at all likely",
        "high_label": "Extremely likely",
        "email_subject": "One quick question: would you recommend us?",
        "email_intro": (
            "We would love to know how we are doing. Answering takes less than a minute: "
            "one question, and a comment if you wish."
        ),
    },
    {
        "kind": "csat",
        "name": "Customer satisfaction",
        "question": "How satisfied are you with our product and service?",
        "low_label": "Very unsatisfied",
        "high_label": "Very satisfied",
        "email_subject": "How satisfied are you with us?",
        "email_intro": "Tell us in one click how satisfied you are, and what we could do better.",
    },
    {
        "kind": "ces",
        "name": "Customer effort",
        "question": "How easy was it to get what you needed from us?",
        "low_label": "Very difficult",
        "high_label": "Very easy",
        "email_subject": "How easy are we to work with?",
        "email_intro": "One question about how easy it is to get things done with us.",
    },
)

# Who may send surveys: CSMs (to the accounts they own) and admins; leaders read results.
INVITE_PERMISSION = "add_invitation"


def install_default_surveys(apps, schema_editor=None) -> None:
    """One active survey per kind, unless that kind already has an active one (idempotent)."""
    Survey = apps.get_model("surveys", "Survey")
    for fields in DEFAULT_SURVEYS:
        if not Survey.objects.filter(kind=fields["kind"], is_active=True).exists():
            Survey.objects.create(**fields, follow_up_question=FOLLOW_UP, is_active=True)


def grant_invite_permission(apps, schema_editor=None) -> None:
    """CSMs and admins may send surveys (object access still follows accounts.access)."""
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    permissions = Permission.objects.filter(content_type__app_label="surveys")
    invite = permissions.filter(codename=INVITE_PERMISSION)
    for group in Group.objects.filter(name="CSM"):
        group.permissions.add(*invite)
    for group in Group.objects.filter(name="Admin"):
        group.permissions.add(*permissions)
