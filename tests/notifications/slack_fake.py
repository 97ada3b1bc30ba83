"""A local Slack, answering in the Web API's documented shapes (https://api.slack.com/web):
form- or JSON-encoded calls to /api/<method>, `{"ok": true, ...}` or `{"ok": false, "error": ...}`,
HTTP 429 with Retry-After when told to; and incoming webhooks at /services/..., answering "ok".
Every request is kept, so a test reads what the real slack-sdk client sent."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs


class FakeSlack:
    def __init__(self):
        self.requests: list[dict] = []
        self.rate_limit_next = 0  # answer this many calls with 429 first
        self.fail_with = ""  # answer every call {"ok": false, "error": fail_with}
        self.users = {"U0CSM": "alice@northstar.example"}
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length).decode()
                kind = self.headers.get("Content-Type", "")
                body = json.loads(raw) if "json" in kind else {
                    k: v[0] for k, v in parse_qs(raw).items()
                }  # fmt: skip
                fake.requests.append({"path": self.path, "body": body,
                                      "auth": self.headers.get("Authorization", "")})  # fmt: skip
                if fake.rate_limit_next:
                    fake.rate_limit_next -= 1
                    return self._answer(429, {"ok": False, "error": "ratelimited"},
                                        {"Retry-After": "1"})  # fmt: skip
                if self.path.startswith("/services/"):
                    return self._answer(200, None, text="ok")
                if fake.fail_with:
                    return self._answer(200, {"ok": False, "error": fake.fail_with})
                method = self.path.rsplit("/", 1)[-1]
                if method == "chat.postMessage":
                    return self._answer(200, {"ok": True, "channel": body.get("channel"),
                                              "ts": "1700000000.000100"})  # fmt: skip
                if method == "users.info":
                    email = fake.users.get(body.get("user"), "")
                    return self._answer(200, {"ok": True, "user": {"id": body.get("user"),
                                              "profile": {"email": email}}})  # fmt: skip
                return self._answer(200, {"ok": False, "error": "unknown_method"})

            def _answer(self, status, payload, headers=None, text=None):
                data = (text if text is not None else json.dumps(payload)).encode()
                self.send_response(status)
                self.send_header("Content-Type", "text/plain" if text else "application/json")
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def calls(self, method: str) -> list[dict]:
        return [r for r in self.requests if r["path"].endswith("/" + method)]

    def close(self):
        self.server.shutdown()
