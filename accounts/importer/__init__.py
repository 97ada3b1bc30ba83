"""The CSV import of kpi-spec section 2: one validator per record kind, a COPY-based loader."""
