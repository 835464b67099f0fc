"""The 12 bundled sample photos (see samples/README.md), processed like any upload.

Processing is cached per process: the samples never change, and caching keeps "Add sample images"
from spending server CPU that would blur the comparison of storage patterns.
"""

from __future__ import annotations

import dataclasses
from functools import cache
from pathlib import Path

from app.gallery.processing import ProcessedImage, process_image

SAMPLE_DIR = Path(__file__).resolve().parent / "samples"
SAMPLE_FILES: tuple[Path, ...] = tuple(sorted(SAMPLE_DIR.glob("*.jpg")))


def sample_name(path: Path) -> str:
    """'03-glacier-noon.jpg' -> 'glacier-noon.jpg': the number is only for ordering."""
    return path.name.split("-", 1)[1]


@cache
def load_sample(index: int) -> ProcessedImage:
    path = SAMPLE_FILES[index]
    image = process_image(sample_name(path), path.read_bytes())
    return dataclasses.replace(image, sample=True)
