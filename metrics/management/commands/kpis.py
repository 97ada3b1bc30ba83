"""`python manage.py kpis --as-of D [--period month|3m|12m] [--format json|table]
[--segment S --owner EMAIL] [--group EXTERNAL_ID] [--view ID|NAME]`."""

from datetime import date, timedelta

from django.core.management.base import BaseCommand, CommandError

from accounts import selectors as account_selectors
from accounts.models import Account, View
from metrics import report, selectors
from metrics.periods import PeriodLength
from metrics.registry import PORTFOLIO_KPIS, Unit
from metrics.selectors import AccountFilter


class Command(BaseCommand):
    help = "Print the KPIs of one as-of date from the stored snapshots (kpi-spec section 9)."

    def add_arguments(self, parser):
        parser.add_argument("--as-of", required=True, type=date.fromisoformat, metavar="D")
        parser.add_argument(
            "--period",
            choices=PeriodLength.values,
            default=PeriodLength.MONTH,
            help="the portfolio's figures over D's month to D (default), or over the trailing 3 "
            "or 12 calendar months ending with it: flows summed over the months (each read on "
            "its last computed date), stocks on D, NRR, GRR and logo churn of the customers "
            "paying the day before the period",
        )
        parser.add_argument("--format", choices=["json", "table"], default="json")
        parser.add_argument("--segment", default="")
        parser.add_argument("--region", default="")
        parser.add_argument("--stage", default="", help="lifecycle stage")
        parser.add_argument("--owner", default="", metavar="EMAIL")
        parser.add_argument(
            "--group",
            default="",
            metavar="EXTERNAL_ID",
            help="an account and every account below it (its company group)",
        )
        parser.add_argument(
            "--view",
            default="",
            metavar="ID|NAME",
            help="a saved view's accounts, by its id or its name: the filter the list and the "
            "portfolio apply, its figures read on D ('mine' means the view owner's accounts)",
        )

    def handle(self, *args, as_of: date, format: str, period: str, **options):
        if not selectors.snapshot_exists(as_of=as_of):
            raise CommandError(
                f"No snapshot for {as_of}. Compute it with: "
                f"python manage.py recompute_snapshots --date {as_of}"
            )
        months = None
        if period != PeriodLength.MONTH:
            months = selectors.portfolio_period(as_of=as_of, length=PeriodLength(period))
            if months.missing:
                first, last = months.missing[0], months.missing[-1]
                raise CommandError(
                    f"The trailing {months.length.months} months to {as_of} need a snapshot in "
                    f"every month; none in {', '.join(f'{m:%Y-%m}' for m in months.missing)}. "
                    f"Compute them with: python manage.py recompute_snapshots --from {first} "
                    f"--to {_month_end(last)}"
                )
        group = None
        if options["group"]:
            group = Account.objects.filter(external_id=options["group"]).first()
            if group is None:
                raise CommandError(f"No account has the external id {options['group']!r}.")
        account_filter = AccountFilter(
            group_id=group.pk if group else None,
            segment=options["segment"],
            region=options["region"],
            lifecycle_stage=options["stage"],
            owner_email=options["owner"],
        )
        view = _view(options["view"]) if options["view"] else None
        accounts = account_filter.apply(
            Account.objects.all(),
            view=account_selectors.view_spec(view),
            as_of=as_of,
            user=view.owner if view else None,
        )
        document = report.kpis_document(as_of=as_of, accounts=accounts, period=months)
        if group is not None:
            document["group"] = report.group_entry(as_of=as_of, group=group, accounts=accounts)
        if view is not None:
            document["view"] = {"id": view.pk, "name": view.name}
        if format == "json":
            self.stdout.write(report.to_json(document))
        else:
            self._write_table(document)

    def _write_table(self, document: dict) -> None:
        self.stdout.write(
            f"KPIs as of {document['as_of']} (period {document['period_start']} to "
            f"{document['period_end']}, {len(document['accounts'])} accounts, "
            f"{document['currency']})"
        )
        if view := document.get("view"):
            self.stdout.write(f"View {view['name']!r} (id {view['id']})")
        if group := document.get("group"):
            score = "—" if group["health_score"] is None else f"{group['health_score']:.2f}"
            self.stdout.write(
                f"Group {group['external_id']}: {group['members']} accounts, health {score} "
                f"(MRR-weighted over {group['paying_members']} paying), worst band "
                f"{group['worst_band'] or '—'}"
            )
        groups = dict.fromkeys(kpi.group for kpi in PORTFOLIO_KPIS)
        for group in groups:
            self.stdout.write(f"\n{group}")
            for kpi in (kpi for kpi in PORTFOLIO_KPIS if kpi.group == group):
                value = _plain(document["portfolio"][kpi.key])
                shown = "—" if value is None else _format(value, kpi.unit)
                self.stdout.write(f"  {kpi.label:<32} {shown:>18}")


def _view(wanted: str) -> View:
    """The view of that id, else the one of that name; several of one name must be told apart."""
    views = View.objects.select_related("owner")
    if wanted.isdigit() and (view := views.filter(pk=int(wanted)).first()):
        return view
    named = list(views.filter(name=wanted))
    if len(named) == 1:
        return named[0]
    if not named:
        raise CommandError(f"No view has the id or the name {wanted!r}.")
    ids = ", ".join(str(view.pk) for view in named)
    raise CommandError(f"{len(named)} views are named {wanted!r} (ids {ids}): give the id.")


def _month_end(first: date) -> date:
    return (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)


def _plain(value):
    if isinstance(value, str) and value.startswith(report._MONEY_TOKEN):
        return float(value.removeprefix(report._MONEY_TOKEN))
    return value


def _format(value, unit: Unit) -> str:
    if unit == Unit.MONEY:
        return f"{value:,.2f}"
    if unit == Unit.PERCENT:
        return f"{value:.2f} %"
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:,.2f}"
