"""Small image files made in memory, for unit and end-to-end tests."""

from __future__ import annotations

import io

from PIL import Image


def encode(image: Image.Image, fmt: str, **params: object) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **params)
    return out.getvalue()


def jpeg(width: int = 640, height: int = 480, colour: str = "teal") -> bytes:
    return encode(Image.new("RGB", (width, height), colour), "JPEG")


def png(width: int = 640, height: int = 480, colour: str = "orange") -> bytes:
    return encode(Image.new("RGB", (width, height), colour), "PNG")


def truncated_jpeg() -> bytes:
    """A real photo-like JPEG cut in half: the header parses, the pixels do not."""
    noise = Image.effect_noise((800, 600), 40).convert("RGB")
    data = encode(noise, "JPEG", quality=90)
    return data[: len(data) // 2]


SVG = b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>'
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
