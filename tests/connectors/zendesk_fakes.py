"""Zendesk's API shapes for a local server zenpy talks to (pointed there by zenpy's own
ZENPY_FORCE_NETLOC / ZENPY_FORCE_SCHEME): the cursor-based incremental ticket export
(after_cursor, end_of_stream), ticket metrics, organizations, a 429 with Retry-After."""

from urllib.parse import parse_qs, urlparse

from tests.connectors.local_server import JsonHandler, LocalServer


def ticket(ticket_id: int, organization: int | None, *, status="open", priority="normal",
           opened="2024-03-01T09:00:00Z", updated="2024-03-01T10:00:00Z") -> dict:  # fmt: skip
    url = f"https://acme.zendesk.com/api/v2/tickets/{ticket_id}.json"
    return {
        "id": ticket_id, "url": url, "subject": f"Ticket {ticket_id}", "status": status,
        "priority": priority, "created_at": opened, "updated_at": updated,
        "organization_id": organization,
    }  # fmt: skip


def metric(ticket_id: int, *, replies=1, reply_minutes=None, solved_at=None) -> dict:
    minutes = {"calendar": reply_minutes, "business": reply_minutes}
    return {"id": 1000 + ticket_id, "ticket_id": ticket_id, "replies": replies,
            "solved_at": solved_at, "reply_time_in_minutes": minutes}  # fmt: skip


class _ZendeskHandler(JsonHandler):
    def do_GET(self):
        fake = self.fake
        fake.requests.append(self.path)
        status = fake.fail.pop(len(fake.requests), None)
        if status:
            return self.answer(status, {"error": "TooManyRequests"})
        url = urlparse(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        parts = url.path.strip("/").split("/")
        if url.path == "/api/v2/incremental/tickets/cursor.json":
            return self._export(query)
        if parts[2] == "tickets" and len(parts) == 4:  # /api/v2/tickets/<id>.json
            wanted = int(parts[3].removesuffix(".json"))
            found = [t for t in fake.tickets if t["id"] == wanted]
            return self.answer(200, {"ticket": found[0]})
        if parts[2] == "tickets" and parts[-1] == "metrics.json":
            return self.answer(200, {"ticket_metric": fake.metrics[int(parts[3])]})
        if parts[2] == "organizations":
            organization = fake.organizations[int(parts[3].removesuffix(".json"))]
            return self.answer(200, {"organization": organization})
        return self.answer(404, {"error": "RecordNotFound"})

    def _export(self, query: dict):
        size = int(query.get("per_page", 1000))
        start = int(query["cursor"].removeprefix("c")) if "cursor" in query else 0
        page = self.fake.tickets[start : start + size]
        after = f"c{start + len(page)}"
        return self.answer(200, {
            "tickets": page, "after_cursor": after, "before_cursor": f"c{start}",
            "after_url": f"http://{self.headers['Host']}/api/v2/incremental/tickets/"
                         f"cursor.json?cursor={after}&per_page={size}",
            "end_of_stream": start + len(page) >= len(self.fake.tickets),
        })  # fmt: skip


class FakeZendesk(LocalServer):
    handler = _ZendeskHandler

    def __init__(self, *, tickets: list[dict], metrics: dict[int, dict],
                 organizations: dict[int, dict], fail: dict[int, int] | None = None):  # fmt: skip
        self.tickets, self.metrics, self.organizations = tickets, metrics, organizations
        self.fail = dict(fail or {})
        self.requests: list[str] = []
        super().__init__()
