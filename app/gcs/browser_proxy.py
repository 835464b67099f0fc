"""The browser's door to the embedded emulator: a tiny proxy that adds `Timing-Allow-Origin: *`.

Why it exists: /gcs images come from another origin (the bucket), and browsers hide the byte sizes
of cross-origin responses from Resource Timing unless the response allows it with
Timing-Allow-Origin (CORS headers are not enough: checked in Chromium). fake-gcs-server cannot add
that header, so without this door the payload meter could see that an image was fetched but not
how big it was. Real Cloud Storage does not send the header either: there the meter counts the
images and says their sizes are hidden (docs/performance.md).

Only browsers use it (signed URLs point here); the app's own storage calls go to the emulator
directly. It runs as its own small process (started, and restarted if it dies, by supervisor.py)
because a thread in gunicorn's master would be forked into every worker.

What it lets through: only what a browser needs for the page's images, that is GET or HEAD of one
object of the app's bucket by a V4 signed URL that has not expired, and CORS preflights for the
bucket's objects. The emulator itself checks no signature and would list the bucket or serve any
object to anyone; everything else gets a short plain 403 or 404 here and never reaches it. (The
door checks the signed URL's form and expiry, not its signature: it has no key.) A reply is read
whole, to set its length, so one over MAX_BODY is refused rather than held in memory.

Standalone on purpose (no app imports): `python browser_proxy.py PORT UPSTREAM_URL BUCKET
[DATA_DIR]`.
"""

from __future__ import annotations

import calendar
import contextlib
import http.client
import re
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

# Headers that belong to one connection, not to the response (RFC 9110 §7.6.1).
HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
}
# Set here, from the body actually sent (and, on HEAD, passed through from the emulator).
OWN = {"content-length"}
# The largest reply passed on. The app stores display JPEGs of at most 1600 px and thumbnails
# (a few hundred KB); anything near this is not one of its images.
MAX_BODY = 16 * 2**20
# Exactly the query parameters of the V4 signed GET URLs the app makes (signing.py).
SIGNED_QUERY = {
    "X-Goog-Algorithm",
    "X-Goog-Credential",
    "X-Goog-Date",
    "X-Goog-Expires",
    "X-Goog-SignedHeaders",
    "X-Goog-Signature",
}
ALGORITHMS = {"GOOG4-RSA-SHA256", "GOOG4-HMAC-SHA256"}
MAX_EXPIRES = 7 * 24 * 3600  # V4's own limit
# Object names as the app makes them (content hashes under fixed prefixes): plain characters only,
# so no percent-escape or dot segment can make the emulator route the path anywhere else.
OBJECT_NAME = re.compile(r"(?:[A-Za-z0-9_~-][A-Za-z0-9._~-]*/)*[A-Za-z0-9_~-][A-Za-z0-9._~-]*")


def refusal(method: str, target: str, bucket: str, headers: dict[str, str], now: float) -> str:
    """Why a request may not pass ('' if it may): the door's one rule, in one place."""
    if headers.get("content-length", "0") != "0" or "transfer-encoding" in headers:
        return "403 a request to the bucket carries no body"
    parts = urlsplit(target)
    prefix = f"/{bucket}/"
    if parts.scheme or parts.netloc or not parts.path.startswith(prefix):
        return f"404 only objects of the bucket {bucket} are served here"
    if not OBJECT_NAME.fullmatch(parts.path[len(prefix) :]):
        return "404 not an object name"
    if method == "OPTIONS":
        wanted = headers.get("access-control-request-method", "")
        return "" if wanted in ("GET", "HEAD") else "403 only preflights for GET or HEAD"
    if method not in ("GET", "HEAD"):
        return "403 only GET and HEAD of signed URLs"
    query = parse_qs(parts.query, keep_blank_values=True)
    if set(query) != SIGNED_QUERY or any(len(values) != 1 for values in query.values()):
        return "403 not a V4 signed URL"
    signed = {name: values[0] for name, values in query.items()}
    if signed["X-Goog-Algorithm"] not in ALGORITHMS:
        return "403 not a V4 signed URL"
    if not re.fullmatch(r"[0-9a-f]+", signed["X-Goog-Signature"]):
        return "403 not a V4 signed URL"
    try:
        start = calendar.timegm(time.strptime(signed["X-Goog-Date"], "%Y%m%dT%H%M%SZ"))
        lifetime = int(signed["X-Goog-Expires"])
    except ValueError:
        return "403 not a V4 signed URL"
    if not 0 < lifetime <= MAX_EXPIRES:
        return "403 not a V4 signed URL"
    if not start - 60 <= now <= start + lifetime:  # a minute's grace for clocks
        return "403 the signed URL has expired or is not yet valid"
    return ""


def handler_for(upstream: str, bucket: str) -> type[BaseHTTPRequestHandler]:
    target = urlsplit(upstream)
    host, port = target.hostname or "127.0.0.1", target.port or 80

    class Door(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as a browser expects from a bucket
        # Per blocking read or write: an idle keep-alive connection gives its thread back after
        # a minute.
        timeout = 60

        def do_GET(self) -> None:
            self._forward()

        def do_HEAD(self) -> None:
            self._forward()

        def do_OPTIONS(self) -> None:  # CORS preflight: the emulator answers
            self._forward()

        # Named so that they get the door's plain 403 (and the connection is closed, since a
        # body may follow), not the server's 501 page.
        do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS

        def send_error(
            self, code: int, message: str | None = None, explain: str | None = None
        ) -> None:
            """Every answer of the door's own is short plain text; the connection is closed."""
            body = f"{message or self.responses.get(code, ('',))[0]}\n".encode()
            self.close_connection = True
            self.send_response(code)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Connection", "close")
            self.end_headers()
            if self.command != "HEAD" and code >= 200 and code not in (204, 304):
                self.wfile.write(body)

        def _forward(self) -> None:
            headers = {k.lower(): v for k, v in self.headers.items()}
            if why := refusal(self.command, self.path, bucket, headers, time.time()):
                code, _, message = why.partition(" ")
                self.send_error(int(code), message)
                return
            skip = HOP_BY_HOP | OWN
            headers = {k: v for k, v in self.headers.items() if k.lower() not in skip}
            upstream_connection = http.client.HTTPConnection(host, port, timeout=30)
            try:
                # The browser's Host header is kept: the emulator serves signed URLs only for its
                # public host, which is this door's address.
                upstream_connection.request(self.command, self.path, headers=headers)
                response = upstream_connection.getresponse()
                if int(response.getheader("Content-Length") or 0) > MAX_BODY:
                    self.send_error(502, "the object is too large for this door")
                    return
                body = response.read(MAX_BODY + 1)
                if len(body) > MAX_BODY:  # no length given, and too much came
                    self.send_error(502, "the object is too large for this door")
                    return
            except (OSError, ValueError, http.client.HTTPException) as error:
                self.send_error(502, f"the GCS emulator did not answer ({error})")
                return
            finally:
                upstream_connection.close()
            # send_response_only: the emulator's Date and Server headers are the ones that count.
            self.send_response_only(response.status, response.reason)
            for name, value in response.getheaders():
                if name.lower() not in HOP_BY_HOP | OWN:
                    self.send_header(name, value)
            self.send_header("Timing-Allow-Origin", "*")
            length = response.getheader("Content-Length") if self.command == "HEAD" else None
            self.send_header("Content-Length", length or str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass  # the emulator logs; one log is enough

    return Door


def main(argv: list[str]) -> None:
    port, upstream, bucket = int(argv[1]), argv[2], argv[3]
    server = ThreadingHTTPServer(("127.0.0.1", port), handler_for(upstream, bucket))
    server.daemon_threads = True
    # Ctrl-C in the terminal reaches the whole process group, this process too: the app stops
    # it anyway, so leave quietly rather than print a traceback beside the app's.
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()


if __name__ == "__main__":
    main(sys.argv)
