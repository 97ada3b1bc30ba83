"""Stripe's MRR rules, one row each (connectors.stripe_mrr; docs/connectors.md)."""

from decimal import Decimal

import pytest

from connectors.stripe_mrr import PriceUnsupported, subscription_mrr


def price(amount=10_000, interval="month", count=1, currency="usd", usage="licensed", **extra):
    return {"id": "price_1", "currency": currency, "unit_amount": amount,
            "recurring": {"interval": interval, "interval_count": count, "usage_type": usage},
            **extra}  # fmt: skip


def subscription(*items, status="active", discount=None, discounts=None):
    return {"id": "sub_1", "status": status, "discount": discount, "discounts": discounts or [],
            "items": {"data": [{"price": p, "quantity": q} for p, q in items]}}  # fmt: skip


def coupon(duration, **off):
    return {"coupon": {"id": "c", "duration": duration, **off}}


MONTHLY_100 = (price(), 1)

RULES = [
    ("an active subscription counts", subscription(MONTHLY_100), "100.00"),
    ("a past_due subscription counts", subscription(MONTHLY_100, status="past_due"), "100.00"),
    ("a trialing one does not", subscription(MONTHLY_100, status="trialing"), "0.00"),
    ("an incomplete one does not", subscription(MONTHLY_100, status="incomplete"), "0.00"),
    ("an unpaid one does not", subscription(MONTHLY_100, status="unpaid"), "0.00"),
    ("a canceled one does not", subscription(MONTHLY_100, status="canceled"), "0.00"),
    ("an annual price counts a twelfth", subscription((price(120_000, "year"), 1)), "100.00"),
    ("a weekly price counts x 52 / 12", subscription((price(1_000, "week"), 1)), "43.33"),
    ("a quarterly price counts a third", subscription((price(30_000, "month", 3), 1)), "100.00"),
    ("quantity multiplies", subscription((price(5_000), 3)), "150.00"),
    ("metered items are left out",
     subscription(MONTHLY_100, (price(99_900, usage="metered"), 1)), "100.00"),
    ("items add up", subscription(MONTHLY_100, (price(2_500), 2)), "150.00"),
    ("a forever percent coupon reduces MRR",
     subscription(MONTHLY_100, discount=coupon("forever", percent_off=20)), "80.00"),
    ("a forever amount coupon reduces MRR",
     subscription(MONTHLY_100, discount=coupon("forever", amount_off=1_000)), "90.00"),
    ("a forever amount coupon on an annual price, by the month",
     subscription((price(120_000, "year"), 1), discount=coupon("forever", amount_off=12_000)),
     "90.00"),
    ("a forever coupon among expanded discounts reduces MRR",
     subscription(MONTHLY_100, discounts=[coupon("forever", percent_off=50)]), "50.00"),
    ("a once coupon does not",
     subscription(MONTHLY_100, discount=coupon("once", percent_off=50)), "100.00"),
    ("a repeating coupon does not",
     subscription(MONTHLY_100, discount=coupon("repeating", percent_off=50)), "100.00"),
    ("a coupon never makes MRR negative",
     subscription(MONTHLY_100, discount=coupon("forever", amount_off=50_000)), "0.00"),
]  # fmt: skip


@pytest.mark.parametrize(("rule", "stripe_subscription", "mrr"), RULES, ids=[r[0] for r in RULES])
def test_stripe_mrr_rule(rule, stripe_subscription, mrr):
    assert subscription_mrr(stripe_subscription, currency="USD").mrr == Decimal(mrr)


def test_a_price_in_another_currency_is_refused_with_the_reason():
    with pytest.raises(PriceUnsupported) as refused:
        subscription_mrr(subscription((price(currency="eur"), 1)), currency="USD")

    assert str(refused.value) == "price price_1 is in EUR, not USD (CURRENCY)"


def test_seats_are_the_licensed_quantity_and_the_plan_the_price_nickname():
    result = subscription_mrr(
        subscription((price(nickname="Pro"), 12), (price(usage="metered"), 1)), currency="USD"
    )

    assert (result.seats, result.plan) == (12, "Pro")
