"""How plotly.js reaches a page: our own copy of the basic bundle (static/vendor/README.md),
deferred, under a hashed name with a long cache lifetime in production."""

from pathlib import Path

from django.conf import settings
from django.template.loader import render_to_string

from config.settings import base

VENDOR = Path(settings.BASE_DIR) / "static" / "vendor"


def test_pages_load_plotly_and_the_chart_script_deferred():
    html = render_to_string("includes/plotly.html")

    scripts = [line for line in html.splitlines() if "<script" in line]
    assert len(scripts) == 2
    assert all(" defer>" in line for line in scripts)
    assert "vendor/plotly-basic.min.js" in html and "js/charts.js" in html
    assert "cdn" not in html


def test_the_vendored_bundle_is_the_basic_one_a_quarter_of_the_full_size():
    bundle = VENDOR / "plotly-basic.min.js"

    assert "plotly.js (basic - minified) v" in bundle.read_text()[:200]
    assert bundle.stat().st_size < 1_500_000  # the full bundle: 4.8 MB
    assert not (VENDOR / "plotly.min.js").exists()


def test_production_serves_static_files_under_hashed_names_cached_for_long():
    # whitenoise's manifest storage writes plotly-basic.<hash>.min.js; whitenoise serves a
    # hashed name with a year's max-age ("immutable"); tests keep plain names.
    backend = base.STORAGES["staticfiles"]["BACKEND"]
    assert backend == "whitenoise.storage.CompressedManifestStaticFilesStorage"
    assert "whitenoise.middleware.WhiteNoiseMiddleware" in base.MIDDLEWARE
