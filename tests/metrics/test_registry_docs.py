"""The KPI registry is the single source of every definition, and docs/kpis.md follows it."""

from metrics.docs import KPI_DOCS_PATH, render_kpi_docs
from metrics.registry import ACCOUNT_KPIS, PORTFOLIO_KPIS, Unit

SPEC_PORTFOLIO_KEYS = {
    # section 3
    "mrr", "arr", "active_customers", "arpa", "starting_mrr", "new_mrr", "reactivation_mrr",
    "expansion_mrr", "contraction_mrr", "churned_mrr", "net_new_mrr", "grr", "nrr", "nrr_12m",
    "grr_12m",
    "revenue_churn_rate", "customers_start", "new_customers", "churned_customers",
    "logo_churn_rate", "crr", "renewal_rate", "acv", "tcv", "clv", "cac", "clv_cac_ratio", "crc",
    "trial_conversion_rate", "avg_days_to_onboard",
    # section 4
    "tickets_opened", "avg_first_response_hours", "avg_resolution_hours", "fcr_rate",
    "open_tickets",
    # section 5
    "nps", "csat", "ces", "nps_responses", "csat_responses", "ces_responses",
    # section 6
    "mau", "wau", "dau", "stickiness", "avg_session_minutes",
}  # fmt: skip
SPEC_ACCOUNT_KEYS = {
    "mrr", "arr", "movement", "movement_mrr", "seats", "active_users_30d", "seat_utilization",
    "usage_trend", "feature_adoption", "time_on_platform_minutes", "open_tickets", "tickets_90d",
    "avg_first_response_hours_90d", "fcr_rate_90d", "nps_180d", "csat_180d", "ces_180d",
    "days_to_renewal", "champion_left_90d", "health_score", "health_band",
}  # fmt: skip


def test_registry_defines_exactly_the_spec_portfolio_keys():
    assert [kpi.key for kpi in PORTFOLIO_KPIS] == list(
        dict.fromkeys(kpi.key for kpi in PORTFOLIO_KPIS)
    )
    assert {kpi.key for kpi in PORTFOLIO_KPIS} == SPEC_PORTFOLIO_KEYS


def test_registry_defines_exactly_the_spec_account_keys():
    assert {kpi.key for kpi in ACCOUNT_KPIS} == SPEC_ACCOUNT_KEYS


def test_every_kpi_has_a_label_a_unit_and_a_one_sentence_definition():
    for kpi in (*PORTFOLIO_KPIS, *ACCOUNT_KPIS):
        assert kpi.label and isinstance(kpi.unit, Unit)
        assert kpi.definition.endswith(".") and len(kpi.definition) > 15, kpi.key


def test_every_portfolio_kpi_can_be_computed_from_totals():
    assert all(callable(kpi.compute) for kpi in PORTFOLIO_KPIS)


def test_docs_kpis_md_is_generated_from_the_registry_and_up_to_date():
    assert KPI_DOCS_PATH.read_text() == render_kpi_docs(), (
        "docs/kpis.md is stale: run python manage.py kpi_docs"
    )


def test_docs_mention_every_kpi_with_its_definition():
    text = render_kpi_docs()
    for kpi in (*PORTFOLIO_KPIS, *ACCOUNT_KPIS):
        assert f"`{kpi.key}`" in text and kpi.definition in text
