"""Unit tests for the shared image processing: pure functions, no server."""

from __future__ import annotations

import dataclasses
import io
import struct
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest
from PIL import Image

from app.config import settings
from app.gallery.actions import refused_files
from app.gallery.processing import (
    MAX_NAME_CHARS,
    ImageRejected,
    ProcessedImage,
    clean_name,
    human_bytes,
    process_image,
)
from app.gallery.samples import SAMPLE_FILES, load_sample
from tests.images import (
    PDF,
    SVG,
    animated,
    corrupt_exif_jpeg,
    encode,
    jpeg,
    oriented,
    png,
    png16,
    png_text_bomb,
    truncated_jpeg,
    truncated_png,
)


def decode(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def test_display_and_thumbnail_fit_their_limits_and_keep_aspect() -> None:
    result = process_image("wide.png", png(4000, 1000))
    display, thumb = decode(result.display_jpeg), decode(result.thumb_jpeg)
    assert display.format == thumb.format == "JPEG"
    assert display.size == (1600, 400) == (result.width, result.height)
    assert thumb.size == (320, 80)
    assert result.size_bytes == len(result.display_jpeg)
    assert len(result.sha256) == 64


def test_small_images_are_not_upscaled() -> None:
    result = process_image("small.jpg", jpeg(200, 100))
    assert (result.width, result.height) == (200, 100)
    assert decode(result.thumb_jpeg).size == (200, 100)


WHITE = (255, 255, 255)
CLEAR = (255, 0, 0, 0)  # red, fully transparent: must come out white, not red or black


def solid(mode: str, fmt: str, colour: object, size: tuple[int, int] = (40, 30), **params) -> bytes:
    return encode(Image.new(mode, size, colour), fmt, **params)


# Valid oddities: each is accepted and becomes an RGB JPEG of the expected size with no EXIF
# orientation left; where a colour is given, the middle pixel must come out that colour.
ACCEPTED = [
    ("photo.jpg", lambda: jpeg(640, 480), (640, 480), None),
    ("cmyk.jpg", lambda: solid("CMYK", "JPEG", (0, 0, 0, 0)), (40, 30), WHITE),
    ("grey.jpg", lambda: solid("L", "JPEG", 255), (40, 30), WHITE),
    ("progressive.jpg", lambda: solid("RGB", "JPEG", "blue", progressive=True), (40, 30), None),
    ("transparent.png", lambda: solid("RGBA", "PNG", CLEAR), (40, 30), WHITE),
    ("grey-alpha.png", lambda: solid("LA", "PNG", (0, 0)), (40, 30), WHITE),
    ("palette.png", lambda: solid("P", "PNG", 3), (40, 30), None),
    ("palette-clear.png", lambda: solid("P", "PNG", 0, transparency=0), (40, 30), WHITE),
    ("bilevel.png", lambda: solid("1", "PNG", 1), (40, 30), WHITE),
    ("grey16.png", lambda: solid("I;16", "PNG", 65535), (40, 30), WHITE),  # not clipped or wrapped
    ("rgb16.png", lambda: png16(40, 30, (65535, 0, 32768)), (40, 30), (255, 0, 128)),
    ("rgba16.png", lambda: png16(40, 30, (0, 0, 0), alpha=0), (40, 30), WHITE),
    ("lossy.webp", lambda: solid("RGB", "WEBP", "lime"), (40, 30), (0, 255, 0)),
    ("lossless.webp", lambda: solid("L", "WEBP", 128, lossless=True), (40, 30), (128, 128, 128)),
    ("alpha.webp", lambda: solid("RGBA", "WEBP", CLEAR), (40, 30), WHITE),
    ("animated.webp", lambda: animated("WEBP", "RGB", ["blue", "red"]), (32, 32), (0, 0, 255)),
    ("animated.gif", lambda: animated("GIF", "P", [1, 2]), (32, 32), None),
    ("clear.gif", lambda: solid("P", "GIF", 0, transparency=0), (40, 30), WHITE),
    ("turned.jpg", lambda: oriented("JPEG", 6), (30, 60), None),
    ("turned-back.jpg", lambda: oriented("JPEG", 8), (30, 60), None),
    ("upside-down.jpg", lambda: oriented("JPEG", 3), (60, 30), None),
    ("turned.webp", lambda: oriented("WEBP", 6), (30, 60), None),
    ("turned.png", lambda: oriented("PNG", 8), (30, 60), None),
    ("bad-exif.jpg", corrupt_exif_jpeg, (60, 30), None),  # shown unrotated, not refused
    ("strip.png", lambda: png(20000, 2), (1600, 1), None),  # extreme aspect: no side of 0 px
    ("really-a-jpeg.png", lambda: jpeg(64, 48), (64, 48), None),  # the content decides
]


@pytest.mark.parametrize(("name", "make", "size", "colour"), ACCEPTED, ids=[c[0] for c in ACCEPTED])
def test_valid_oddities_are_accepted_and_normalized(
    name: str, make: Callable[[], bytes], size: tuple[int, int], colour: tuple | None
) -> None:
    result = process_image(name, make())
    display, thumb = decode(result.display_jpeg), decode(result.thumb_jpeg)
    assert display.format == thumb.format == "JPEG"
    assert display.mode == thumb.mode == "RGB"
    assert display.size == size == (result.width, result.height)
    assert 0x0112 not in display.getexif()  # turned once, and no tag left to turn it again
    if colour is not None:
        middle = display.getpixel((size[0] // 2, size[1] // 2))
        assert all(abs(a - b) <= 6 for a, b in zip(middle, colour, strict=True)), middle


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("empty.jpg", b"", "the file is empty"),
        ("notes.txt", b"hello, this is text\n", "not a readable image"),
        ("logo.svg", SVG, "SVG (vector) images are not supported"),
        ("paper.pdf", PDF, "PDF documents are not images"),
        ("cut.jpg", truncated_jpeg(), "truncated or corrupt"),
        ("old.bmp", encode(Image.new("RGB", (8, 8)), "BMP"), "BMP images are not supported"),
        ("scan.tiff", encode(Image.new("RGB", (8, 8)), "TIFF"), "TIFF images are not supported"),
        ("icon.ico", encode(Image.new("RGB", (16, 16)), "ICO"), "ICO images are not supported"),
        ("page.jpg", b"<!DOCTYPE html><script>alert(1)</script>", "not a readable image"),
        ("noise.jpg", b"\xff\xd8\xff" + bytes(range(256)) * 8, "not a readable image"),
        ("cut.png", truncated_png(), "truncated or corrupt"),
    ],
)
def test_unusable_files_are_refused_with_their_name_and_reason(
    name: str, data: bytes, reason: str
) -> None:
    with pytest.raises(ImageRejected) as refused:
        process_image(name, data)
    assert refused.value.name == name
    assert reason in refused.value.reason
    assert str(refused.value).startswith(f"{name}: ")


def test_pixel_limit_is_checked_before_decoding() -> None:
    # 12000×12000 = 144 MP: over our default limit, and under Pillow's own bomb error (2×89 MP),
    # so only our check stands between it and a 432 MB decode.
    huge = encode(Image.new("L", (12000, 12000)), "PNG")
    with pytest.raises(ImageRejected, match=r"12000×12000 is 144.0 megapixels; the limit is 40"):
        process_image("huge.png", huge)


def test_byte_limit_names_both_sizes() -> None:
    limits = dataclasses.replace(settings, max_upload_bytes=1000)
    with pytest.raises(ImageRejected, match=r"the file is [\d.]+ kB; the limit is 1.0 kB"):
        process_image("big.jpg", jpeg(), limits)


def test_samples_are_realistic_in_size() -> None:
    assert len(SAMPLE_FILES) == 12
    sizes = [load_sample(i).size_bytes for i in range(12)]
    assert all(100_000 <= size <= 300_000 for size in sizes), sizes
    assert sum(sizes) >= 1_000_000
    assert load_sample(2).name == "glacier-noon.jpg"


@pytest.mark.parametrize(
    ("size", "shown"),
    [
        (0, "0 B"),
        (912, "912 B"),
        (999, "999 B"),
        (1_000, "1.0 kB"),
        (36_700, "36.7 kB"),
        (99_949, "99.9 kB"),
        (367_000, "367 kB"),
        (4_875_480, "4.9 MB"),  # the /base64 select at 12 images that DevTools shows as 4.9 MB
        (19_500_000, "19.5 MB"),
        (256_000_000, "256 MB"),
        (1_300_000_000, "1.3 GB"),
    ],
)
def test_sizes_print_as_devtools_prints_them(size: int, shown: str) -> None:
    assert human_bytes(size) == shown


def test_pixel_bombs_beyond_pillows_own_limit_are_refused_too() -> None:
    bomb = encode(Image.new("1", (20000, 20000)), "PNG")  # 400 MP: Pillow refuses to open it
    with pytest.raises(ImageRejected, match=r"over 179 megapixels; the limit is 40 megapixels"):
        process_image("bomb.png", bomb)


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("beach.jpg", "beach.jpg"),
        ("<img src=x onerror=alert(1)>.jpg", "<img src=x onerror=alert(1)>.jpg"),  # text, kept
        ("../../etc/passwd.png", "passwd.png"),
        ("C:\\Users\\me\\photo.jpg", "photo.jpg"),
        ("invoice\u202egpj.exe", "invoicegpj.exe"),  # no right-to-left override to hide .exe
        ("tab\tnew\nline  .jpg", "tab new line .jpg"),
        ("日本の写真.png", "日本の写真.png"),
        ("\x00\x1f", "unnamed file"),
        ("", "unnamed file"),
        (None, "unnamed file"),
        ("n" * 300 + ".jpeg", "n" * 114 + "….jpeg"),  # the extension survives shortening
        ("n" * 300, "n" * 119 + "…"),
    ],
)
def test_file_names_are_cleaned_for_display(raw: str | None, shown: str) -> None:
    assert clean_name(raw) == shown
    assert len(clean_name(raw)) <= MAX_NAME_CHARS


def test_many_refused_files_make_one_line_that_names_them() -> None:
    assert refused_files(["a.jpg"], "too big") == "Refused a.jpg: too big"
    names = [f"f{n}.jpg" for n in range(25)]
    line = refused_files(names, "over the limit")
    assert line.startswith("Refused 25 files (f0.jpg, f1.jpg, ")
    assert "f9.jpg and 15 more): over the limit" in line and "f10.jpg" not in line


def test_a_file_that_trips_pillow_is_refused_by_name_and_logged_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A PNG whose compressed text chunk inflates past Pillow's limit makes Pillow raise a plain
    ValueError while decoding: a refusal naming the file, not an error dialog."""
    bomb = png_text_bomb()
    with pytest.raises(ImageRejected) as refused:
        process_image("text-bomb.png", bomb)
    assert refused.value.name == "text-bomb.png"
    assert refused.value.reason.startswith("the file could not be read as an image (ValueError)")
    assert [r.levelname for r in caplog.records if "text-bomb.png" in r.getMessage()] == ["WARNING"]


def test_cold_samples_are_processed_once_however_many_ask_at_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Eight visitors adding samples to a cold process: each sample is processed once."""
    from app.gallery import samples

    calls: list[str] = []
    real = samples.process_image

    def counted(name: str, data: bytes) -> ProcessedImage:
        calls.append(name)
        return real(name, data)

    samples._processed.cache_clear()
    monkeypatch.setattr(samples, "process_image", counted)
    try:
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda _: [samples.load_sample(i) for i in range(12)], range(8)))
    finally:
        samples._processed.cache_clear()
    assert sorted(calls) == sorted(samples.sample_name(p) for p in SAMPLE_FILES)


def test_bad_metadata_writes_nothing_to_the_log() -> None:
    """Pillow warns once per bad EXIF tag: a file with thousands wrote thousands of lines per
    upload. In a fresh process (pytest resets warning filters per test), nothing is written."""
    import subprocess
    import sys

    from tests.harness import ROOT

    tags = struct.pack(">H", 3000) + b"".join(
        struct.pack(">HHII", 0x9000 + i, 99, 1, 0) for i in range(3000)
    )  # 3,000 tags of an unknown type
    garbage = b"Exif\0\0MM\0*\0\0\0\x08" + tags
    data = jpeg(60, 30)
    exif = data[:2] + b"\xff\xe1" + struct.pack(">H", len(garbage) + 2) + garbage + data[2:]
    for sample in (exif, corrupt_exif_jpeg()):
        run = subprocess.run(
            [sys.executable, "-c", PROCESS_STDIN],
            input=sample,
            cwd=ROOT,
            capture_output=True,
            timeout=60,
        )
        assert run.returncode == 0, run.stderr[-2000:]
        assert run.stdout == b"60x30\n" and run.stderr == b""


PROCESS_STDIN = """
import sys
from app.gallery.processing import process_image
image = process_image("meta.jpg", sys.stdin.buffer.read())
print(f"{image.width}x{image.height}")
"""
