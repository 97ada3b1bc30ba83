"""Deterministic demo data: three years of a B2B SaaS customer base, written as the CSV files of
kpi-spec section 2 and loaded through the real import (`manage.py seed_demo`)."""
