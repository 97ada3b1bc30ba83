"""The renewal desk's writes: the nightly steps (outcomes from contracts, the day's forecast),
the CSM's call and the reason of a churn or downsell."""

from collections import defaultdict
from datetime import date

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from accounts.models import Contract
from renewals import sql
from renewals.forecast import Forecast, Item, forecasts
from renewals.models import (
    CALL_CHURN_PROBABILITY,
    Call,
    ChurnReason,
    ForecastSource,
    OutcomeKind,
    RenewalCall,
    RenewalForecast,
    RenewalOutcome,
)
from renewals.quarters import next_quarter, quarter_end, quarter_start


def outcomes_after_snapshot(as_of: date) -> None:
    """Nightly: every renewal whose outcome the contracts show on `as_of` gets (or updates) its
    outcome row, in two set-based statements."""
    sql.outcomes_upsert(as_of=as_of)


def _items(row: tuple) -> dict[str, Item]:
    """One renewal's item for each source. The CSM source takes her probability, else the one
    her call stands for, else the model's; the blend averages the model's and hers."""
    _id, _owner, mrr, model_p, call_p, call, kind, mrr_after = row
    arr = mrr * 12
    if kind is not None:
        decided = Item(arr=arr, decided_arr=mrr_after * 12)
        return dict.fromkeys(ForecastSource.values, decided)
    own = call_p if call_p is not None else CALL_CHURN_PROBABILITY[Call(call)] if call else None
    present = [p for p in (model_p, own) if p is not None]
    return {
        ForecastSource.MODEL: Item(arr=arr, p=model_p),
        ForecastSource.CSM: Item(arr=arr, p=own if own is not None else model_p),
        ForecastSource.BLEND: Item(arr=arr, p=sum(present) / len(present) if present else None),
    }


def quarter_forecasts(*, as_of: date, start: date) -> dict[tuple[int | None, str], Forecast]:
    """The quarter's forecast as seen on `as_of`, for the portfolio (owner None) and each
    owner's book, by source: one query, then arithmetic on one simulation of the quarter (a
    renewal's draws are the same in every book and source that holds it)."""
    rows = sql.quarter_renewals(as_of=as_of, first=start, last=quarter_end(start))
    books: dict[tuple[int | None, str], list[tuple[int, Item]]] = defaultdict(list)
    for column, row in enumerate(rows):
        for source, item in _items(row).items():
            books[None, source].append((column, item))
            if row[1] is not None:
                books[row[1], source].append((column, item))
    if not rows:
        books = {(None, source): [] for source in ForecastSource.values}
    return forecasts(books, columns=len(rows))


def forecast_after_snapshot(as_of: date) -> None:
    """Nightly: store the forecast of the quarter of `as_of` and of the next one (90 days before
    a short quarter's end falls in the quarter before), replacing that night's rows."""
    first = quarter_start(as_of)
    rows = []
    for start in (first, next_quarter(first)):
        for (owner_id, source), result in quarter_forecasts(as_of=as_of, start=start).items():
            rows.append(
                RenewalForecast(
                    as_of=as_of,
                    quarter_start=start,
                    owner_id=owner_id,
                    source=source,
                    renewals=result.renewals,
                    unscored=result.unscored,
                    arr_at_stake=result.arr_at_stake,
                    expected_arr=result.expected_arr,
                    low_arr=result.low_arr,
                    high_arr=result.high_arr,
                    expected_net_arr=result.expected_net_arr,
                )
            )
    with transaction.atomic():
        RenewalForecast.objects.filter(as_of=as_of).delete()
        RenewalForecast.objects.bulk_create(rows, batch_size=1000)


def renewal_call_record(
    *, contract: Contract, user: AbstractBaseUser, call: str, probability: float | None, note: str
) -> RenewalCall:
    """The CSM's call on a renewal (one per renewal, the newest wins). It is stored beside the
    model's probability and never changes it."""
    record, _created = RenewalCall.objects.update_or_create(
        contract=contract,
        defaults={"call": call, "churn_probability": probability, "note": note, "author": user},
    )
    return record


def outcome_reason_set(
    *, outcome: RenewalOutcome, reason: ChurnReason, note: str, user: AbstractBaseUser
) -> RenewalOutcome:
    """The reason an account churned or downsold, chosen by its owner from the library."""
    if outcome.kind == OutcomeKind.RENEWED:
        raise ValueError("A renewal needs no reason.")
    outcome.reason, outcome.reason_note = reason, note
    outcome.reason_by, outcome.reason_at = user, timezone.now()
    outcome.save(update_fields=["reason", "reason_note", "reason_by", "reason_at"])
    return outcome
