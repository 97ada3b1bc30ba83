"""Account pages: the accounts list (the home), its CSV export, the account 360 page and its
actions (notes, the CSM's sentiment, alert acknowledge and close).

Every view reaches accounts through accounts.access, reads snapshots through selectors and
renders an explicit context; each page costs a fixed number of queries whatever the data size.
The 360 page reads every app (snapshots, scores and alerts, surveys, playbooks' timeline
entries), which is why it lives here and not in accounts.
"""

from datetime import timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet, prefetch_related_objects
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    StreamingHttpResponse,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from accounts import selectors as account_selectors
from accounts.access import (
    accounts_visible_to,
    get_account_for_action,
    get_account_for_user,
    memoize_visible_ids,
    require_may_act,
    user_may_act_on,
    user_may_edit_view,
    user_sees_all_accounts,
    views_readable_by,
)
from accounts.bulk import user_may_bulk
from accounts.custom_fields import field_values
from accounts.models import Account, BulkActionKind, View
from accounts.services import account_custom_values_set, account_tags_change, note_add
from accounts.tags import BadTag, normalise_tag, parse_tags
from churn.selectors import FORMULA as CHURN_FORMULA
from churn.selectors import PLAIN as CHURN_PLAIN
from churn.selectors import account_churn
from core.charts import chart_html
from core.exports import csv_response
from healthscores.models import Alert
from healthscores.scoring import CUSTOM_METRIC_PREFIX
from healthscores.selectors import (
    account_alerts,
    open_alerts_for_user,
    override_history,
    version_labels,
    why_moved,
)
from healthscores.services import alert_acknowledge, alert_close, sentiment_override_add
from metrics.freshness import data_freshness
from metrics.registry import ACCOUNT
from playbooks.forms import TaskForm
from playbooks.services import task_create
from surveys.selectors import account_survey_controls
from web import charts, selectors
from web.exports import HEADER, account_lines
from web.forms import (
    RENEWAL_WINDOWS,
    AccountListForm,
    CustomValuesForm,
    NoteForm,
    ScoreMovementForm,
    SentimentOverrideForm,
    list_query,
)
from web.keyset import keyset_page

PAGE_SIZE = 50
NOTE_PERMISSION = "accounts.add_note"
TASK_PERMISSION = "playbooks.add_task"
# The 360 page's cards whose forms show their outcome beside them ({% form_status %}), not at
# the top of the page: an action's message carries its card's id as its tag.
FORM_CARDS = ("alerts", "sentiment", "tasks", "notes", "contacts")

# The list's sortable columns: (sort key, heading, registry key for its tooltip, numeric, the
# direction of the first click: at-risk and big accounts first).
LIST_COLUMNS = (
    ("name", "Account", None, False, ""),
    ("owner", "Owner", None, False, ""),
    ("mrr", "MRR", "mrr", True, "-"),
    ("health", "Health", "health_score", True, ""),
    ("health_change", "30-day change", "health_score", True, ""),
    ("renewal", "Renewal", "days_to_renewal", True, ""),
    ("nps", "NPS", "nps_180d", True, ""),
    ("open_tickets", "Open tickets", "open_tickets", True, "-"),
)


def _column_title(key: str, kpi_key: str | None) -> str:
    if kpi_key is None:
        return ""
    if key == "health_change":
        return f"The health score minus its value 30 days earlier. {ACCOUNT[kpi_key].definition}"
    return ACCOUNT[kpi_key].definition


def _sort_columns(current: str) -> list[dict]:
    """Each column's heading, tooltip, its link's sort value (a click on the current column
    flips it) and its aria-sort state."""
    columns = []
    for key, heading, kpi_key, numeric, first in LIST_COLUMNS:
        state = ""
        if current.removeprefix("-") == key:
            state = "descending" if current.startswith("-") else "ascending"
        flipped = key if state == "descending" else f"-{key}"
        columns.append(
            {
                "key": key,
                "heading": heading,
                "title": _column_title(key, kpi_key),
                "numeric": numeric,
                "next": flipped if state else f"{first}{key}",
                "state": state,
            }
        )
    return columns


def _list_params(request: HttpRequest):
    choices = account_selectors.account_list_choices(
        user=request.user, groups_and_fields=True, group=request.GET.get("group")
    )
    form = AccountListForm(request.GET, choices=choices)
    return form, form.params()


def _applied_view(request: HttpRequest, params) -> View | None:
    """The view the list is on (`?view=`) if the user may read it: one query, and none for a
    list without a view (the pages keep their query budget; views are picked on /views/)."""
    if params.view is None:
        return None
    return views_readable_by(request.user).select_related("team").filter(pk=params.view).first()


HOME_ALERTS = 8
# The list's parameters that narrow it (a "Clear filters" link appears).
FILTERS = ("q", "segment", "owner", "region", "stage", "band", "renewal_within", "group", "custom",
           "tags", "mrr_min", "mrr_max", "churn_above", "view")  # fmt: skip


@require_GET
@memoize_visible_ids
def home(request: HttpRequest) -> HttpResponse:
    """The accounts list: a CSM lands on the accounts they own (all they may see), a leader on
    every account; search, filters, sorting and pages are query parameters."""
    freshness = data_freshness()
    form, params = _list_params(request)
    view = _applied_view(request, params)
    if request.GET.get("pick") is not None:
        # A view picked (on /views/ or a playbook): open it with its criteria in the list's
        # inputs, so they can be read, refined and saved.
        if view is None:
            return redirect("home")
        spec = account_selectors.view_spec(view)
        return redirect(f"{reverse('home')}?{urlencode(list_query(spec, view_id=view.pk))}")
    rows = selectors.account_rows(
        user=request.user,
        params=params,
        as_of=freshness.as_of,
        base=account_selectors.view_spec(view),
    )
    column, descending = selectors.sort_column(params.sort)
    try:
        number = int(request.GET.get("page", 1))
    except ValueError:
        number = 1
    page = keyset_page(
        rows,
        column=column,
        descending=descending,
        size=PAGE_SIZE,
        after=request.GET.get("after"),
        before=request.GET.get("before"),
        number=number,
    )
    context = {
        "view": view,
        "view_figures": selectors.filter_figures(rows=rows) if view else None,
        "view_conditions": account_selectors.view_spec(view).conditions if view else (),
        "may_edit_view": bool(view and user_may_edit_view(request.user, view)),
        "list_query": request.GET.urlencode(),
        "data_freshness": freshness,
        "form": form,
        "params": params,
        "page": page,
        "sees_all": user_sees_all_accounts(request.user),
        "renewal_windows": RENEWAL_WINDOWS,
        "filtered": any(getattr(params, name) not in ("", None, False, ()) for name in FILTERS),
        "columns": _sort_columns(params.sort),
        # A CSM's open alerts (a leader's: every account's), most urgent first.
        "open_alerts": list(open_alerts_for_user(user=request.user, limit=HOME_ALERTS + 1)),
        "home_alerts": HOME_ALERTS,
    }
    # The bulk actions the role may run (accounts.bulk): checkboxes and the action bar.
    kinds = [kind for kind in BulkActionKind.values if user_may_bulk(request.user, kind)]
    context["bulk_kinds"] = kinds
    context["bulk_choices"] = [c for c in BulkActionKind.choices if c[0] in kinds]
    return render(request, "accounts/home.html", context)


@require_GET
def accounts_export(request: HttpRequest) -> StreamingHttpResponse:
    """The current filter of the list as CSV: the same rows, the same access rule, every page."""
    run = data_freshness().run
    _form, params = _list_params(request)
    rows = selectors.account_rows(
        user=request.user,
        params=params,
        as_of=run.as_of if run else None,
        base=account_selectors.view_spec(_applied_view(request, params)),
    )
    stamp = run.as_of.isoformat() if run else timezone.localdate().isoformat()
    return csv_response(
        f"accounts-{stamp}.csv", HEADER, account_lines(rows.iterator(chunk_size=2000))
    )


@require_GET
def account_detail(request: HttpRequest, account_id: int) -> HttpResponse:
    """The account 360 page; 404 for an account the user may not see."""
    account = get_account_for_user(request.user, account_id)
    return render_account_page(request, account)


@require_POST
def note_create(request: HttpRequest, account_id: int) -> HttpResponse:
    """Add a note to the account's log: CSMs and admins may (accounts.add_note); leaders read."""
    account = get_account_for_action(request.user, account_id)
    if not request.user.has_perm(NOTE_PERMISSION):
        raise PermissionDenied("Your role may read notes but not add them.")
    form = NoteForm(request.POST)
    if not form.is_valid():
        return render_account_page(request, account, note_form=form, status=400)
    note_add(account=account, author=request.user, body=form.cleaned_data["body"])
    # The tag names the card that shows the message, beside its form (web/templatetags).
    messages.success(request, "Note added.", extra_tags="notes")
    return redirect(_account_url(account.pk, "notes"))


@require_POST
def task_create_view(request: HttpRequest, account_id: int) -> HttpResponse:
    """A task written on the account page, assigned to its author; a refused one re-renders
    the page with the errors at their fields and what was typed kept."""
    account = get_account_for_action(request.user, account_id)
    if not request.user.has_perm(TASK_PERMISSION):
        raise PermissionDenied("Your role may read tasks but not add them.")
    form = TaskForm(request.POST)
    if not form.is_valid():
        return render_account_page(request, account, task_form=form, status=400)
    task_create(account=account, created_by=request.user, **form.cleaned_data)
    messages.success(request, "Task added to your day.", extra_tags="tasks")
    return redirect(_account_url(account.pk, "tasks"))


def render_account_page(
    request: HttpRequest,
    account: Account,
    *,
    note_form: NoteForm | None = None,
    sentiment_form: SentimentOverrideForm | None = None,
    fields_form: CustomValuesForm | None = None,
    task_form: TaskForm | None = None,
    tags_error: str = "",
    status: int = 200,
) -> HttpResponse:
    """The 360 page, also re-rendered with a form's errors after a failed POST."""
    context = account_page_context(request, account)
    if tags_error:
        context |= {"tags_error": tags_error, "tags_input": request.POST.get("add", "")}
    context["note_form"] = note_form or NoteForm()
    context["sentiment_form"] = sentiment_form or SentimentOverrideForm()
    fields = context["custom_values"]
    if fields and context["may_act"]:
        context["fields_form"] = fields_form or CustomValuesForm(
            fields=[value.field for value in fields], custom=account.custom
        )
    context["task_form"] = task_form or TaskForm()
    context["form_cards"] = FORM_CARDS
    return render(request, "accounts/detail.html", context, status=status)


def account_page_context(request: HttpRequest, account: Account) -> dict:
    """Everything the 360 page shows, in a fixed number of queries: one per kind of record,
    each bounded (a year of snapshots, a year of tickets and surveys, the newest notes)."""
    freshness = data_freshness()
    as_of = freshness.as_of or timezone.localdate()
    snapshot = selectors.account_snapshot(account=account, as_of=freshness.as_of)
    history = selectors.account_history(account=account, last=as_of)
    year_ago = as_of - timedelta(days=selectors.HISTORY_DAYS - 1)
    contracts = account_selectors.account_contracts(account=account)
    tickets = account_selectors.account_recent_tickets(
        account=account, since=year_ago.replace(day=1)
    )
    responses = selectors.account_survey_responses(account=account, since=year_ago)
    alerts = account_alerts(account=account)
    prefetch_related_objects(alerts, "acknowledged_by")  # one query, not one per alert
    overrides = override_history(account=account)
    notes = account_selectors.account_notes(account=account)
    events = account_selectors.contract_events(contracts, first=year_ago, last=as_of)
    contacts = account_selectors.account_contacts(account=account)
    fields = account_selectors.account_fields()
    return {
        "data_freshness": freshness,
        "account": account,
        "may_act": user_may_act_on(request.user, account),
        "sees_all": user_sees_all_accounts(request.user),
        # The admins' own fields with this account's values, typed for display.
        "custom_values": field_values(fields, account.custom),
        # For a company group's parent: its members and the group's MRR and health.
        "group": selectors.group_rollup(account=account, user=request.user, as_of=freshness.as_of),
        "snapshot": snapshot,
        "health_change": _health_change(history, snapshot),
        # The churn probability per horizon beside the health score, with its top factors.
        "churn": account_churn(account_id=account.pk, as_of=freshness.as_of),
        "churn_definition": {"plain": CHURN_PLAIN, "formula": CHURN_FORMULA},
        "contract": account_selectors.active_contract(contracts, as_of),
        "renewal_on": (
            as_of + timedelta(days=snapshot.days_to_renewal)
            if snapshot and snapshot.days_to_renewal is not None
            else None
        ),
        "components": _components(
            snapshot, selectors.survey_answers_180d(responses, snapshot), fields
        ),
        "movement": _movement(request, account, freshness.as_of),
        "charts": _charts(history, events, tickets, responses, as_of),
        "comments": selectors.latest_comments(responses),
        "contacts": contacts,
        # The "send survey" controls, for the roles that may send surveys.
        "survey_controls": account_survey_controls(account=account, contacts=contacts)
        if request.user.has_perm("surveys.add_invitation")
        else None,
        "timeline": selectors.timeline(
            notes=notes,
            tickets=tickets,
            responses=responses,
            events=events,
            alerts=alerts,
            today=timezone.localdate(),
            extra=selectors.extra_timeline_entries(account=account),
        ),
        "alerts": alerts,
        "sentiment": overrides[0] if overrides else None,
        "overrides": overrides,
        "notes": notes,
    }


def _health_change(history, snapshot) -> float | None:
    if snapshot is None or snapshot.health_score is None:
        return None
    earlier = snapshot.as_of - timedelta(days=selectors.HEALTH_CHANGE_DAYS)
    before = next((p for p in history if p.as_of == earlier), None)
    if before is None or before.health_score is None:
        return None
    if before.health_model_version != snapshot.health_model_version:
        return None  # another model's score: not a change in health
    return snapshot.health_score - before.health_score


def _components(snapshot, answers: dict[str, int], fields=()) -> list[dict]:
    """The health components with their registry label and definition, largest weight first;
    a survey score with the number of answers behind it (`answers`); a numeric custom field
    ("custom.<key>") by its field's label."""
    if snapshot is None:
        return []
    labels = {f"{CUSTOM_METRIC_PREFIX}{field.key}": field.label for field in fields}
    components = sorted(snapshot.health_components, key=lambda c: -(c.get("weight") or 0))
    return [
        {
            **c,
            "label": ACCOUNT[c["metric"]].label
            if c["metric"] in ACCOUNT
            else labels.get(c["metric"], c["metric"]),
            "answers": answers.get(c["metric"]),
        }
        for c in components
    ]


def _movement(request: HttpRequest, account: Account, latest) -> dict:
    form = ScoreMovementForm(request.GET, latest=latest)
    dates = form.dates()
    movement = why_moved(account=account, first=dates[0], second=dates[1]) if dates else None
    return {
        "form": form,
        "dates": dates,
        "result": movement,
        "summary": selectors.movement_summary(movement) if movement else "",
    }


def _charts(history, events, tickets, responses, as_of) -> dict[str, str]:
    versions = {p.health_model_version for p in history if p.health_model_version is not None}
    labels = version_labels(versions) if len(versions) > 1 else {}
    latest_version = next(
        (p.health_model_version for p in reversed(history) if p.health_model_version), None
    )
    green, yellow = selectors.band_thresholds(version_id=latest_version)
    months = account_selectors.ticket_months(tickets, account_selectors.month_starts(as_of))
    window = (history[0].as_of, as_of) if history else None  # the daily charts' time axis
    specs = {
        "health": charts.health_chart(history, green=green, yellow=yellow, version_labels=labels),
        "mrr": charts.mrr_chart(history, events, currency=settings.CURRENCY),
        "usage": charts.usage_chart(history),
        "adoption": charts.adoption_chart(history),
        "tickets": charts.tickets_chart(months),
        "surveys": charts.surveys_chart(responses, window=window),
    }
    return {name: chart_html(spec, div_id=f"chart-{name}") for name, spec in specs.items()}


@require_POST
def account_fields_update(request: HttpRequest, account_id: int) -> HttpResponse:
    """Save the account's custom values from the 360 page: for those who may act on it."""
    account = get_account_for_action(request.user, account_id)
    fields = account_selectors.account_fields()
    form = CustomValuesForm(request.POST, fields=fields, custom=account.custom)
    if not form.is_valid():
        return render_account_page(request, account, fields_form=form, status=400)
    account_custom_values_set(account=account, values=form.values())
    messages.success(request, "Fields saved.")
    return redirect(_account_url(account.pk, "fields"))


@require_POST
def account_tags_update(request: HttpRequest, account_id: int) -> HttpResponse:
    """Add tags (`add`, comma-separated) or remove one (`remove`) from the 360 page, for those
    who may act on the account; a bad tag re-renders the page with the reason, writing nothing."""
    account = get_account_for_action(request.user, account_id)
    try:
        add = parse_tags(request.POST.get("add", ""))
        removed = request.POST.get("remove", "")
        remove = (normalise_tag(removed),) if removed.strip() else ()
        if not add and not remove:
            raise BadTag("Type a tag to add.")
        account_tags_change(account=account, add=add, remove=remove)
    except BadTag as error:
        return render_account_page(request, account, tags_error=str(error), status=400)
    done = [f"added {', '.join(add)}"] if add else []
    done += [f"removed {remove[0]}"] if remove else []
    messages.success(request, f"Tags {' and '.join(done)}.")
    return redirect(_account_url(account.pk, "tags"))


# The 360 page's alert actions and the CSM's sentiment.


def _alerts_visible_to(user) -> QuerySet[Alert]:
    """Alerts of the accounts the user may see: the same rule as the accounts themselves."""
    return Alert.objects.filter(account__in=accounts_visible_to(user).values("pk"))


def _get_alert_for_action(user, alert_id: int) -> Alert:
    """The alert to act on: 404 when its account is hidden, 403 when it may only be read."""
    alert = get_object_or_404(_alerts_visible_to(user).select_related("account"), pk=alert_id)
    require_may_act(user, alert.account)
    return alert


def _back(request: HttpRequest, fallback: str) -> HttpResponseRedirect:
    """To the page the form was on when it is ours (`next`), else to `fallback`."""
    target = request.POST.get("next", "")
    safe = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return HttpResponseRedirect(target if target and safe else fallback)


def _account_url(account_id: int, anchor: str) -> str:
    return f"{reverse('account_detail', args=[account_id])}#{anchor}"


@require_POST
def alert_acknowledge_view(request: HttpRequest, alert_id: int) -> HttpResponse:
    alert = _get_alert_for_action(request.user, alert_id)
    alert_acknowledge(alert=alert, user=request.user)
    messages.success(
        request, f"Alert acknowledged: {alert.get_reason_display()}.", extra_tags="alerts"
    )
    return _back(request, _account_url(alert.account_id, "alerts"))


@require_POST
def alert_close_view(request: HttpRequest, alert_id: int) -> HttpResponse:
    alert = _get_alert_for_action(request.user, alert_id)
    alert_close(alert=alert, user=request.user)
    messages.success(request, f"Alert closed: {alert.get_reason_display()}.", extra_tags="alerts")
    return _back(request, _account_url(alert.account_id, "alerts"))


@require_POST
def sentiment_override_create_view(request: HttpRequest, account_id: int) -> HttpResponse:
    """Record the CSM's own band and reason beside the computed score (never replacing it)."""
    account = get_account_for_action(request.user, account_id)
    form = SentimentOverrideForm(request.POST)
    if not form.is_valid():
        return render_account_page(request, account, sentiment_form=form, status=400)
    sentiment_override_add(
        account=account,
        author=request.user,
        band=form.cleaned_data["band"],
        reason=form.cleaned_data["reason"],
    )
    messages.success(
        request, "Your sentiment is recorded beside the health score.", extra_tags="sentiment"
    )
    return HttpResponseRedirect(_account_url(account.pk, "sentiment"))
