"""Unit tests for the shared image processing: pure functions, no server."""

from __future__ import annotations

import dataclasses
import io

import pytest
from PIL import Image

from config import settings
from gallery.processing import ImageRejected, human_bytes, process_image
from gallery.samples import SAMPLE_FILES, load_sample
from tests.images import PDF, SVG, encode, jpeg, png, truncated_jpeg


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


def test_exif_orientation_is_applied() -> None:
    # A landscape JPEG tagged "rotate 90° CW" (orientation 6) must come out portrait.
    exif = Image.Exif()
    exif[0x0112] = 6
    tagged = encode(Image.new("RGB", (600, 300), "red"), "JPEG", exif=exif.tobytes())
    result = process_image("phone.jpg", tagged)
    assert (result.width, result.height) == (300, 600)
    assert 0x0112 not in decode(result.display_jpeg).getexif()  # no metadata is carried over


def test_transparency_is_flattened_onto_white() -> None:
    clear = encode(Image.new("RGBA", (50, 50), (255, 0, 0, 0)), "PNG")
    pixel = decode(process_image("clear.png", clear).display_jpeg).getpixel((25, 25))
    assert all(channel > 245 for channel in pixel)


@pytest.mark.parametrize(
    ("mode", "fmt", "value"),
    [("CMYK", "JPEG", (0, 0, 0, 0)), ("P", "PNG", 3), ("L", "WEBP", 128), ("I;16", "PNG", 65535)],
)
def test_other_modes_become_rgb(mode: str, fmt: str, value: object) -> None:
    result = process_image(f"odd.{fmt.lower()}", encode(Image.new(mode, (40, 30), value), fmt))
    image = decode(result.display_jpeg)
    assert image.mode == "RGB" and image.size == (40, 30)
    if mode == "I;16":  # full-scale 16-bit white must stay white, not clip or wrap
        assert min(image.getpixel((20, 15))) > 245


def test_animated_gif_uses_first_frame() -> None:
    frames = [Image.new("P", (64, 64), i) for i in (1, 2)]
    out = io.BytesIO()
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:])
    assert process_image("anim.gif", out.getvalue()).width == 64


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("empty.jpg", b"", "the file is empty"),
        ("notes.txt", b"hello, this is text\n", "not a readable image"),
        ("logo.svg", SVG, "SVG (vector) images are not supported"),
        ("paper.pdf", PDF, "PDF documents are not images"),
        ("cut.jpg", truncated_jpeg(), "truncated or corrupt"),
        ("old.bmp", encode(Image.new("RGB", (8, 8)), "BMP"), "BMP images are not supported"),
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
    with pytest.raises(ImageRejected, match=r"the file is [\d.]+ KB; the limit is 1000 bytes"):
        process_image("big.jpg", jpeg(), limits)


def test_samples_are_realistic_in_size() -> None:
    assert len(SAMPLE_FILES) == 12
    sizes = [load_sample(i).size_bytes for i in range(12)]
    assert all(100_000 <= size <= 300_000 for size in sizes), sizes
    assert sum(sizes) >= 1_000_000
    assert load_sample(2).name == "glacier-noon.jpg"


def test_human_bytes() -> None:
    assert human_bytes(512) == "512 bytes"
    assert human_bytes(1536) == "1.5 KB"
    assert human_bytes(3.5 * 1024 * 1024) == "3.5 MB"


def test_pixel_bombs_beyond_pillows_own_limit_are_refused_too() -> None:
    bomb = encode(Image.new("1", (20000, 20000)), "PNG")  # 400 MP: Pillow refuses to open it
    with pytest.raises(ImageRejected, match=r"over 179 megapixels; the limit is 40 megapixels"):
        process_image("bomb.png", bomb)
