"""KPI snapshots and the KPI registry (see issue: KPI engine)."""
