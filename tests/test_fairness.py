"""Each visitor's share of the stores (app/gallery/fairness.py): one client adding in a loop is
refused, told when to try again, and cannot push other visitors' galleries out."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator

import flask
import pytest
from playwright.sync_api import Browser, expect

from app.config import settings
from app.gallery import fairness
from app.gallery.fairness import Shares, visitor
from tests.gallery_page import add_samples, expect_messages, open_gallery, thumbnails
from tests.harness import Server, serve


def test_a_share_runs_out_says_when_it_refills_and_refills() -> None:
    shares = Shares(images=3, nbytes=1000, window_seconds=2)
    assert [shares.take("203.0.113.7", 10) for _ in range(3)] == ["", "", ""]
    refused = shares.take("203.0.113.7", 10)
    assert "you have added 3 images or 1.0 kB in the last 0 minutes" in refused
    assert refused.endswith("Try again in 1 minute")
    assert shares.take("203.0.113.8", 10) == ""  # another visitor has a share of their own
    assert shares.take(None, 10) == ""  # loopback: no share to run out of
    time.sleep(0.8)  # 0.4 of the window: 1.2 images back
    assert shares.take("203.0.113.7", 10) == ""
    assert shares.take("203.0.113.7", 10) != ""


def test_bytes_run_out_too_and_an_upload_is_charged_once_processed() -> None:
    shares = Shares(images=100, nbytes=1000, window_seconds=600)
    assert shares.take("198.51.100.1") == ""
    shares.charge("198.51.100.1", 1500)  # into debt: the next image waits for it
    assert shares.take("198.51.100.1").endswith("Try again in 6 minutes")  # 501 B at 1000/10 min


def test_the_table_of_visitors_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fairness, "MAX_VISITORS", 50)
    shares = Shares(images=3, nbytes=1000, window_seconds=600)
    for n in range(200):
        shares.take(f"10.0.{n // 256}.{n % 256}", 1)
    assert len(shares._table) == 50


@pytest.mark.parametrize(
    ("remote", "forwarded", "hops", "who"),
    [
        ("127.0.0.1", "", 0, None),
        ("::1", "", 0, None),
        ("203.0.113.7", "", 0, "203.0.113.7"),
        ("203.0.113.7", "198.51.100.1", 0, "203.0.113.7"),  # no proxy trusted: header ignored
        ("169.254.1.1", "forged, 198.51.100.1", 1, "198.51.100.1"),  # the proxy's entry counts
        ("169.254.1.1", "198.51.100.1, 10.1.2.3", 2, "198.51.100.1"),
        ("169.254.1.1", "", 1, "169.254.1.1"),  # no header: the socket's address
        ("2001:db8:1:2:3:4:5:6", "", 0, "2001:db8:1:2::/64"),  # one client's whole /64
        ("::ffff:203.0.113.9", "", 0, "203.0.113.9"),
        ("169.254.1.1", "not-an-address", 1, "unknown"),
    ],
)
def test_a_visitor_is_an_address_the_server_derives(
    remote: str, forwarded: str, hops: int, who: str | None
) -> None:
    limits = dataclasses.replace(settings, trusted_proxies=hops)
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    app = flask.Flask(__name__)
    with app.test_request_context(headers=headers, environ_base={"REMOTE_ADDR": remote}):
        assert visitor(limits) == who


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    env = {
        "GCS_EMULATOR_DATA_DIR": str(tmp_path_factory.mktemp("gcs")),
        "GALLERY_TRUSTED_PROXIES": "1",
        "GALLERY_VISITOR_IMAGES": "12",
        "MEMORY_MAX_BYTES": str(8 * 2**20),  # two galleries of the 12 samples, not 48 more
    }
    with serve("gunicorn", env=env, log_dir=tmp_path_factory.mktemp("logs")) as running:
        yield running


def test_one_visitor_adding_in_a_loop_cannot_push_others_out(
    server: Server, browser: Browser
) -> None:
    """Before: a loop of "Add sample images" from one client evicted every /memory gallery.
    Now the second click is refused, with when to try again, and Bob's gallery stays."""
    bob = browser.new_context(extra_http_headers={"X-Forwarded-For": "198.51.100.20"}).new_page()
    eve = browser.new_context(extra_http_headers={"X-Forwarded-For": "203.0.113.66"}).new_page()
    try:
        open_gallery(bob, server.url + "/memory")
        add_samples(bob)
        open_gallery(eve, server.url + "/memory")
        add_samples(eve)
        for _ in range(3):
            eve.get_by_role("button", name="Add sample images").click()
            expect(eve.get_by_role("button", name="Add sample images")).to_be_enabled()
        expect_messages(eve, "this server's share per visitor. Try again in 1 minute")
        expect(thumbnails(eve)).to_have_count(12)
        bob.reload()
        expect(thumbnails(bob)).to_have_count(12)
    finally:
        bob.context.close()
        eve.context.close()
