"""The scaffold of the vendors' local servers (Stripe, HubSpot, Zendesk): a JSON handler and a
threaded HTTP server on a free loopback port, used as `with FakeVendor(...) as fake:`. Each fake
says only what its vendor answers; the real client library talks to it."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar


class JsonHandler(BaseHTTPRequestHandler):
    """Answers in JSON; `self.fake` is the LocalServer it belongs to. A 429 carries
    `retry_after` seconds in Retry-After, as the vendors send it."""

    fake: Any = None
    retry_after: ClassVar[str] = "1"

    def answer(self, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        if status == 429:
            self.send_header("Retry-After", self.retry_after)
        self.end_headers()
        self.wfile.write(data)

    def json_body(self) -> dict:
        length = int(self.headers.get("Content-Length") or 0)
        return json.loads(self.rfile.read(length) or b"{}")

    def log_message(self, *args) -> None:
        pass


class LocalServer:
    """A fake vendor API served from a thread; subclasses set `handler` (a JsonHandler)."""

    handler: ClassVar[type[JsonHandler]] = JsonHandler

    def __init__(self) -> None:
        handler = type("Handler", (self.handler,), {"fake": self})
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.netloc = f"127.0.0.1:{self.server.server_port}"
        self.url = f"http://{self.netloc}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
