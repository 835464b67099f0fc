"""Large `/__ui__` requests take turns (app/request_limit.py, app/byte_budget.py): eight 28 MB
requests at once cost Mesop about 240 MB each to decode, parse and answer; without a budget they
took the worker to 1.3 GB. Small clicks never wait for them."""

from __future__ import annotations

import base64
import http.client
import json
import threading
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from mesop.protos import ui_pb2 as pb

from bench.protocol import Session
from tests.harness import Server, serve
from tests.test_e2e_hardening import peak_rss, worker_of

MB = 2**20


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    env = {"GCS_EMULATOR_DATA_DIR": str(tmp_path_factory.mktemp("gcs"))}
    with serve("gunicorn", env=env, log_dir=tmp_path_factory.mktemp("logs")) as running:
        yield running


def heavy_request() -> bytes:
    """A /base64 resize event whose state holds one 22 MB data URL: 28 MB on the wire."""
    image = {"key": "k", "display_url": "data:image/jpeg;base64," + "A" * 22_000_000}
    state = json.dumps({"images": [image], "status": {}})
    event = pb.UserEvent(resize=pb.ResizeEvent(), states=pb.States(states=[pb.State(data=state)]))
    return base64.urlsafe_b64encode(
        pb.UiRequest(path="/base64", user_event=event).SerializeToString()
    )


def test_eight_large_requests_take_turns_and_small_clicks_do_not_wait(server: Server) -> None:
    body = heavy_request()
    host = urlsplit(server.url).netloc
    replies: list[tuple[int, bytes]] = []

    def post() -> None:
        connection = http.client.HTTPConnection(host, timeout=120)
        connection.request("POST", "/__ui__", body=body, headers={"Origin": server.url})
        response = connection.getresponse()
        replies.append((response.status, response.read()))

    worker = worker_of(server)
    before = peak_rss(worker)
    senders = [threading.Thread(target=post) for _ in range(8)]
    for sender in senders:
        sender.start()
    time.sleep(0.5)
    small = Session(server.url, "/memory")
    try:
        started = time.perf_counter()
        small.init()
        small_seconds = time.perf_counter() - started
    finally:
        small.close()
    for sender in senders:
        sender.join(120)
    grown = (peak_rss(worker) - before) / MB
    print(
        f"\n8 x {len(body) / MB:.0f} MB: grew {grown:.0f} MiB, a small click {small_seconds:.1f} s"
    )
    assert len(replies) == 8
    for status, reply in replies:  # every one answered in full, in turn: none refused
        assert status == 200 and b"data: <stream_end>" in reply and len(reply) > 20 * MB
    assert grown < 450  # 246 MiB measured with the default budget; about 1,200 without
    assert small_seconds < 5
