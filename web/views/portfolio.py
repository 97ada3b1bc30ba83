"""Portfolio pages: the dashboard, the CSV of its tiles, and the rows behind every figure.

They read the metrics snapshots and the health bands beside them (healthscores), so they live
with the other composed pages; the reads themselves are metrics.dashboard's and metrics.drill's.

Every view starts from `accounts_visible_to` (a CSM sees figures of their own accounts only),
validates its parameters with `PortfolioFilterForm` and reads snapshots through selectors.
"""

from dataclasses import dataclass, replace
from datetime import date
from operator import attrgetter
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from accounts import selectors as account_selectors
from accounts.access import (
    accounts_visible_to,
    memoize_visible_ids,
    user_sees_all_accounts,
    views_readable_by,
)
from accounts.models import Account
from core.charts import currency_symbol, figure_json
from core.exports import csv_response
from metrics import charts, dashboard
from metrics.dashboard import FilterOptions, SnapshotMonth
from metrics.drill import Column, drill_for, sort_parameter, sorted_rows
from metrics.forms import KpiTargetForm, PortfolioFilterForm, PortfolioParams
from metrics.periods import PeriodLength
from metrics.registry import PORTFOLIO
from metrics.selectors import portfolio_kpis
from metrics.services import TARGET_PERMISSION, target_set
from web.selectors import FOLLOW_UP_DRILLS, with_follow_up

DRILL_PAGE_SIZE = 50


@dataclass(frozen=True)
class Scope:
    """What a portfolio request may see and asked for."""

    params: PortfolioParams
    months: list[SnapshotMonth]
    options: FilterOptions
    accounts: QuerySet[Account]
    whole_portfolio: bool
    views: list = ()
    whole_groups: bool = False
    rollup_owner: int | None = None
    can_set_targets: bool = False


def _portfolio_scope(request: HttpRequest) -> Scope:
    visible = accounts_visible_to(request.user)
    sees_all = user_sees_all_accounts(request.user)
    months = dashboard.snapshot_months()
    options = replace(
        dashboard.filter_options(visible),
        groups=tuple(account_selectors.chosen_group(visible, request.GET.get("group"))),
        offers_groups=account_selectors.any_groups(),
    )
    views = _applied_views(request)
    params = PortfolioFilterForm(request.GET, months=months, options=options, views=views).params()
    # The rollup is by segment, region and owner: a company group or a view cuts across.
    groups_and_regions_only = params.group_id is None and params.view is None
    whole_groups = groups_and_regions_only and dashboard.visible_in_whole_groups(
        user=request.user, visible=visible, sees_all=sees_all
    )
    return Scope(
        params=params,
        months=months,
        options=options,
        views=views,
        accounts=params.account_filter.apply(
            visible,
            view=account_selectors.view_spec(params.view),
            as_of=params.as_of,
            user=request.user,
        ),
        whole_portfolio=sees_all and not params.filtered,
        whole_groups=whole_groups,
        # A CSM whose company groups or tasks add other owners' accounts: her own still come
        # from the rollup, the others one by one (a third of the rows at the bench's csm1).
        rollup_owner=request.user.pk if groups_and_regions_only and not whole_groups else None,
        can_set_targets=request.user.has_perm(TARGET_PERMISSION),
    )


def _applied_views(request: HttpRequest) -> list:
    """The view asked for (`?view=`) when the user may read it: one query, none without one
    (the page keeps its query budget; views are picked on /views/)."""
    view_id = request.GET.get("view", "")
    if not view_id.isdigit():
        return []
    return list(views_readable_by(request.user).filter(pk=int(view_id)))


def _page_context(scope: Scope) -> dict[str, Any]:
    return {
        "params": scope.params,
        "months": scope.months,
        "options": scope.options,
        "views": scope.views,
        "whole_portfolio": scope.whole_portfolio,
        "currency": settings.CURRENCY,
        "currency_symbol": currency_symbol(settings.CURRENCY),
        "can_set_targets": scope.can_set_targets,
    }


@memoize_visible_ids
def portfolio(request: HttpRequest) -> HttpResponse:
    scope = _portfolio_scope(request)
    context = _page_context(scope)
    if scope.params.month is None:
        return render(request, "metrics/portfolio.html", context)
    board = dashboard.portfolio_dashboard(
        as_of=scope.params.as_of,
        months=scope.months,
        accounts=scope.accounts,
        targets=dashboard.targets_for(
            segment=scope.params.segment, whole_portfolio=scope.whole_portfolio
        ),
        whole_groups=scope.whole_groups,
        period=scope.params.period,
        rollup_owner=scope.rollup_owner,
    )
    figures = charts.dashboard_figures(board.series, board.windows, currency=settings.CURRENCY)
    sparks = {key: charts.sparkline_points(tile.spark) for key, tile in board.tiles.items()}
    context |= {
        "board": board,
        "charts": {name: figure_json(figure) for name, figure in figures.items()},
        "headline": [_tile_item(tile, sparks, board, headline=True) for tile in board.headline],
        "groups": [
            {
                "group": group.group,
                "tiles": [_tile_item(tile, sparks, board) for tile in group.tiles],
            }
            for group in board.groups
        ],
    }
    return render(request, "metrics/portfolio.html", context)


def _tile_item(
    tile: dashboard.Tile, sparks: dict[str, str], board: dashboard.Dashboard, headline=False
) -> dict[str, Any]:
    """A tile, its sparkline, the count of answers behind a survey score and, on a headline
    trailing-12-month tile, the period's own figure beside it (none over 12 months: the same)."""
    key = tile.kpi.key
    over_a_year = board.period is not None and board.period.length == PeriodLength.TRAILING_12
    beside = dashboard.HEADLINE_BESIDE.get(key) if headline and not over_a_year else None
    answers = dashboard.ANSWER_COUNTS.get(key)
    return {
        "tile": tile,
        "spark": sparks[key],
        "beside": board.tiles[beside] if beside else None,
        "answers": board.current.get(answers) if answers else None,
    }


@require_POST
def target_save(request: HttpRequest) -> HttpResponse:
    """Set or clear one tile's target, from the page (leaders and admins: the KPI target
    permission); back to the page the form was on, saying what was saved or what was wrong."""
    if not request.user.has_perm(TARGET_PERMISSION):
        raise PermissionDenied("Targets are set by leaders and admins.")
    form = KpiTargetForm(request.POST)
    back = request.POST.get("next") or ""
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = ""
    back = back or reverse("portfolio")
    if not form.is_valid():
        problems = "; ".join(f"{error}" for errors in form.errors.values() for error in errors)
        messages.error(request, f"The target was not saved: {problems}")
        return redirect(back)
    kpi = PORTFOLIO[form.cleaned_data["key"]]
    segment, target = form.cleaned_data["segment"], form.cleaned_data["target"]
    if (
        segment
        and segment not in dashboard.filter_options(accounts_visible_to(request.user)).segments
    ):
        messages.error(request, f"The target was not saved: there is no segment {segment!r}.")
        return redirect(back)
    target_set(key=kpi.key, segment=segment, target=target)
    scope = f"the {segment} segment" if segment else "all accounts"
    if target is None:
        messages.success(request, f"Removed the target of {kpi.label} for {scope}.")
    else:
        messages.success(request, f"{kpi.label}: target {target.normalize():f} for {scope}.")
    return redirect(back)


def portfolio_export(request: HttpRequest) -> HttpResponse:
    """The tiles as CSV: key, label, value, unit, previous, target, definition, and what the
    value covers (the period's months, or the day of a stock)."""
    scope = _portfolio_scope(request)
    if scope.params.month is None:
        raise Http404("No snapshot has been computed yet.")
    shown = dashboard.portfolio_tiles(
        as_of=scope.params.as_of,
        months=scope.months,
        accounts=scope.accounts,
        targets=dashboard.targets_for(
            segment=scope.params.segment, whole_portfolio=scope.whole_portfolio
        ),
        whole_groups=scope.whole_groups,
        period=scope.params.period,
        rollup_owner=scope.rollup_owner,
    )
    header = ["key", "label", "value", "unit", "previous", "target", "definition", "covers"]
    rows = (
        [
            *(t.kpi.key, t.kpi.label, t.value, t.kpi.unit),
            *(t.previous, t.target, t.kpi.definition, t.scope),
        ]
        for t in shown.tiles.values()
    )
    suffix = "" if scope.params.period == PeriodLength.MONTH else f"-{scope.params.period}"
    return csv_response(f"portfolio-{scope.params.as_of}{suffix}.csv", header, rows)


def drill(request: HttpRequest, key: str) -> HttpResponse:
    """The rows behind one figure, a page at a time, or all of them as CSV (?format=csv)."""
    spec = drill_for(key)
    if spec is None:
        raise Http404("No such figure.")
    scope = _portfolio_scope(request)
    context = _page_context(scope) | {"drill": spec}
    if scope.params.month is None:
        return render(request, "metrics/drill.html", context)
    figure = drill_figure(key, as_of=scope.params.as_of, accounts=scope.accounts)
    context["figure"] = figure
    rows, columns = spec.rows(scope.params.as_of, scope.accounts), spec.columns
    if key in FOLLOW_UP_DRILLS:
        rows, columns = with_follow_up(rows), (*columns, *FOLLOW_UP_COLUMNS)
    sort = sort_parameter(columns, request.GET.get("sort"))
    rows = sorted_rows(rows, sort)
    if request.GET.get("format") == "csv":
        header = [column.label for column in columns]
        values = ([column.value(row) for column in columns] for row in rows.iterator(2000))
        return csv_response(f"{spec.key}-{scope.params.as_of}.csv", header, values)
    page = Paginator(rows, DRILL_PAGE_SIZE).get_page(request.GET.get("page"))
    context |= {
        "page": page,
        "sort": sort,
        "headers": [_header(column, sort) for column in columns],
        "table": [_table_row(columns, row) for row in page],
    }
    return render(request, "metrics/drill.html", context)


# The last contact and the next step, on the lists a CSM acts on (web.selectors.with_follow_up).
FOLLOW_UP_COLUMNS = (
    Column("Last contact", attrgetter("last_contact_at"), "datetime", sort="last_contact_at"),
    Column(
        "Next step",
        lambda row: f"{row.next_step} (due {row.next_step_due:%-d %b %Y})" if row.next_step else "",
        sort="next_step_due",
    ),
)
# Text sorts A to Z first; figures and dates biggest or latest first.
ASCENDING_FIRST = ("text", "account")


def _header(column: Column, sort: str) -> dict[str, Any]:
    """A column heading: its label, and for a sortable column the order a click asks for and
    the current order (aria-sort), so the header is a plain link a keyboard reaches."""
    if not column.sort:
        return {"label": column.label, "kind": column.kind}
    current = {column.sort: "ascending", f"-{column.sort}": "descending"}.get(sort, "")
    if current:
        toggled = f"-{column.sort}" if current == "ascending" else column.sort
    else:
        toggled = column.sort if column.kind in ASCENDING_FIRST else f"-{column.sort}"
    return {"label": column.label, "kind": column.kind, "sort": toggled, "current": current}


def drill_figure(key: str, *, as_of: date, accounts: QuerySet[Account]) -> dict[str, Any] | None:
    """The figure a drill-down explains, for its header (None for a panel's list)."""
    kpi = PORTFOLIO.get(key)
    if kpi is None:
        return None
    return {"kpi": kpi, "value": portfolio_kpis(as_of=as_of, accounts=accounts)[key]}


def _table_row(columns: tuple[Column, ...], row: Any) -> dict[str, Any]:
    return {
        "account_id": row.account_id,
        "cells": [{"value": column.value(row), "kind": column.kind} for column in columns],
    }
