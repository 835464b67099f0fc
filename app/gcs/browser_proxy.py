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

What it lets through: only what a browser needs for the page's images and uploads.
- GET or HEAD of one object of the app's bucket by a V4 signed URL that has not expired, and CORS
  preflights for them (the emulator answers those). The door checks such a URL's form and expiry,
  not its signature.
- PUT of one `incoming/` object by a V4 signed upload URL (signing.UrlSigner.upload_url) that has
  not expired, whose signature verifies with the app's public key (given at start), with the
  signed content type and a body within the signed `x-goog-content-length-range` and under
  `--max-upload-bytes`; and the CORS preflights for such uploads, which the door answers itself
  as a bucket with a CORS rule would (docs/deploy.md gives that rule for a real bucket). Why
  check the signature here and not for reads: the emulator writes whatever it is sent, so a
  forged URL would let anything on this machine fill the data folder; and it makes a URL used for
  another object, or with another type or size, fail here as it fails on Cloud Storage.
The emulator itself checks no signature and would list the bucket, serve or overwrite any object
for anyone; everything else gets a short plain 403, 404, 411 or 413 here and never reaches it. A
reply is read whole, to set its length, so one over MAX_BODY is refused rather than held in
memory; an upload's body is passed on as it comes, in pieces, and if the browser stops sending,
the emulator's connection is closed mid-body, so it stores nothing.

Standalone on purpose (no app imports): `python browser_proxy.py PORT UPSTREAM_URL BUCKET
[DATA_DIR] [--upload-key BASE64_DER --max-upload-bytes N]`.
"""

from __future__ import annotations

import argparse
import base64
import calendar
import contextlib
import hashlib
import http.client
import re
import sys
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, parse_qsl, quote, urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

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


# Uploads: object names as gcs_store names them (incoming/<gallery id>/<random>), the headers
# every upload URL signs, and those a browser may ask to send in a preflight.
UPLOAD_NAME = re.compile(r"incoming/[A-Za-z0-9_-]{22}/[A-Za-z0-9_-]{22}")
UPLOAD_SIGNED_HEADERS = "content-type;host;x-goog-content-length-range"
UPLOAD_REQUEST_HEADERS = {"content-type", "x-goog-content-length-range"}
LENGTH_RANGE = re.compile(r"(\d{1,12}),(\d{1,12})")
CHUNK = 64 * 1024  # an upload's body is passed on in pieces this size


@dataclass(frozen=True)
class Uploads:
    """What the door needs to take uploads: the key that signs them, and the largest body."""

    key: rsa.RSAPublicKey
    max_bytes: int


def load_key(text: str) -> rsa.RSAPublicKey:
    key = serialization.load_der_public_key(base64.b64decode(text))
    if not isinstance(key, rsa.RSAPublicKey):
        raise ValueError("the upload key is not an RSA public key")
    return key


def _signed_refusal(query: str, now: float) -> tuple[str, dict[str, str]]:
    """Why a query is not that of an unexpired V4 signed URL of the app's form ('' if it is)."""
    parsed = parse_qs(query, keep_blank_values=True)
    if set(parsed) != SIGNED_QUERY or any(len(values) != 1 for values in parsed.values()):
        return "403 not a V4 signed URL", {}
    signed = {name: values[0] for name, values in parsed.items()}
    if signed["X-Goog-Algorithm"] not in ALGORITHMS:
        return "403 not a V4 signed URL", signed
    if not re.fullmatch(r"[0-9a-f]+", signed["X-Goog-Signature"]):
        return "403 not a V4 signed URL", signed
    try:
        start = calendar.timegm(time.strptime(signed["X-Goog-Date"], "%Y%m%dT%H%M%SZ"))
        lifetime = int(signed["X-Goog-Expires"])
    except ValueError:
        return "403 not a V4 signed URL", signed
    if not 0 < lifetime <= MAX_EXPIRES:
        return "403 not a V4 signed URL", signed
    if not start - 60 <= now <= start + lifetime:  # a minute's grace for clocks
        return "403 the signed URL has expired or is not yet valid", signed
    return "", signed


def string_to_sign(method: str, target: str, headers: dict[str, str]) -> str:
    """What a V4 signature of this request covers (Google's canonical request), rebuilt from the
    request as received: the path as sent, the query but the signature, the signed headers."""
    parts = urlsplit(target)
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    signed = dict(pairs)
    query = "&".join(
        sorted(f"{quote(k, safe='~')}={quote(v, safe='~')}" for k, v in pairs
               if k != "X-Goog-Signature")
    )  # fmt: skip
    names = signed["X-Goog-SignedHeaders"].split(";")
    canonical_headers = "".join(f"{n}:{' '.join(headers.get(n, '').split())}\n" for n in names)
    request = "\n".join(
        [method, parts.path, query, canonical_headers, ";".join(names), "UNSIGNED-PAYLOAD"]
    )
    scope = signed["X-Goog-Credential"].split("/", 1)[-1]
    digest = hashlib.sha256(request.encode()).hexdigest()
    return "\n".join([signed["X-Goog-Algorithm"], signed["X-Goog-Date"], scope, digest])


def _verified(key: rsa.RSAPublicKey, target: str, headers: dict[str, str]) -> bool:
    signature = bytes.fromhex(parse_qs(urlsplit(target).query)["X-Goog-Signature"][0])
    try:
        key.verify(
            signature, string_to_sign("PUT", target, headers).encode(), padding.PKCS1v15(),
            hashes.SHA256(),
        )  # fmt: skip
    except (InvalidSignature, ValueError):
        return False
    return True


def _upload_refusal(
    target: str, name: str, headers: dict[str, str], now: float, uploads: Uploads | None
) -> str:
    if uploads is None:
        return "403 this door takes no uploads"
    if not UPLOAD_NAME.fullmatch(name):
        return "403 uploads go only to incoming/ objects"
    why, signed = _signed_refusal(urlsplit(target).query, now)
    if why:
        return why
    if (signed["X-Goog-Algorithm"], signed["X-Goog-SignedHeaders"]) != (
        "GOOG4-RSA-SHA256",
        UPLOAD_SIGNED_HEADERS,
    ):
        return "403 not a signed upload URL"
    if "transfer-encoding" in headers or not headers.get("content-length", "").isdigit():
        return "411 an upload must say its length"
    length_range = LENGTH_RANGE.fullmatch(headers.get("x-goog-content-length-range", ""))
    if not length_range or not _verified(uploads.key, target, headers):
        return "403 the signature does not match this upload"
    length = int(headers["content-length"])
    low, high = int(length_range[1]), int(length_range[2])
    if not low <= length <= min(high, uploads.max_bytes):
        return "413 the upload is outside the size its URL allows"
    return ""


def _preflight_refusal(name: str, headers: dict[str, str], uploads: Uploads | None) -> str:
    """A browser asking whether it may PUT an upload with these headers ('' if it may)."""
    if uploads is None or not UPLOAD_NAME.fullmatch(name):
        return "403 uploads go only to incoming/ objects"
    asked = headers.get("access-control-request-headers", "")
    if not {h.strip().lower() for h in asked.split(",") if h.strip()} <= UPLOAD_REQUEST_HEADERS:
        return "403 an upload sends only its content type and size range"
    return ""


def refusal(
    method: str,
    target: str,
    bucket: str,
    headers: dict[str, str],
    now: float,
    uploads: Uploads | None = None,
) -> str:
    """Why a request may not pass ('' if it may): the door's one rule, in one place."""
    has_body = headers.get("content-length", "0") != "0" or "transfer-encoding" in headers
    if has_body and method != "PUT":
        return "403 a request to the bucket carries no body"
    parts = urlsplit(target)
    prefix = f"/{bucket}/"
    if parts.scheme or parts.netloc or not parts.path.startswith(prefix):
        return f"404 only objects of the bucket {bucket} are served here"
    name = parts.path[len(prefix) :]
    if not OBJECT_NAME.fullmatch(name):
        return "404 not an object name"
    if method == "OPTIONS":
        wanted = headers.get("access-control-request-method", "")
        if wanted == "PUT":
            return _preflight_refusal(name, headers, uploads)
        return "" if wanted in ("GET", "HEAD") else "403 only preflights for GET, HEAD or PUT"
    if method == "PUT":
        return _upload_refusal(target, name, headers, now, uploads)
    if method not in ("GET", "HEAD"):
        return "403 only GET and HEAD of signed URLs, and PUT of signed uploads"
    return _signed_refusal(parts.query, now)[0]


class BrowserGone(Exception):
    """The browser stopped sending an upload's body before its end."""


def handler_for(
    upstream: str, bucket: str, uploads: Uploads | None = None
) -> type[BaseHTTPRequestHandler]:
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

        def do_OPTIONS(self) -> None:  # CORS preflight: the emulator answers, or the door
            self._forward()

        def do_PUT(self) -> None:
            self._forward()

        # Named so that they get the door's plain 403 (and the connection is closed, since a
        # body may follow), not the server's 501 page.
        do_POST = do_PATCH = do_DELETE = do_OPTIONS

        def send_error(
            self, code: int, message: str | None = None, explain: str | None = None
        ) -> None:
            """Every answer of the door's own is short plain text; the connection is closed.
            An upload's refusal carries CORS headers, as Cloud Storage's would: without them the
            page's script would see only that the upload failed, not why."""
            body = f"{message or self.responses.get(code, ('',))[0]}\n".encode()
            self.close_connection = True
            self.send_response(code)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Connection", "close")
            if self.command == "PUT":
                self._cors()
            self.end_headers()
            if self.command != "HEAD" and code >= 200 and code not in (204, 304):
                self.wfile.write(body)

        def _cors(self) -> None:
            self.send_header("Access-Control-Allow-Origin", self.headers.get("Origin") or "*")
            self.send_header("Vary", "Origin")

        def _forward(self) -> None:
            headers = {k.lower(): v for k, v in self.headers.items()}
            if why := refusal(self.command, self.path, bucket, headers, time.time(), uploads):
                code, _, message = why.partition(" ")
                if self.command == "PUT":
                    self._drain(headers)
                self.send_error(int(code), message)
                return
            if self.command == "OPTIONS" and headers["access-control-request-method"] == "PUT":
                self._allow_upload()
                return
            skip = HOP_BY_HOP | OWN
            headers = {k: v for k, v in self.headers.items() if k.lower() not in skip}
            upstream_connection = http.client.HTTPConnection(host, port, timeout=30)
            try:
                # The browser's Host header is kept: the emulator serves signed URLs only for its
                # public host, which is this door's address.
                if self.command == "PUT":
                    self._send_upload(upstream_connection, headers)
                else:
                    upstream_connection.request(self.command, self.path, headers=headers)
                response = upstream_connection.getresponse()
                if int(response.getheader("Content-Length") or 0) > MAX_BODY:
                    self.send_error(502, "the object is too large for this door")
                    return
                body = response.read(MAX_BODY + 1)
                if len(body) > MAX_BODY:  # no length given, and too much came
                    self.send_error(502, "the object is too large for this door")
                    return
            except BrowserGone:
                self.close_connection = True  # nobody to answer; the emulator got half a body
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

        def _send_upload(
            self, upstream_connection: http.client.HTTPConnection, headers: dict[str, str]
        ) -> None:
            """Pass the body on as it comes; if the browser stops early, so does the emulator's
            request (its connection is closed mid-body: it stores nothing)."""
            length = int(self.headers["Content-Length"])
            upstream_connection.putrequest(
                "PUT", self.path, skip_host=True, skip_accept_encoding=True
            )
            for name, value in headers.items():
                upstream_connection.putheader(name, value)
            upstream_connection.putheader("Content-Length", str(length))
            upstream_connection.endheaders()
            left = length
            while left:
                try:
                    chunk = self.rfile.read(min(CHUNK, left))
                except OSError:
                    chunk = b""
                if not chunk:
                    raise BrowserGone
                upstream_connection.send(chunk)
                left -= len(chunk)

        def _drain(self, headers: dict[str, str]) -> None:
            """Read a refused upload's body (within the cap) before answering: a browser still
            sending when the connection closes reports a reset, not the door's answer."""
            length = headers.get("content-length", "")
            limit = uploads.max_bytes if uploads else 0
            if not length.isdigit() or int(length) > limit + CHUNK:
                return
            left = int(length)
            with contextlib.suppress(OSError):
                while left and (chunk := self.rfile.read(min(CHUNK, left))):
                    left -= len(chunk)

        def _allow_upload(self) -> None:
            """Answer an upload's preflight as a bucket whose CORS rule allows it."""
            self.send_response(200)
            self._cors()
            self.send_header("Access-Control-Allow-Methods", "PUT")
            self.send_header(
                "Access-Control-Allow-Headers", ", ".join(sorted(UPLOAD_REQUEST_HEADERS))
            )
            self.send_header("Access-Control-Max-Age", "3600")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            pass  # the emulator logs; one log is enough

    return Door


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("port", type=int)
    parser.add_argument("upstream")
    parser.add_argument("bucket")
    parser.add_argument("data_dir", nargs="?", default="")  # only for `ps`: which emulator
    parser.add_argument("--upload-key", default="")
    parser.add_argument("--max-upload-bytes", type=int, default=0)
    args = parser.parse_args(argv[1:])
    uploads = None
    if args.upload_key and args.max_upload_bytes > 0:
        uploads = Uploads(load_key(args.upload_key), args.max_upload_bytes)
    door = handler_for(args.upstream, args.bucket, uploads)
    server = ThreadingHTTPServer(("127.0.0.1", args.port), door)
    server.daemon_threads = True
    # Ctrl-C in the terminal reaches the whole process group, this process too: the app stops
    # it anyway, so leave quietly rather than print a traceback beside the app's.
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()


if __name__ == "__main__":
    main(sys.argv)
