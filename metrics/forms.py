"""The portfolio's parameters: the as-of month, the period ending with it and the filters,
validated field by field.

A page never fails on a bad parameter: an unknown month, period, segment, region or owner falls
back to its default (the last complete month, that month alone, no filter) and the rest of the
request still applies.
"""

from dataclasses import dataclass, field
from urllib.parse import urlencode

from django import forms

from accounts.models import View
from core.forms import KnownIdField
from metrics.dashboard import FilterOptions, SnapshotMonth
from metrics.periods import PeriodLength
from metrics.registry import PORTFOLIO_KPIS
from metrics.selectors import AccountFilter


@dataclass(frozen=True)
class PortfolioParams:
    month: SnapshotMonth | None = None
    # The month alone, or the trailing 3 or 12 months ending on the month's last computed day.
    period: PeriodLength = PeriodLength.MONTH
    segment: str = ""
    region: str = ""
    owner_id: int | None = None
    group_id: int | None = None  # a company group: the account and every account below it
    view: View | None = None  # a view (accounts.models.View) the user may read
    filtered: bool = field(default=False, compare=False)

    @property
    def as_of(self):
        return self.month.as_of if self.month else None

    @property
    def account_filter(self) -> AccountFilter:
        return AccountFilter(
            segment=self.segment,
            region=self.region,
            owner_id=self.owner_id,
            group_id=self.group_id,
        )

    @property
    def query_without_filters(self) -> str:
        """The month and period alone (the "Clear filters" link)."""
        return self.query(segment="", region="", owner="", group="")

    def query(self, **overrides) -> str:
        """The parameters as a query string, for links that keep the page's month, period and
        filters (the month alone, the default, is left out)."""
        values = {
            "month": self.month.value if self.month else "",
            "period": "" if self.period == PeriodLength.MONTH else self.period.value,
            "segment": self.segment,
            "region": self.region,
            "owner": self.owner_id or "",
            "group": self.group_id or "",
            "view": self.view.pk if self.view else "",
            **overrides,
        }
        return urlencode({key: value for key, value in values.items() if value not in ("", None)})


def default_month(months: list[SnapshotMonth]) -> SnapshotMonth | None:
    """The month a page opens on: the newest complete month (a month to date of two days says
    little), else the newest month when none is complete yet."""
    return next((month for month in months if month.is_complete), months[0] if months else None)


class PortfolioFilterForm(forms.Form):
    month = forms.ChoiceField(required=False)
    period = forms.ChoiceField(required=False, choices=PeriodLength.choices)
    segment = forms.ChoiceField(required=False)
    region = forms.ChoiceField(required=False)
    owner = forms.TypedChoiceField(required=False, coerce=int, empty_value=None)
    group = KnownIdField(required=False)
    view = forms.TypedChoiceField(required=False, coerce=int, empty_value=None)

    def __init__(
        self, data, *, months: list[SnapshotMonth], options: FilterOptions, views=()
    ) -> None:
        super().__init__(data)
        self.views = {view.pk: view for view in views}
        self.fields["view"].choices = [
            ("", "No view"),
            *((pk, v.name) for pk, v in self.views.items()),
        ]
        self.months = {month.value: month for month in months}
        self.fields["month"].choices = [(value, value) for value in self.months]
        self.fields["segment"].choices = [("", "All"), *((s, s) for s in options.segments)]
        self.fields["region"].choices = [("", "All"), *((r, r) for r in options.regions)]
        self.fields["owner"].choices = [("", "All"), *options.owners]
        self.fields["group"].known = frozenset(pk for pk, _name in options.groups)

    def params(self) -> PortfolioParams:
        """The valid parameters; each invalid or missing one takes its default."""
        self.is_valid()
        cleaned = self.cleaned_data  # holds only the fields that validated
        latest = default_month(list(self.months.values()))
        segment, region = cleaned.get("segment") or "", cleaned.get("region") or ""
        owner_id, group_id = cleaned.get("owner"), cleaned.get("group")
        view = self.views.get(cleaned.get("view"))
        return PortfolioParams(
            month=self.months.get(cleaned.get("month") or "", latest),
            period=PeriodLength(cleaned.get("period") or PeriodLength.MONTH),
            segment=segment,
            region=region,
            owner_id=owner_id,
            group_id=group_id,
            view=view,
            filtered=bool(segment or region or owner_id or group_id or view),
        )


class KpiTargetForm(forms.Form):
    """A target set on the portfolio page: a KPI, the segment the page shows ("" for every
    account) and the value in the KPI's unit; an empty value removes the target."""

    key = forms.ChoiceField(choices=[(kpi.key, kpi.label) for kpi in PORTFOLIO_KPIS])
    segment = forms.CharField(required=False, max_length=100)
    target = forms.DecimalField(
        required=False, max_digits=16, decimal_places=4, label="Target",
        error_messages={"invalid": "Enter a number, e.g. 95 for 95 % or 250000 for $250,000."},
    )  # fmt: skip
    next = forms.CharField(required=False, max_length=2000)
