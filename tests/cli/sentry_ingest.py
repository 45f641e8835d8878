"""A Sentry ingest endpoint on loopback: sentry-sdk POSTs envelopes (maybe gzip'd) to
/api/<project>/envelope/; this server keeps each one, decoded, for a test to read."""

from __future__ import annotations

import gzip
import json
import threading
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

KEY = "0123456789abcdef0123456789abcdef"  # the DSN's public key


class SentryIngest:
    """``with SentryIngest() as ingest``: ``ingest.dsn`` to configure, ``ingest.bodies`` (the
    envelopes as text), ``ingest.items()`` (their items), ``ingest.wait_for(predicate)``."""

    def __init__(self) -> None:
        self.bodies: list[str] = []
        self.paths: list[str] = []
        self._changed = threading.Condition()
        ingest = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                encoding = self.headers.get("Content-Encoding", "")
                if encoding == "gzip":
                    body = gzip.decompress(body)
                elif encoding == "deflate":
                    body = zlib.decompress(body)
                elif encoding:
                    raise AssertionError(f"unexpected Content-Encoding {encoding}")
                with ingest._changed:
                    ingest.paths.append(self.path)
                    ingest.bodies.append(body.decode("utf-8"))
                    ingest._changed.notify_all()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.dsn = f"http://{KEY}@127.0.0.1:{self.server.server_port}/1"
        self.url = f"http://127.0.0.1:{self.server.server_port}"

    def __enter__(self) -> SentryIngest:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    def items(self, kind: str | None = None) -> list[dict]:
        """Every item of every envelope so far (JSON payloads parsed), of ``kind`` if given."""
        with self._changed:
            bodies = list(self.bodies)
        found = [item for body in bodies for item in parse_envelope(body)]
        return [payload for header, payload in found if kind is None or header.get("type") == kind]

    def headers(self) -> list[dict]:
        with self._changed:
            return [json.loads(body.partition("\n")[0]) for body in self.bodies]

    def wait_for(self, predicate, timeout: float = 30.0) -> None:
        with self._changed:
            if not self._changed.wait_for(lambda: predicate(self), timeout=timeout):
                raise AssertionError(f"Sentry never received what was expected; got {self.bodies!r}")


def parse_envelope(body: str) -> list[tuple[dict, object]]:
    """(item header, payload) pairs: a header line, then each item's header line and its
    payload (``length`` bytes long, or up to the next newline)."""
    data = body.encode("utf-8")
    _, _, rest = data.partition(b"\n")
    items = []
    while rest.strip():
        line, _, rest = rest.partition(b"\n")
        header = json.loads(line)
        if "length" in header:
            payload, rest = rest[:header["length"]], rest[header["length"] + 1:]
        else:
            payload, _, rest = rest.partition(b"\n")
        try:
            items.append((header, json.loads(payload)))
        except ValueError:
            items.append((header, payload.decode("utf-8", "replace")))
    return items
