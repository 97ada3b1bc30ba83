"""axe-core in the browser tests: inject the vendored axe.min.js (tests/browser/vendor/README.md)
into the page and list what it finds at the impacts that stop someone using the page.

The page's context must bypass the Content-Security-Policy (`bypass_csp`), since axe arrives as
an inline script; the policy itself is pinned by tests/security (every page, every persona).
"""

from pathlib import Path

from playwright.sync_api import Page

AXE = Path(__file__).parent / "vendor" / "axe.min.js"
BLOCKING = ("serious", "critical")


def axe_violations(page: Page, *, impacts: tuple[str, ...] = BLOCKING) -> list[str]:
    """axe's violations on the page as it stands, one line each: the page, the rule, its impact
    and the first few elements, so a failing test says what to fix."""
    page.wait_for_load_state("networkidle")  # and the scripts that run after the load
    # Charts are drawn by deferred scripts: let each finish before axe reads the page.
    page.wait_for_function(
        "document.querySelectorAll('[data-chart-for]').length"
        " <= document.querySelectorAll('.js-plotly-plot').length || !window.Plotly",
        timeout=10_000,
    )
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=AXE)
    result = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    path = page.url.split("//", 1)[-1].split("/", 1)[-1]
    return [
        f"/{path}: {violation['id']} ({violation['impact']}) {violation['help']}: "
        + ", ".join(" ".join(node["target"]) for node in violation["nodes"][:3])
        + (f" and {len(violation['nodes']) - 3} more" if len(violation["nodes"]) > 3 else "")
        for violation in result["violations"]
        if violation["impact"] in impacts
    ]
