"""The in-app widget stays small and self-contained: under 10 kB gzipped, no eval, no inline
handlers or styles that a host's strict CSP would refuse, nothing fetched but its own API."""

import gzip
import re
from pathlib import Path

from django.conf import settings

WIDGET = Path(settings.BASE_DIR) / "static" / "northstar-inapp.js"
LIMIT = 10 * 1024


def test_the_widget_is_under_10_kb_gzipped():
    size = len(gzip.compress(WIDGET.read_bytes(), compresslevel=9))
    print(f"northstar-inapp.js: {WIDGET.stat().st_size} bytes, {size} bytes gzipped")
    assert size < LIMIT, f"{size} bytes gzipped; the limit is {LIMIT}"


def test_the_widget_uses_nothing_a_strict_csp_refuses():
    source = WIDGET.read_text()
    code = re.sub(r"/\*.*?\*/", "", source, flags=re.S)  # the header comment shows the snippet
    for forbidden in ("eval(", "new Function", "innerHTML", "setAttribute(\"on", ".style.",
                      "import(", "document.write"):  # fmt: skip
        assert forbidden not in code, forbidden
