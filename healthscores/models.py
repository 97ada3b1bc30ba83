"""Health models and scores (see issue: health scores)."""
