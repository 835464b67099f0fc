"""The browser's door to the embedded emulator: a tiny proxy that adds `Timing-Allow-Origin: *`.

Why it exists: /gcs images come from another origin (the bucket), and browsers hide the byte sizes
of cross-origin responses from Resource Timing unless the response allows it with
Timing-Allow-Origin (CORS headers are not enough: checked in Chromium). fake-gcs-server cannot add
that header, so without this door the payload meter could see that an image was fetched but not
how big it was. Real Cloud Storage does not send the header either: there the meter counts the
images and says their sizes are hidden (docs/performance.md).

Only browsers use it (signed URLs point here); the app's own storage calls go to the emulator
directly. It runs as its own small process (started and stopped with the emulator, and told to die
with its parent) because a thread in gunicorn's master would be forked into every worker.

Standalone on purpose (no app imports): `python browser_proxy.py PORT UPSTREAM_URL [DATA_DIR]`.
"""

from __future__ import annotations

import contextlib
import http.client
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

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


def handler_for(upstream: str) -> type[BaseHTTPRequestHandler]:
    target = urlsplit(upstream)
    host, port = target.hostname or "127.0.0.1", target.port or 80

    class Door(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as a browser expects from a bucket
        timeout = 60  # an idle keep-alive connection gives its thread back after a minute

        def do_GET(self) -> None:
            self._forward()

        def do_HEAD(self) -> None:
            self._forward()

        def do_OPTIONS(self) -> None:  # CORS preflight: the emulator answers
            self._forward()

        def _forward(self) -> None:
            skip = HOP_BY_HOP | OWN
            headers = {k: v for k, v in self.headers.items() if k.lower() not in skip}
            upstream_connection = http.client.HTTPConnection(host, port, timeout=30)
            try:
                # The browser's Host header is kept: the emulator serves signed URLs only for its
                # public host, which is this door's address.
                upstream_connection.request(self.command, self.path, headers=headers)
                response = upstream_connection.getresponse()
                body = response.read()
            except (OSError, http.client.HTTPException) as error:
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
    port, upstream = int(argv[1]), argv[2]
    server = ThreadingHTTPServer(("127.0.0.1", port), handler_for(upstream))
    server.daemon_threads = True
    # Ctrl-C in the terminal reaches the whole process group, this process too: the app stops
    # it anyway, so leave quietly rather than print a traceback beside the app's.
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()


if __name__ == "__main__":
    main(sys.argv)
