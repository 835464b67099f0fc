"""Turn uploaded bytes into the two JPEGs every pattern stores: a display image and a thumbnail.

Why shared: the patterns must differ only in *where* bytes live. If each processed images its
own way, the payload comparison would measure JPEG settings instead of architecture. These are pure
functions (bytes in, bytes out) so they are unit-tested without a server.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import logging
import re
import unicodedata
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

from app.config import Settings
from app.config import settings as default_settings

log = logging.getLogger(__name__)

# Formats a browser displays and Pillow decodes safely. MPO is how Pillow names many phone JPEGs.
ACCEPTED_FORMATS = {"JPEG", "MPO", "PNG", "WEBP", "GIF"}
ACCEPTED_HINT = "upload a JPEG, PNG, WebP or GIF"


MAX_NAME_CHARS = 120
UNNAMED = "unnamed file"


def clean_name(raw: str | None) -> str:
    """The uploaded file's name, fit to show: its last path segment, without control or
    direction-changing characters, whitespace folded, at most MAX_NAME_CHARS (extension kept).

    Why only this: the name comes from the browser and is arbitrary text. It is only ever shown as
    text (Mesop escapes it, so `<b>` stays four characters) and kept as object metadata; objects
    are named by content hash, never by this. So HTML needs no escaping here, but a path, a
    right-to-left override that disguises an extension, or a 10 KB name would still mislead or
    clutter the page, and GCS caps an object's metadata at 8 KB.
    """
    name = re.split(r"[/\\]", raw or "")[-1]
    name = " ".join(name.split())  # tabs and line breaks become one space
    name = "".join(ch for ch in name if not unicodedata.category(ch).startswith("C"))
    if len(name) > MAX_NAME_CHARS:
        stem, dot, ext = name.rpartition(".")
        ext = dot + ext if stem and len(ext) <= 10 else ""
        name = name[: MAX_NAME_CHARS - len(ext) - 1] + "…" + ext
    return name or UNNAMED


class ImageRejected(ValueError):
    """An upload that cannot become a gallery image; `str()` is the message shown on the page."""

    def __init__(self, name: str, reason: str) -> None:
        super().__init__(f"{name}: {reason}")
        self.name = name
        self.reason = reason


@dataclass(frozen=True)
class ProcessedImage:
    """What a store keeps: both encodings plus the facts the viewer shows."""

    name: str
    display_jpeg: bytes
    thumb_jpeg: bytes
    width: int
    height: int
    sha256: str
    sample: bool = False  # a bundled sample: stores may keep one copy for every gallery

    @property
    def size_bytes(self) -> int:
        return len(self.display_jpeg)


def human_bytes(n: float) -> str:
    """1536 -> '1.5 KB': short enough to read from the back of a workshop room."""
    for unit in ("bytes", "KB", "MB"):
        if n < 1024 or unit == "MB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    raise AssertionError("unreachable")


def _sniff_unsupported(data: bytes) -> str | None:
    """Name the common non-images explicitly: 'not an image' is a worse message than 'a PDF'."""
    head = data[:512].lstrip().lower()
    if head.startswith(b"%pdf"):
        return f"PDF documents are not images; {ACCEPTED_HINT}"
    if head.startswith(b"<svg") or (head.startswith(b"<?xml") and b"<svg" in data[:4096].lower()):
        return f"SVG (vector) images are not supported; {ACCEPTED_HINT}"
    return None


def open_checked(name: str, data: bytes, limits: Settings = default_settings) -> Image.Image:
    """Validate cheaply (size, type, pixel count from the header) before decoding any pixels."""
    if not data:
        raise ImageRejected(name, "the file is empty")
    if len(data) > limits.max_upload_bytes:
        size, limit = human_bytes(len(data)), human_bytes(limits.max_upload_bytes)
        raise ImageRejected(name, f"the file is {size}; the limit is {limit}")
    if reason := _sniff_unsupported(data):
        raise ImageRejected(name, reason)
    megapixel_limit = f"the limit is {limits.max_image_pixels / 1e6:.0f} megapixels"
    try:
        with warnings.catch_warnings():
            # Our own pixel check below is stricter and says more than Pillow's warning.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
    except Image.DecompressionBombError:
        too_many = f"{2 * (Image.MAX_IMAGE_PIXELS or 0) / 1e6:.0f}"
        raise ImageRejected(
            name, f"the image has over {too_many} megapixels; {megapixel_limit}"
        ) from None
    except UnidentifiedImageError:
        raise ImageRejected(name, f"not a readable image; {ACCEPTED_HINT}") from None
    if image.format not in ACCEPTED_FORMATS:
        raise ImageRejected(name, f"{image.format} images are not supported; {ACCEPTED_HINT}")
    pixels = image.width * image.height
    if pixels > limits.max_image_pixels:
        size = f"{image.width}×{image.height} is {pixels / 1e6:.1f} megapixels"
        raise ImageRejected(name, f"{size}; {megapixel_limit}")
    try:
        image.load()
    except (OSError, SyntaxError, ValueError):
        raise ImageRejected(name, "the image data is truncated or corrupt") from None
    return image


def to_rgb(image: Image.Image) -> Image.Image:
    """Flatten any mode to RGB: transparency onto white (not black), 16-bit scaled, not clipped."""
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        scale = 1 / 256 if image.mode.startswith("I;16") or image.getextrema()[1] > 255 else 1
        image = image.convert("I").point(lambda v: v * scale).convert("L")
    if image.mode == "P" and "transparency" in image.info:
        image = image.convert("RGBA")
    if image.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    return image.convert("RGB")


def encode_jpeg(image: Image.Image, max_px: int, quality: int) -> tuple[bytes, tuple[int, int]]:
    """Downscale (never upscale) to fit max_px on the long side; no metadata is carried over."""
    copy = image.copy()
    copy.thumbnail((max_px, max_px), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    copy.save(out, "JPEG", quality=quality, optimize=True)
    return out.getvalue(), copy.size


def process_image(name: str, data: bytes, limits: Settings = default_settings) -> ProcessedImage:
    """Validate, orient by EXIF, convert to RGB, and encode the display image and the thumbnail.

    Raises ImageRejected with a reason a person can act on. Pillow raises many kinds of error on
    files built to trip it (a PNG text chunk that inflates past its limit, say): any of them
    becomes a refusal naming the file, logged once, so that the rest of a batch goes on.
    """
    try:
        return _process(name, data, limits)
    except ImageRejected:
        raise
    except Exception as error:  # a file from anyone: whatever the decoder raises
        kind = type(error).__name__
        log.warning("refused %r: %s while processing it", name, kind, exc_info=True)
        raise ImageRejected(
            name, f"the file could not be read as an image ({kind}); {ACCEPTED_HINT}"
        ) from None


def _process(name: str, data: bytes, limits: Settings) -> ProcessedImage:
    image = open_checked(name, data, limits)
    # A broken EXIF block is no reason to refuse an image: it is then shown unrotated.
    with contextlib.suppress(OSError, ValueError, SyntaxError):
        image = ImageOps.exif_transpose(image) or image
    rgb = to_rgb(image)
    display, (width, height) = encode_jpeg(rgb, limits.display_max_px, limits.display_quality)
    thumb, _ = encode_jpeg(rgb, limits.thumb_max_px, limits.thumb_quality)
    return ProcessedImage(
        name=name,
        display_jpeg=display,
        thumb_jpeg=thumb,
        width=width,
        height=height,
        sha256=hashlib.sha256(display).hexdigest(),
    )
