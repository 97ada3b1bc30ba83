"""HubSpot's CRM v3 shapes for a local server the real `hubspot-api-client` talks to: the search
API (filterGroups on hs_lastmodifieddate, paging.next.after), owners, a 429 with Retry-After."""

from tests.connectors.local_server import JsonHandler, LocalServer

STAMP = "2024-01-01T00:00:00.000Z"


def record(record_id: str, modified: str, **properties) -> dict:
    return {"id": record_id, "properties": {**properties, "hs_lastmodifieddate": modified},
            "createdAt": STAMP, "updatedAt": modified, "archived": False}  # fmt: skip


def owner(owner_id: str, email: str) -> dict:
    return {"id": owner_id, "email": email, "type": "PERSON", "createdAt": STAMP,
            "updatedAt": STAMP, "archived": False}  # fmt: skip


def _ms(text: str) -> int:
    from datetime import datetime

    return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1000)


class _HubSpotHandler(JsonHandler):
    def _failed(self) -> bool:
        status = self.fake.fail.pop(len(self.fake.requests), None)
        if status:
            self.answer(status, {"status": "error", "message": "slow down",
                                 "category": "RATE_LIMITS"})  # fmt: skip
        return bool(status)

    def do_GET(self):
        self.fake.requests.append({"path": self.path, "auth": self.headers["Authorization"]})
        if not self._failed():
            self.answer(200, {"results": self.fake.owners})

    def do_POST(self):
        body = self.json_body()
        self.fake.requests.append({"path": self.path, "body": body,
                                   "auth": self.headers["Authorization"]})  # fmt: skip
        if self._failed():
            return
        kind = self.path.split("/")[4]
        since = int(body["filterGroups"][0]["filters"][0]["value"])
        found = sorted(
            (r for r in self.fake.objects[kind]
             if _ms(r["properties"]["hs_lastmodifieddate"]) >= since),
            key=lambda r: r["properties"]["hs_lastmodifieddate"],
        )  # fmt: skip
        start = int(body.get("after") or 0)
        limit = int(body.get("limit") or 10)
        answer = {"total": len(found), "results": found[start : start + limit]}
        if start + limit < len(found):
            answer["paging"] = {"next": {"after": str(start + limit)}}
        self.answer(200, answer)


class FakeHubSpot(LocalServer):
    handler = _HubSpotHandler

    def __init__(self, *, companies: list[dict], contacts: list[dict], owners: list[dict],
                 fail: dict[int, int] | None = None):  # fmt: skip
        self.objects = {"companies": companies, "contacts": contacts}
        self.owners = owners
        self.fail = dict(fail or {})
        self.requests: list[dict] = []
        super().__init__()
