"""Small image files made in memory, for unit and end-to-end tests."""

from __future__ import annotations

import io
import os
import struct
import zlib

from PIL import Image, PngImagePlugin


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


def png16(width: int, height: int, rgb: tuple[int, int, int], alpha: int | None = None) -> bytes:
    """A 16-bit-per-channel RGB(A) PNG, by hand: Pillow reads these but cannot write them."""
    colour_type = 2 if alpha is None else 6
    pixel = struct.pack(">3H", *rgb) + (b"" if alpha is None else struct.pack(">H", alpha))
    rows = b"".join(b"\0" + pixel * width for _ in range(height))  # filter byte 0 per row

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 16, colour_type, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def oriented(fmt: str, orientation: int, width: int = 60, height: int = 30) -> bytes:
    """A landscape image whose EXIF tag says how to turn it (6 and 8: a quarter turn)."""
    exif = Image.Exif()
    exif[0x0112] = orientation
    return encode(Image.new("RGB", (width, height), "red"), fmt, exif=exif.tobytes())


def corrupt_exif_jpeg() -> bytes:
    """A valid JPEG with a garbage EXIF block (as some cameras and editors write)."""
    data = jpeg(60, 30)
    garbage = b"Exif\0\0MM\0*\0\0\0\x08" + b"\xff" * 40
    return data[:2] + b"\xff\xe1" + struct.pack(">H", len(garbage) + 2) + garbage + data[2:]


def animated(fmt: str, mode: str, colours: list[object]) -> bytes:
    frames = [Image.new(mode, (32, 32), colour) for colour in colours]
    out = io.BytesIO()
    frames[0].save(out, fmt, save_all=True, append_images=frames[1:])
    return out.getvalue()


def truncated_png() -> bytes:
    data = encode(Image.effect_noise((300, 300), 50), "PNG")
    return data[: len(data) // 2]


def noise_png(width: int, height: int) -> bytes:
    """Incompressible pixels: a file as big as its pixel count (e.g. 800 × 800 ≈ 1.9 MB)."""
    return encode(Image.frombytes("RGB", (width, height), os.urandom(width * height * 3)), "PNG")


def noise_jpeg(target_bytes: int) -> bytes:
    """A 3:2 JPEG of incompressible pixels, about `target_bytes` long (within a few per cent):
    as heavy as a phone photo of that size, and as slow to send."""
    pixels = target_bytes / 0.9  # quality 90 keeps about 0.9 bytes per pixel of noise
    width = int((pixels * 1.5) ** 0.5)
    height = int(width / 1.5)
    noise = Image.frombytes("RGB", (width, height), os.urandom(width * height * 3))
    return encode(noise, "JPEG", quality=90)


def png_text_bomb() -> bytes:
    """A valid small PNG with a compressed text chunk that inflates past Pillow's limit: Pillow
    raises a plain ValueError while reading it."""
    plain = png(64, 64)
    text = b"Comment\x00\x00" + zlib.compress(b"a" * (PngImagePlugin.MAX_TEXT_CHUNK + 10))
    chunk = struct.pack(">I", len(text)) + b"zTXt" + text
    chunk += struct.pack(">I", zlib.crc32(b"zTXt" + text) & 0xFFFFFFFF)
    return plain[:33] + chunk + plain[33:]  # after the PNG signature and the IHDR chunk
