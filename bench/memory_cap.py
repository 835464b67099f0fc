"""Resident memory of the /memory pattern's store against the bytes it holds, and its cap holding.

Fills a GalleryMemory (the same class the /memory page uses, with the app's configured caps) with
`--galleries` galleries of the 12 samples, and reports after every 20 galleries: galleries held,
bytes held (data URLs), and the process's resident memory (VmRSS) above where it started.

    .venv/bin/python -m bench.memory_cap                 # 200 galleries, the default 256 MB cap
    MEMORY_MAX_BYTES=67108864 .venv/bin/python -m bench.memory_cap --galleries 50
"""

from __future__ import annotations

import argparse
import gc
import json
import uuid
from pathlib import Path

from app import config
from app.gallery.data_urls import data_url
from app.gallery.samples import SAMPLE_FILES, load_sample
from app.memory.galleries import GalleryMemory, HeldImage

RESULTS = Path(__file__).resolve().parent / "results" / "memory_cap.json"


def rss_bytes() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--galleries", type=int, default=200)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()

    settings = config.load()
    samples = [load_sample(i) for i in range(len(SAMPLE_FILES))]
    gc.collect()
    baseline = rss_bytes()
    memory = GalleryMemory(
        settings.memory_max_bytes, settings.memory_max_gallery_bytes, settings.memory_ttl_seconds
    )
    rows = []
    for n in range(1, args.galleries + 1):
        for k, image in enumerate(samples):
            held = HeldImage(
                uuid.uuid4().hex[:12],
                image.name,
                data_url(image.thumb_jpeg),  # a fresh string per image, as uploads would be
                data_url(image.display_jpeg),
                image.width,
                image.height,
                image.size_bytes,
            )
            memory.add(f"gallery-{n}", held, new=k == 0)
        if n % 20 == 0 or n == args.galleries:
            gc.collect()
            galleries, held_bytes = memory.stats()
            rows.append({"added": n, "held_galleries": galleries, "held_bytes": held_bytes,
                         "rss_above_start": rss_bytes() - baseline})  # fmt: skip
            row = rows[-1]
            print(
                f"{n:4} galleries added: {galleries:4} held, "
                f"{held_bytes / 2**20:7.1f} MB held, "
                f"RSS +{row['rss_above_start'] / 2**20:7.1f} MB "
                f"(cap {settings.memory_max_bytes / 2**20:.0f} MB)"
            )
    last = rows[-1]
    per_gallery = last["held_bytes"] / max(1, last["held_galleries"])
    overhead = last["rss_above_start"] / max(1, last["held_bytes"])
    print(f"per gallery of 12: {per_gallery / 2**20:.2f} MB held; RSS / held = {overhead:.2f}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    cap = settings.memory_max_bytes
    args.out.write_text(json.dumps({"cap_bytes": cap, "rows": rows}, indent=2) + "\n")


if __name__ == "__main__":
    main()
