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

from PIL import Image, UnidentifiedImageError

from app import byte_budget
from app.config import Settings
from app.config import settings as default_settings
from app.units import human_bytes

log = logging.getLogger(__name__)

# Set once for the process: `warnings.catch_warnings` is not thread-safe. Our own pixel check is
# stricter and says more than Pillow's DecompressionBombWarning; and Pillow warns once per bad
# metadata tag, so a file with thousands of them wrote thousands of lines per upload.
warnings.filterwarnings("ignore", category=Image.DecompressionBombWarning)
warnings.filterwarnings("ignore", category=UserWarning, module=r"PIL\.")

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
    right-to-left override that disguises an extension, or a 10 kB name would still mislead or
    clutter the page, and GCS caps an object's metadata at 8 kB.
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


def _sniff_unsupported(data: bytes) -> str | None:
    """Name the common non-images explicitly: 'not an image' is a worse message than 'a PDF'."""
    head = data[:512].lstrip().lower()
    if head.startswith(b"%pdf"):
        return f"PDF documents are not images; {ACCEPTED_HINT}"
    if head.startswith(b"<svg") or (head.startswith(b"<?xml") and b"<svg" in data[:4096].lower()):
        return f"SVG (vector) images are not supported; {ACCEPTED_HINT}"
    return None


def pixel_bytes(mode: str) -> int:
    """Bytes per pixel of a decoded image in Pillow: bands x bytes per band, except that Pillow
    keeps every 8-bit mode of 2 to 4 bands (LA, RGB, RGBA, CMYK...) in 4 bytes per pixel."""
    if mode.startswith("I;16"):
        return 2
    if mode in ("I", "F"):
        return 4
    return 1 if Image.getmodebands(mode) == 1 else 4


# Modes Pillow resizes as they are; RGBA and LA get a premultiplied full-size copy to resize.
NATIVE_MODES = ("RGB", "L", "CMYK", "YCbCr", "I;16", "I;16B", "I;16L", "I", "F")


def decode_bytes(image: Image.Image) -> int:
    """The most memory _process holds for `image` at once: its decoded pixels, plus the
    full-size copies made before it is reduced (Pillow's premultiplied copy to resize an image
    with alpha; for other modes, a conversion to RGBA and then that copy). Everything after the
    reduction is display-sized, small beside it: measured, a process grows by this plus 20 to
    40 MB (tests/test_decode_memory.py)."""
    copies = 0 if image.mode in NATIVE_MODES else 4 if image.mode in ("RGBA", "LA") else 8
    if image.format == "WEBP":
        copies += 8  # libwebp decodes into a buffer of its own, which Pillow then copies
    return image.width * image.height * (pixel_bytes(image.mode) + copies)


def open_checked(name: str, data: bytes, limits: Settings = default_settings) -> Image.Image:
    """Validate cheaply (size, type, pixel count and decode memory, from the header) before
    decoding any pixels. JPEGs are set to decode at the smallest scale (1/2, 1/4, 1/8) that still
    covers the display size: a 40 MP photo then decodes as 2.5 MP."""
    if not data:
        raise ImageRejected(name, "the file is empty")
    if len(data) > limits.max_upload_bytes:
        size, limit = human_bytes(len(data)), human_bytes(limits.max_upload_bytes)
        raise ImageRejected(name, f"the file is {size}; the limit is {limit}")
    if reason := _sniff_unsupported(data):
        raise ImageRejected(name, reason)
    megapixel_limit = f"the limit is {limits.max_image_pixels / 1e6:.0f} megapixels"
    try:
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
    if image.format in ("JPEG", "MPO"):
        image.draft(image.mode, (limits.display_max_px, limits.display_max_px))
    if decode_bytes(image) > limits.max_decode_bytes:
        needs, limit = human_bytes(decode_bytes(image)), human_bytes(limits.max_decode_bytes)
        raise ImageRejected(
            name,
            f"{image.width}×{image.height} {image.mode} needs {needs} of memory to decode; "
            f"the limit is {limit}. Save it smaller, or as a JPEG",
        )
    return image


# EXIF orientation -> the transpose that shows the image upright (ImageOps.exif_transpose's table).
_UPRIGHT = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


def orientation(image: Image.Image) -> int:
    """The EXIF orientation, or 1: a broken EXIF block is no reason to refuse an image (it is
    then shown unrotated)."""
    with contextlib.suppress(Exception):
        value = image.getexif().get(0x0112, 1)
        return value if isinstance(value, int) else 1
    return 1


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


def resizable(image: Image.Image) -> Image.Image:
    """The image in a mode Pillow resizes with LANCZOS (for P and 1 it would use NEAREST): the
    one full-size conversion, counted by decode_bytes."""
    if image.mode in NATIVE_MODES or image.mode in ("RGBA", "LA"):
        return image
    return image.convert("RGBA")


def reduced(image: Image.Image, max_px: int) -> Image.Image:
    """Downscaled (never upscaled) to fit max_px on the long side: a new image, or `image` itself
    if it already fits (callers only read it, so no copy is needed)."""
    scale = max_px / max(image.size)
    if scale >= 1:
        return image
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    return image.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)


def encode_jpeg(image: Image.Image, max_px: int, quality: int) -> tuple[bytes, tuple[int, int]]:
    """Downscale (never upscale) to fit max_px on the long side; no metadata is carried over."""
    small = reduced(image, max_px)
    out = io.BytesIO()
    small.save(out, "JPEG", quality=quality, optimize=True)
    return out.getvalue(), small.size


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
    """Open, check, then decode under the process's memory budget; reduce to the display size
    before anything else touches all the pixels, and make the thumbnail from the display image."""
    image = open_checked(name, data, limits)
    try:
        with byte_budget.shared("decode", limits.decode_budget_bytes).reserve(decode_bytes(image)):
            try:
                image.load()
            except (OSError, SyntaxError, ValueError):
                raise ImageRejected(name, "the image data is truncated or corrupt") from None
            upright = _UPRIGHT.get(orientation(image))  # after load: a PNG's EXIF may follow
            display = to_rgb(reduced(resizable(image), limits.display_max_px))
            del image  # the full-size pixels go now; everything below is display-sized
    except byte_budget.Busy:
        raise ImageRejected(
            name, "the server is busy decoding other large images; try it again in a minute"
        ) from None
    if upright is not None:
        display = display.transpose(upright)
    display_jpeg, (width, height) = encode_jpeg(
        display, limits.display_max_px, limits.display_quality
    )
    thumb, _ = encode_jpeg(display, limits.thumb_max_px, limits.thumb_quality)
    return ProcessedImage(
        name=name,
        display_jpeg=display_jpeg,
        thumb_jpeg=thumb,
        width=width,
        height=height,
        sha256=hashlib.sha256(display_jpeg).hexdigest(),
    )
