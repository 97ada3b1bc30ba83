"""HubSpot's CRM v3 shapes for a local server the real `hubspot-api-client` talks to: the search
API (filterGroups on hs_lastmodifieddate, paging.next.after), owners, a 429 with Retry-After."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

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


class FakeHubSpot:
    def __init__(self, *, companies: list[dict], contacts: list[dict], owners: list[dict],
                 fail: dict[int, int] | None = None):  # fmt: skip
        self.objects = {"companies": companies, "contacts": contacts}
        self.owners = owners
        self.fail = dict(fail or {})
        self.requests: list[dict] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self, status: int, body: dict):
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                if status == 429:
                    self.send_header("Retry-After", "1")
                self.end_headers()
                self.wfile.write(data)

            def _failed(self) -> bool:
                status = fake.fail.pop(len(fake.requests), None)
                if status:
                    self._answer(status, {"status": "error", "message": "slow down",
                                          "category": "RATE_LIMITS"})  # fmt: skip
                return bool(status)

            def do_GET(self):
                fake.requests.append({"path": self.path, "auth": self.headers["Authorization"]})
                if not self._failed():
                    self._answer(200, {"results": fake.owners})

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                fake.requests.append({"path": self.path, "body": body,
                                      "auth": self.headers["Authorization"]})  # fmt: skip
                if self._failed():
                    return
                kind = self.path.split("/")[4]
                since = int(body["filterGroups"][0]["filters"][0]["value"])
                found = sorted(
                    (r for r in fake.objects[kind]
                     if _ms(r["properties"]["hs_lastmodifieddate"]) >= since),
                    key=lambda r: r["properties"]["hs_lastmodifieddate"],
                )  # fmt: skip
                start = int(body.get("after") or 0)
                limit = int(body.get("limit") or 10)
                page = found[start : start + limit]
                answer = {"total": len(found), "results": page}
                if start + limit < len(found):
                    answer["paging"] = {"next": {"after": str(start + limit)}}
                self._answer(200, answer)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
