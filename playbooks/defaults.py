"""The default playbooks a fresh install gets (data migration 0002), inactive until an admin
turns them on; `manage.py activate_default_playbooks` turns them on (the demo does).

Each: (name, description, trigger and parameters, conditions, actions). Plain data, so the
migration does not depend on today's models.
"""

ACTIVE_CUSTOMERS = ("lifecycle_stage", "in", "active, onboarding")

DEFAULT_PLAYBOOKS = (
    {
        "name": "Health entered red",
        "description": "A customer's health entered the red band: find out why, agree a plan.",
        "trigger": {"trigger": "band_entered", "band": "red"},
        "conditions": [ACTIVE_CUSTOMERS],
        "actions": [
            {
                "kind": "create_task",
                "title": "Call {account}: health is red",
                "body": "{details}. Find out what changed (usage, people, support) and agree "
                "on a recovery plan with the customer.",
                "due_in_days": 3,
                "business_days": True,
                "priority": "high",
            },
        ],
    },
    {
        "name": "Renewal in 90 days, not green",
        "description": "Prepare a business review while there is time to change the outcome.",
        "trigger": {"trigger": "renewal_within", "days": 90},
        "conditions": [("health_band", "not_in", "green")],
        "actions": [
            {
                "kind": "create_task",
                "title": "Prepare a business review for {account}",
                "body": "{details}. Health is not green: review value delivered, risks and "
                "the renewal plan with the customer.",
                "due_in_days": 14,
                "priority": "high",
            },
        ],
    },
    {
        "name": "Detractor response",
        "description": "A detractor answered a survey: call them within 2 business days.",
        "trigger": {"trigger": "detractor"},
        "conditions": [],
        "actions": [
            {
                "kind": "create_task",
                "title": "Call {account} about their detractor answer",
                "body": "{details}. Listen, acknowledge, agree on a fix and a follow-up date.",
                "due_in_days": 2,
                "business_days": True,
                "priority": "high",
            },
        ],
    },
    {
        "name": "Champion left",
        "description": "The customer's internal advocate left: find a new champion.",
        "trigger": {"trigger": "champion_left"},
        "conditions": [ACTIVE_CUSTOMERS],
        "actions": [
            {
                "kind": "create_task",
                "title": "Find a new champion at {account}",
                "body": "{details}. Map the remaining stakeholders and meet the likeliest "
                "successor.",
                "due_in_days": 14,
                "priority": "high",
            },
        ],
    },
    {
        "name": "Usage down 30 %",
        "description": "Usage fell by 30 % or more against the previous 30 days: check in.",
        "trigger": {"trigger": "usage_below", "threshold": -30},
        "conditions": [ACTIVE_CUSTOMERS],
        "actions": [
            {
                "kind": "create_task",
                "title": "Check in with {account}: usage is down",
                "body": "{details}. Ask what changed (team, project, tooling) and offer help.",
                "due_in_days": 7,
            },
        ],
    },
    {
        "name": "Seat utilisation above 100 %",
        "description": "More active users than seats: an upsell conversation.",
        "trigger": {"trigger": "seats_above", "threshold": 100},
        "conditions": [ACTIVE_CUSTOMERS],
        "actions": [
            {
                "kind": "create_task",
                "title": "Upsell conversation with {account}",
                "body": "{details}. Propose a seat expansion before the true-up.",
                "due_in_days": 14,
            },
        ],
    },
    {
        "name": "Onboarding",
        "description": "A new customer's first contract started: kick-off, training, value review.",
        "trigger": {"trigger": "onboarding"},
        "conditions": [],
        "actions": [
            {
                "kind": "create_task",
                "title": "Kick-off call with {account}",
                "body": "{details}. Agree on goals, success criteria and the onboarding plan.",
                "due_in_days": 2,
                "business_days": True,
                "priority": "high",
            },
            {
                "kind": "create_task",
                "day_offset": 14,
                "title": "Training session for {account}",
                "body": "Train the admins and first users on the features in their goals.",
                "due_in_days": 3,
            },
            {
                "kind": "create_task",
                "day_offset": 45,
                "title": "Value review with {account}",
                "body": "Review adoption against the kick-off goals; plan the next quarter.",
                "due_in_days": 5,
            },
        ],
    },
)
DEFAULT_NAMES = tuple(playbook["name"] for playbook in DEFAULT_PLAYBOOKS)


def install_default_playbooks(apps, schema_editor=None) -> None:
    """Create the default playbooks that do not exist yet (by name), inactive."""
    Playbook = apps.get_model("playbooks", "Playbook")
    Condition = apps.get_model("playbooks", "Condition")
    PlaybookAction = apps.get_model("playbooks", "PlaybookAction")
    for spec in DEFAULT_PLAYBOOKS:
        if Playbook.objects.filter(name=spec["name"]).exists():
            continue
        playbook = Playbook.objects.create(
            name=spec["name"], description=spec["description"], is_active=False,
            **spec["trigger"],
        )  # fmt: skip
        Condition.objects.bulk_create(
            Condition(playbook=playbook, field=f, operator=op, value=value)
            for f, op, value in spec["conditions"]
        )
        PlaybookAction.objects.bulk_create(
            PlaybookAction(playbook=playbook, position=position, **action)
            for position, action in enumerate(spec["actions"], start=1)
        )
