"""The 12 bundled sample photos (see samples/README.md), processed like any upload.

Processing is cached per process: the samples never change, and caching keeps "Add sample images"
from spending server CPU that would blur the comparison of storage patterns. The first calls are
serialized: eight visitors adding samples to a cold process would otherwise each process all 12
(17 s each, measured), where one does it and the others wait for it.
"""

from __future__ import annotations

import dataclasses
import threading
from functools import cache
from pathlib import Path

from app.gallery.processing import ProcessedImage, process_image

SAMPLE_DIR = Path(__file__).resolve().parent / "samples"
SAMPLE_FILES: tuple[Path, ...] = tuple(sorted(SAMPLE_DIR.glob("*.jpg")))


def sample_name(path: Path) -> str:
    """'03-glacier-noon.jpg' -> 'glacier-noon.jpg': the number is only for ordering."""
    return path.name.split("-", 1)[1]


_first_time = threading.Lock()


def load_sample(index: int) -> ProcessedImage:
    with _first_time:
        return _processed(index)


@cache
def _processed(index: int) -> ProcessedImage:
    path = SAMPLE_FILES[index]
    image = process_image(sample_name(path), path.read_bytes())
    return dataclasses.replace(image, sample=True)
