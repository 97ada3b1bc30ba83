"""Words for playbooks: what fired a run, in a sentence, and the placeholders admins may use.

Task titles, descriptions, email texts and notes may name `{account}`, `{owner}`, `{playbook}`
and `{details}` (the sentence saying what fired). Only these four are replaced; the forms refuse
any other `{name}`, so a typo shows when the playbook is saved, not in a customer's email.
"""

import re
from datetime import date

from playbooks.models import Trigger

PLACEHOLDERS = ("account", "owner", "playbook", "details")
_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")


def unknown_placeholders(text: str) -> list[str]:
    return sorted({name for name in _PLACEHOLDER.findall(text) if name not in PLACEHOLDERS})


def render(text: str, context: dict[str, str]) -> str:
    return _PLACEHOLDER.sub(lambda m: str(context.get(m.group(1), m.group(0))), text)


def _day(value) -> str:
    if not value:
        return "?"
    day = date.fromisoformat(str(value)[:10])
    return f"{day:%-d %b %Y}"


def _number(value) -> str:
    """15.0 as 15, 12.5 as 12.5."""
    return f"{value:g}" if isinstance(value, float) else str(value)


def trigger_summary(playbook) -> str:
    """'Renewal in 90 days': the playbook's trigger with its own values in place of the
    choice label's N, D and X."""
    trigger = playbook.trigger
    if trigger == Trigger.BAND_ENTERED:
        return f"Health entered the {playbook.get_band_display().lower()} band"
    if trigger == Trigger.HEALTH_FELL:
        return f"Health fell by {_number(playbook.points)} points in {playbook.days} days"
    if trigger == Trigger.RENEWAL_WITHIN:
        return f"Renewal in {playbook.days} days"
    if trigger == Trigger.USAGE_BELOW:
        return f"Usage trend below {_number(playbook.threshold)} %"
    if trigger == Trigger.SEATS_ABOVE:
        return f"Seat utilisation above {_number(playbook.threshold)} %"
    if trigger == Trigger.FILTER_MATCH and playbook.view_id:
        return f"An account matches “{playbook.view}” for the first time"
    if trigger == Trigger.VIEW_ENTERED and playbook.view_id:
        return f"An account enters the view “{playbook.view}”"
    if trigger == Trigger.VIEW_LEFT and playbook.view_id:
        return f"An account leaves the view “{playbook.view}”"
    return playbook.get_trigger_display()


def describe(trigger: str, values: dict) -> str:
    """'Renewal on 30 Sep 2025, in 73 days': what fired a run, from its trigger values."""
    v = values or {}
    if trigger == Trigger.RENEWAL_WITHIN:
        return f"Renewal on {_day(v.get('renewal_on'))}, in {v.get('days_to_renewal')} days"
    if trigger == Trigger.BAND_ENTERED:
        return (
            f"Health {v.get('health_score')} in the {v.get('health_band')} band since "
            f"{_day(v.get('since'))}"
        )
    if trigger == Trigger.HEALTH_FELL:
        return (
            f"Health fell {v.get('fell_by')} points in {v.get('days')} days "
            f"({v.get('earlier_score')} to {v.get('health_score')})"
        )
    if trigger == Trigger.CHAMPION_LEFT:
        title = f", {v['title']}" if v.get("title") else ""
        return f"Champion {v.get('contact')}{title} left on {_day(v.get('left_on'))}"
    if trigger == Trigger.DETRACTOR:
        comment = f': "{v["comment"]}"' if v.get("comment") else ""
        kind = str(v.get("kind", "")).upper()
        return f"{kind} {v.get('score')} on {_day(v.get('responded_at'))}{comment}"
    if trigger == Trigger.USAGE_BELOW:
        return f"Usage trend {v.get('usage_trend')} % since {_day(v.get('since'))}"
    if trigger == Trigger.SEATS_ABOVE:
        return (
            f"Seat utilisation {v.get('seat_utilization')} % ({v.get('active_users_30d')} "
            f"active users on {v.get('seats')} seats)"
        )
    if trigger == Trigger.ONBOARDING:
        return f"First contract started on {_day(v.get('customer_since'))}"
    if trigger == Trigger.FILTER_MATCH:
        return "Matches the view for the first time"
    if trigger == Trigger.VIEW_ENTERED:
        return f"Entered the view “{v.get('view')}” on {_day(v.get('entered_on'))}"
    if trigger == Trigger.VIEW_LEFT:
        return f"Left the view “{v.get('view')}” on {_day(v.get('left_on'))}"
    return ""
