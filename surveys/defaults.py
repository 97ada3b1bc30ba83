"""The three default surveys a fresh install gets (migration 0003), which admins then reword.
Texts may name {company}: COMPANY_NAME (surveys.branding), so a customer reads who asks."""

FOLLOW_UP = "What is the main reason for your score?"

DEFAULT_SURVEYS = (
    {
        "kind": "nps",
        "name": "Net Promoter Score",
        "question": "How likely are you to recommend {company} to a friend or colleague?",
        "low_label": "Not at all likely",
        "high_label": "Extremely likely",
        "email_subject": "One quick question: would you recommend {company}?",
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

# The wording of the first defaults, and what names the company instead (migration 0004
# updates surveys still worded so).
RENAMED = {
    "How likely are you to recommend us to a friend or colleague?":
        "How likely are you to recommend {company} to a friend or colleague?",
    "One quick question: would you recommend us?":
        "One quick question: would you recommend {company}?",
}  # fmt: skip


def name_the_company(apps, schema_editor=None) -> None:
    """Default surveys nobody reworded ask about {company} instead of "us"."""
    Survey = apps.get_model("surveys", "Survey")
    for old, new in RENAMED.items():
        Survey.objects.filter(question=old).update(question=new)
        Survey.objects.filter(email_subject=old).update(email_subject=new)


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
