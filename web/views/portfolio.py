"""Portfolio pages: the dashboard, the CSV of its tiles, and the rows behind every figure.

They read the metrics snapshots and the health bands beside them (healthscores), so they live
with the other composed pages; the reads themselves are metrics.dashboard's and metrics.drill's.

Every view starts from `accounts_visible_to` (a CSM sees figures of their own accounts only),
validates its parameters with `PortfolioFilterForm` and reads snapshots through selectors.
"""

from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from django.conf import settings
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from accounts import selectors as account_selectors
from accounts.access import accounts_visible_to, user_sees_all_accounts
from accounts.models import Account
from core.charts import currency_symbol, figure_json
from core.exports import csv_response
from metrics import charts, dashboard
from metrics.dashboard import FilterOptions, SnapshotMonth
from metrics.drill import Drill, drill_for
from metrics.forms import PortfolioFilterForm, PortfolioParams
from metrics.registry import PORTFOLIO
from metrics.selectors import portfolio_kpis

DRILL_PAGE_SIZE = 50


@dataclass(frozen=True)
class Scope:
    """What a portfolio request may see and asked for."""

    params: PortfolioParams
    months: list[SnapshotMonth]
    options: FilterOptions
    accounts: QuerySet[Account]
    whole_portfolio: bool
    whole_groups: bool = False


def _portfolio_scope(request: HttpRequest) -> Scope:
    visible = accounts_visible_to(request.user)
    sees_all = user_sees_all_accounts(request.user)
    months = dashboard.snapshot_months()
    options = replace(
        dashboard.filter_options(visible), groups=tuple(account_selectors.group_choices(visible))
    )
    params = PortfolioFilterForm(request.GET, months=months, options=options).params()
    return Scope(
        params=params,
        months=months,
        options=options,
        accounts=params.account_filter.apply(visible),
        whole_portfolio=sees_all and not params.filtered,
        # The rollup is by segment, region and owner: a company group cuts across them.
        whole_groups=params.group_id is None
        and dashboard.visible_in_whole_groups(
            user=request.user, visible=visible, sees_all=sees_all
        ),
    )


def _page_context(scope: Scope) -> dict[str, Any]:
    return {
        "params": scope.params,
        "months": scope.months,
        "options": scope.options,
        "whole_portfolio": scope.whole_portfolio,
        "currency": settings.CURRENCY,
        "currency_symbol": currency_symbol(settings.CURRENCY),
    }


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
    )
    figures = charts.dashboard_figures(board.series, board.windows, currency=settings.CURRENCY)
    sparks = {key: charts.sparkline_points(tile.spark) for key, tile in board.tiles.items()}
    context |= {
        "board": board,
        "charts": {name: figure_json(figure) for name, figure in figures.items()},
        "headline": [_tile_item(tile, sparks) for tile in board.headline],
        "groups": [
            {"group": group.group, "tiles": [_tile_item(tile, sparks) for tile in group.tiles]}
            for group in board.groups
        ],
    }
    return render(request, "metrics/portfolio.html", context)


def _tile_item(tile: dashboard.Tile, sparks: dict[str, str]) -> dict[str, Any]:
    return {"tile": tile, "spark": sparks[tile.kpi.key]}


def portfolio_export(request: HttpRequest) -> HttpResponse:
    """The tiles as CSV: key, label, value, unit, previous, target, definition."""
    scope = _portfolio_scope(request)
    if scope.params.month is None:
        raise Http404("No snapshot has been computed yet.")
    tiles, _series, _compared_with = dashboard.portfolio_tiles(
        as_of=scope.params.as_of,
        months=scope.months,
        accounts=scope.accounts,
        targets=dashboard.targets_for(
            segment=scope.params.segment, whole_portfolio=scope.whole_portfolio
        ),
        whole_groups=scope.whole_groups,
    )
    header = ["key", "label", "value", "unit", "previous", "target", "definition"]
    rows = (
        [t.kpi.key, t.kpi.label, t.value, t.kpi.unit, t.previous, t.target, t.kpi.definition]
        for t in tiles.values()
    )
    return csv_response(f"portfolio-{scope.params.as_of}.csv", header, rows)


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
    rows = spec.rows(scope.params.as_of, scope.accounts)
    if request.GET.get("format") == "csv":
        header = [column.label for column in spec.columns]
        values = ([column.value(row) for column in spec.columns] for row in rows.iterator(2000))
        return csv_response(f"{spec.key}-{scope.params.as_of}.csv", header, values)
    page = Paginator(rows, DRILL_PAGE_SIZE).get_page(request.GET.get("page"))
    context |= {"page": page, "table": [_table_row(spec, row) for row in page]}
    return render(request, "metrics/drill.html", context)


def drill_figure(key: str, *, as_of: date, accounts: QuerySet[Account]) -> dict[str, Any] | None:
    """The figure a drill-down explains, for its header (None for a panel's list)."""
    kpi = PORTFOLIO.get(key)
    if kpi is None:
        return None
    return {"kpi": kpi, "value": portfolio_kpis(as_of=as_of, accounts=accounts)[key]}


def _table_row(spec: Drill, row: Any) -> dict[str, Any]:
    return {
        "account_id": row.account_id,
        "cells": [{"value": column.value(row), "kind": column.kind} for column in spec.columns],
    }
