"""The default health model of kpi-spec section 8, which a fresh install and seed_demo load."""

DEFAULT_MODEL_NAME = "Default"
DEFAULT_GREEN = 70
DEFAULT_YELLOW = 40
# (metric, weight, bad, good)
DEFAULT_COMPONENTS = (
    ("usage_trend", 20, -50, 10),
    ("seat_utilization", 15, 20, 80),
    ("feature_adoption", 10, 10, 60),
    ("nps_180d", 15, -50, 50),
    ("csat_180d", 10, 50, 90),
    ("open_tickets", 10, 10, 0),
    ("avg_first_response_hours_90d", 10, 48, 4),
    ("champion_left_90d", 10, 1, 0),
)


def build_definition(green, yellow, components) -> dict:
    """The frozen form of a model that a version stores and scoring reads: thresholds and
    components (metric, weight, bad, good) in display order."""
    return {
        "green": float(green),
        "yellow": float(yellow),
        "components": [
            {
                "position": position,
                "metric": metric,
                "weight": float(weight),
                "bad": float(bad),
                "good": float(good),
            }
            for position, (metric, weight, bad, good) in enumerate(components)
        ],
    }
