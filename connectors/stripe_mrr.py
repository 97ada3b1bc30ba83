"""Stripe's definition of MRR, from a subscription object (pure: no database, no network).

- Only `active` and `past_due` subscriptions count; trialing, incomplete, incomplete_expired,
  unpaid, paused and canceled ones are 0.
- Each licensed item counts price x quantity, normalised to a month: yearly / 12, weekly x 52 /
  12, daily x 365 / 12, each divided by the interval count. Metered items are left out.
- A coupon whose duration is `forever` reduces MRR (percent_off, or amount_off normalised like
  the price); `once` and `repeating` coupons do not.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

COUNTED_STATUSES = frozenset({"active", "past_due"})
# Months per billing interval, as Stripe's MRR normalises them.
_PER_MONTH = {
    "month": Decimal(1),
    "year": Decimal(1) / Decimal(12),
    "week": Decimal(52) / Decimal(12),
    "day": Decimal(365) / Decimal(12),
}
# Currencies Stripe counts in whole units (amounts are not cents).
ZERO_DECIMAL = frozenset(
    (
        "BIF",
        "CLP",
        "DJF",
        "GNF",
        "JPY",
        "KMF",
        "KRW",
        "MGA",
        "PYG",
        "RWF",
        "UGX",
        "VND",
        "VUV",
        "XAF",
        "XOF",
        "XPF",
    )
)
CENT = Decimal("0.01")


class PriceUnsupported(ValueError):
    """A price Northstar cannot turn into MRR (another currency, a tiered price): the inbox
    shows the message."""


@dataclass(frozen=True)
class SubscriptionMrr:
    value: Decimal  # the MRR of its items and forever coupons, whatever the status
    counts: bool  # the status counts towards MRR
    seats: int | None
    plan: str

    @property
    def mrr(self) -> Decimal:
        return self.value if self.counts else Decimal("0.00")


def subscription_mrr(subscription: Mapping[str, Any], *, currency: str) -> SubscriptionMrr:
    """MRR of a subscription in `currency`; PriceUnsupported for a price it cannot count."""
    items = (subscription.get("items") or {}).get("data") or []
    total, seats, plans, per_month = Decimal(0), 0, [], None
    for item in items:
        price = item.get("price") or item.get("plan") or {}
        recurring = price.get("recurring") or price
        if recurring.get("usage_type") == "metered":
            continue
        factor = _monthly_factor(recurring)
        quantity = int(item.get("quantity") or 0)
        total += _amount(price, currency) * quantity * factor
        seats += quantity
        per_month = per_month or factor
        plans.append(price.get("nickname") or price.get("lookup_key") or price.get("id") or "")
    for coupon in _forever_coupons(subscription):
        if coupon.get("percent_off") is not None:
            total -= total * Decimal(str(coupon["percent_off"])) / 100
        elif coupon.get("amount_off") is not None:
            total -= _units(coupon["amount_off"], currency) * (per_month or 1)
    value = max(total, Decimal(0)).quantize(CENT, rounding=ROUND_HALF_UP)
    return SubscriptionMrr(
        value=value,
        counts=subscription.get("status") in COUNTED_STATUSES,
        seats=seats or None,
        plan=", ".join(filter(None, plans))[:100],
    )


def _monthly_factor(recurring: Mapping[str, Any]) -> Decimal:
    interval = recurring.get("interval", "month")
    if interval not in _PER_MONTH:
        raise PriceUnsupported(f"unknown billing interval {interval!r}")
    return _PER_MONTH[interval] / int(recurring.get("interval_count") or 1)


def _amount(price: Mapping[str, Any], currency: str) -> Decimal:
    price_currency = (price.get("currency") or "").upper()
    if price_currency != currency:
        raise PriceUnsupported(
            f"price {price.get('id', '')} is in {price_currency or 'no currency'}, "
            f"not {currency} (CURRENCY)"
        )
    if price.get("unit_amount_decimal") is not None:
        return _units(Decimal(str(price["unit_amount_decimal"])), currency)
    if price.get("unit_amount") is not None:
        return _units(price["unit_amount"], currency)
    raise PriceUnsupported(
        f"price {price.get('id', '')} has no unit amount ({price.get('billing_scheme')} prices "
        "are not supported)"
    )


def _units(amount: Any, currency: str) -> Decimal:
    amount = Decimal(str(amount))
    return amount if currency in ZERO_DECIMAL else amount / 100


def _forever_coupons(subscription: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The `forever` coupons of the subscription's discounts (the legacy single `discount`, and
    `discounts` when expanded; a discount given only by id cannot be read here)."""
    discounts = [subscription.get("discount"), *(subscription.get("discounts") or [])]
    coupons = []
    for discount in discounts:
        if not isinstance(discount, Mapping):
            continue
        coupon = discount.get("coupon") or (discount.get("source") or {}).get("coupon")
        if isinstance(coupon, Mapping) and coupon.get("duration") == "forever":
            coupons.append(coupon)
    return coupons
