"""Uploads on /gcs, from the browser straight to the bucket, against Mesop's uploader.

Measures, in real Chromium against real gunicorn and the embedded emulator:
- one upload of a ~3 MB JPEG on /gcs: the /__ui__ requests' bodies up and down (Playwright's
  request.sizes()), the PUT requests the page sent elsewhere, and the bytes they carried: the
  payload meter's "to storage", which is Chromium's own count of each upload's body bytes as the
  uploader received it (XMLHttpRequest upload progress; Playwright's sizes() report 0 for a body
  that is a file). Before browser-to-bucket uploads there is no such request and no such figure;
- a file over GALLERY_MAX_UPLOAD_BYTES: how long the browser takes to refuse it, and whether any
  request carried its bytes;
- a batch of 12 such JPEGs on /gcs and on /memory (Mesop's uploader) in one run, alternating,
  from choosing the files to the last thumbnail and an idle page, by the page's own clock.

`--project DIR` serves another checkout (the same measurements on the code before this change:
`git archive <commit> | tar -x -C DIR`). Requests to Mesop may carry 64 MiB here, so that
/memory takes the 12 files in one upload (the default, 32 MiB, keeps back the files past 24 MB).

    python -m bench.direct_upload [--project DIR] [--rounds 3] [--json PATH]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

from playwright.sync_api import Page, Request, expect, sync_playwright

from app.units import human_bytes
from tests import images
from tests.conftest import chromium_path
from tests.gallery_page import open_gallery, thumbnails, wait_until_uploaded
from tests.harness import ROOT, Server, serve
from tests.wire import is_ui

MIB = 2**20
PHOTO_BYTES = 3_000_000
BATCH = 12


def one_upload(page: Page, server: Server, photo: bytes) -> dict[str, object]:
    """One ~3 MB JPEG on /gcs: where its bytes went."""
    open_gallery(page, server.url + "/gcs")
    ui: list[Request] = []
    puts: list[str] = []
    page.on("requestfinished", lambda r: ui.append(r) if is_ui(r) else None)
    page.on("request", lambda r: puts.append(r.url) if r.method == "PUT" else None)
    page.locator("input[type=file]").set_input_files(
        [{"name": "photo.jpg", "mimeType": "image/jpeg", "buffer": photo}]
    )
    expect(thumbnails(page)).to_have_count(1, timeout=120_000)
    wait_until_uploaded(page)
    sizes = [r.sizes() for r in ui]
    storage_up = page.locator("payload-meter").get_attribute("data-meter-storage-up")
    return {
        "file_bytes": len(photo),
        "ui_requests": len(sizes),
        "ui_up": sum(s["requestBodySize"] for s in sizes),
        "ui_up_largest": max(s["requestBodySize"] for s in sizes),
        "ui_down": sum(s["responseBodySize"] for s in sizes),
        "puts": len(puts),
        "puts_to_the_app": sum(url.startswith(server.url) for url in puts),
        "meter_storage_up": int(storage_up) if storage_up is not None else None,
    }


def oversize(page: Page, server: Server) -> dict[str, object]:
    """A 16 MB file (the limit is 15 MB) beside a small one: refused before anything is sent?"""
    open_gallery(page, server.url + "/gcs")
    bodies: list[int] = []
    page.on("request", lambda r: bodies.append(len(r.post_data_buffer or b"")))
    big = b"\xff\xd8\xff" + bytes(16_000_000)
    page.evaluate(
        """() => {
        window.refusedAfterMs = null;
        document.addEventListener("change", (event) => {  // outside a shadow root, or inside it
            if (window.refusedAfterMs === null) window.refusedAfterMs = -1;
        }, true);
        const host = document.querySelector("direct-upload");
        const input = (host && host.shadowRoot ? host.shadowRoot : document)
            .querySelector("input[type=file]");
        input.addEventListener("change", (event) => {
            window.refusedAfterMs = performance.now() - event.timeStamp;
        });
    }"""
    )
    started = time.monotonic()
    page.locator("input[type=file]").set_input_files(
        [
            {"name": "big.jpg", "mimeType": "image/jpeg", "buffer": big},
            {"name": "small.jpg", "mimeType": "image/jpeg", "buffer": images.jpeg(64, 48)},
        ]
    )
    expect(page.get_by_text("Not sent: big.jpg (16.0 MB)")).to_be_visible(timeout=60_000)
    seconds = time.monotonic() - started
    wait_until_uploaded(page)
    return {
        "refused_in_page_ms": page.evaluate("window.refusedAfterMs"),
        "refused_after_s": round(seconds, 2),
        "largest_request_body": max(bodies or [0]),
    }


# In the page: when the files were chosen (the file input's change event, whichever input it is),
# and when the page was done with them (every thumbnail drawn, nothing busy).
WATCH_CHOICE = """() => {
    window.chosenAt = null;
    const chosen = (event) => { window.chosenAt = window.chosenAt ?? event.timeStamp; };
    document.addEventListener("change", chosen, true);  // Mesop's uploader
    const host = document.querySelector("direct-upload");  // ours: its input is in a shadow root
    if (host) host.shadowRoot.querySelector("input").addEventListener("change", chosen);
}"""
DONE = """(count) => {
    const add = [...document.querySelectorAll("button")]
        .find((b) => b.textContent.trim() === "Add sample images");
    const done = document.querySelectorAll('img[alt^="Thumbnail"]').length === count
        && !document.querySelector("direct-upload[data-state=busy]") && add && !add.disabled;
    if (done) window.doneAt = window.doneAt ?? performance.now();
    return done;
}"""


def batch_seconds(page: Page, server: Server, path: str, files: list[dict]) -> float:
    """From choosing the files to the page done with them, as the page's clock says: Playwright
    takes seconds to copy 36 MB into the browser, before the page sees any of it."""
    open_gallery(page, server.url + path)
    page.evaluate(WATCH_CHOICE)
    page.locator("input[type=file]").set_input_files(files)
    page.wait_for_function(DONE, arg=len(files), polling=20, timeout=300_000)
    return page.evaluate("(window.doneAt - window.chosenAt) / 1000")


def run(project: Path, rounds: int) -> dict[str, object]:
    photo = images.noise_jpeg(PHOTO_BYTES)
    batch = [
        {
            "name": f"photo-{i:02}.jpg",
            "mimeType": "image/jpeg",
            "buffer": images.noise_jpeg(PHOTO_BYTES),
        }
        for i in range(BATCH)
    ]
    results: dict[str, object] = {"project": str(project)}
    with tempfile.TemporaryDirectory() as scratch:
        data = Path(scratch) / "gcs"
        env = {
            "GCS_EMULATOR_DATA_DIR": str(data),
            "GALLERY_MAX_REQUEST_BYTES": str(64 * MIB),
            "GALLERY_REQUEST_BUDGET_BYTES": str(64 * MIB),
        }
        with (
            serve("gunicorn", env=env, log_dir=Path(scratch), cwd=project) as server,
            sync_playwright() as playwright,
        ):
            path = chromium_path()
            browser = playwright.chromium.launch(**({"executable_path": path} if path else {}))
            try:
                results["one_upload"] = one_upload(browser.new_page(), server, photo)
                print("one upload:", results["one_upload"], flush=True)
                if project == ROOT:
                    results["oversize"] = oversize(browser.new_page(), server)
                    print("oversize:", results["oversize"], flush=True)
                times: dict[str, list[float]] = {"/memory": [], "/gcs": []}
                for _ in range(rounds):
                    for page_path in times:
                        page = browser.new_page()
                        times[page_path].append(batch_seconds(page, server, page_path, batch))
                        page.close()
                        print(page_path, f"{times[page_path][-1]:.1f} s", flush=True)
                results["batch"] = {
                    "files": BATCH,
                    "bytes": sum(len(f["buffer"]) for f in batch),
                    **{p: [round(t, 2) for t in ts] for p, ts in times.items()},
                    **{f"{p}_median": round(statistics.median(ts), 2) for p, ts in times.items()},
                }
            finally:
                browser.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--project", type=Path, default=ROOT)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    results = run(args.project.resolve(), args.rounds)
    one = results["one_upload"]
    assert isinstance(one, dict)
    print(
        f"\none {human_bytes(one['file_bytes'])} upload on /gcs: /__ui__ {one['ui_requests']} "
        f"requests, {human_bytes(one['ui_up'])} up (largest {human_bytes(one['ui_up_largest'])}), "
        f"{human_bytes(one['ui_down'])} down; {one['puts']} PUT to storage, carrying "
        f"{human_bytes(one['meter_storage_up'] or 0)}"
    )
    batch = results["batch"]
    assert isinstance(batch, dict)
    print(
        f"{batch['files']} files ({human_bytes(batch['bytes'])}): /gcs {batch['/gcs_median']} s, "
        f"/memory {batch['/memory_median']} s (medians of {args.rounds})"
    )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
