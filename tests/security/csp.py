"""What a rendered page must satisfy for the Content-Security-Policy to hold without
'unsafe-inline' for scripts: every inline script carries this response's nonce, and no element
has an inline event handler (onclick=..., which no nonce can allow)."""

import re
from html.parser import HTMLParser

NONCE_IN_HEADER = re.compile(r"script-src [^;]*'nonce-([^']+)'")


class _Scripts(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.inline_nonces: list[str | None] = []  # one per inline <script>, None without
        self.handlers: list[str] = []  # "tag onclick" per inline event handler
        self.javascript_urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        if tag == "script" and not values.get("src"):
            kind = (values.get("type") or "text/javascript").lower()
            if kind not in ("application/json", "application/ld+json"):  # data, never run
                self.inline_nonces.append(values.get("nonce"))
        for name, value in attrs:
            if name.startswith("on"):
                self.handlers.append(f"<{tag} {name}>")
            if name in ("href", "src", "action") and (value or "").strip().lower().startswith(
                "javascript:"
            ):
                self.javascript_urls.append(f"<{tag} {name}={value}>")


def csp_problems(response) -> list[str]:
    """Why the page would break or weaken the policy; empty when it holds."""
    header = response.get("Content-Security-Policy", "")
    if not header:
        return ["no Content-Security-Policy header"]
    problems = []
    if "'unsafe-inline'" in header.split("script-src", 1)[1].split(";", 1)[0]:
        problems.append("script-src allows 'unsafe-inline'")
    match = NONCE_IN_HEADER.search(header)
    parser = _Scripts()
    parser.feed(response.content.decode(response.charset or "utf-8", errors="replace"))
    if parser.inline_nonces and not match:
        problems.append("inline scripts but no nonce in the header")
    nonce = match.group(1) if match else None
    missing = sum(1 for value in parser.inline_nonces if value != nonce)
    if missing:
        problems.append(f"{missing} inline <script> without this response's nonce")
    problems += [f"inline event handler {h}" for h in parser.handlers]
    problems += [f"javascript: URL {u}" for u in parser.javascript_urls]
    return problems
