"""Generate the 12 bundled sample photos (procedural landscapes, CC0).

Why generated: the repository must not depend on downloads, and the samples must be realistic in
*bytes* (display images of 100 to 300 KB, textured like photos) so that the payload differences
between patterns are real. Re-running this script reproduces the files bit for bit with the same
Pillow version.

    python scripts/make_samples.py
"""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageChops, ImageDraw, ImageFilter

OUT = Path(__file__).resolve().parent.parent / "app" / "gallery" / "samples"
SIZE = (1920, 1280)

RGB = tuple[int, int, int]


@dataclass(frozen=True)
class Theme:
    slug: str
    sky_top: RGB
    sky_bottom: RGB
    sun: RGB
    ridges: tuple[RGB, RGB, RGB, RGB]
    water: bool
    trees: bool
    roughness: float


THEMES = [
    Theme(
        "alpine-dawn",
        (46, 74, 140),
        (250, 190, 150),
        (255, 236, 200),
        ((150, 130, 170), (100, 90, 130), (60, 60, 90), (30, 35, 50)),
        False,
        True,
        0.55,
    ),
    Theme(
        "desert-dusk",
        (70, 40, 90),
        (250, 140, 70),
        (255, 200, 120),
        ((190, 110, 80), (160, 80, 60), (120, 60, 45), (70, 35, 30)),
        False,
        False,
        0.35,
    ),
    Theme(
        "glacier-noon",
        (40, 110, 200),
        (190, 225, 250),
        (255, 255, 240),
        ((220, 230, 245), (170, 190, 215), (110, 130, 160), (60, 75, 95)),
        True,
        False,
        0.6,
    ),
    Theme(
        "forest-mist",
        (120, 140, 150),
        (210, 215, 210),
        (240, 240, 230),
        ((140, 160, 150), (90, 120, 100), (50, 85, 60), (20, 45, 30)),
        False,
        True,
        0.45,
    ),
    Theme(
        "volcanic-night",
        (10, 10, 30),
        (90, 30, 40),
        (255, 120, 60),
        ((80, 40, 50), (55, 30, 40), (35, 20, 28), (15, 10, 15)),
        False,
        False,
        0.65,
    ),
    Theme(
        "autumn-ridge",
        (80, 120, 180),
        (240, 210, 160),
        (255, 245, 210),
        ((190, 140, 100), (180, 100, 50), (130, 60, 30), (70, 35, 20)),
        False,
        True,
        0.5,
    ),
    Theme(
        "ocean-cliffs",
        (60, 120, 190),
        (200, 220, 235),
        (255, 250, 230),
        ((130, 150, 160), (100, 110, 110), (70, 75, 70), (40, 45, 40)),
        True,
        False,
        0.7,
    ),
    Theme(
        "lavender-hills",
        (110, 100, 170),
        (240, 200, 220),
        (255, 240, 240),
        ((180, 150, 200), (150, 110, 180), (110, 80, 140), (60, 50, 80)),
        False,
        True,
        0.3,
    ),
    Theme(
        "polar-twilight",
        (15, 30, 70),
        (120, 160, 200),
        (230, 240, 255),
        ((150, 170, 200), (110, 130, 170), (70, 90, 130), (30, 40, 70)),
        True,
        False,
        0.4,
    ),
    Theme(
        "canyon-sunset",
        (60, 50, 110),
        (255, 150, 90),
        (255, 220, 150),
        ((210, 120, 80), (180, 90, 60), (140, 60, 40), (80, 30, 25)),
        True,
        False,
        0.75,
    ),
    Theme(
        "rainy-valley",
        (90, 100, 110),
        (170, 180, 185),
        (220, 220, 220),
        ((120, 135, 135), (90, 110, 100), (60, 80, 70), (30, 45, 40)),
        True,
        True,
        0.5,
    ),
    Theme(
        "tropical-morning",
        (30, 140, 200),
        (220, 240, 230),
        (255, 255, 220),
        ((120, 180, 160), (70, 150, 110), (40, 110, 70), (20, 60, 40)),
        True,
        True,
        0.45,
    ),
]


def gradient(size: tuple[int, int], top: RGB, bottom: RGB) -> Image.Image:
    mask = Image.linear_gradient("L").resize(size)
    return Image.composite(Image.new("RGB", size, bottom), Image.new("RGB", size, top), mask)


def ridge_line(
    rng: random.Random, width: int, base: float, amplitude: float, rough: float
) -> list[float]:
    """Midpoint displacement: a fractal skyline, cheap and convincing."""
    points = [base + rng.uniform(-amplitude, amplitude), base + rng.uniform(-amplitude, amplitude)]
    spread = amplitude
    while len(points) < width // 4:
        nxt = [points[0]]
        for a, b in itertools.pairwise(points):
            nxt += [(a + b) / 2 + rng.uniform(-spread, spread), b]
        points = nxt
        spread *= rough
    step = width / (len(points) - 1)
    return [points[min(int(x / step), len(points) - 1)] for x in range(width + 1)]


def texture(size: tuple[int, int], sigma: float, blur: float) -> Image.Image:
    return Image.effect_noise(size, sigma).filter(ImageFilter.GaussianBlur(blur))


def make(theme: Theme, seed: int) -> Image.Image:
    rng = random.Random(seed)
    w, h = SIZE
    img = gradient(SIZE, theme.sky_top, theme.sky_bottom)

    # Sun with a soft glow.
    sx, sy, r = rng.randint(w // 5, 4 * w // 5), rng.randint(h // 8, h // 3), rng.randint(60, 110)
    glow = Image.new("L", SIZE, 0)
    ImageDraw.Draw(glow).ellipse((sx - 3 * r, sy - 3 * r, sx + 3 * r, sy + 3 * r), fill=110)
    glow = glow.filter(ImageFilter.GaussianBlur(r))
    ImageDraw.Draw(glow).ellipse((sx - r, sy - r, sx + r, sy + r), fill=255)
    img = Image.composite(Image.new("RGB", SIZE, theme.sun), img, glow)

    # Clouds: blurred noise, thresholded into soft wisps.
    clouds = Image.effect_noise((w // 96, h // 96), 50).resize(SIZE, Image.BICUBIC)
    clouds = clouds.point(lambda v: min(200, max(0, v - 140) * 3)).filter(
        ImageFilter.GaussianBlur(40)
    )
    img = Image.composite(Image.new("RGB", SIZE, (255, 255, 255)), img, clouds)

    horizon = h * (0.62 if theme.water else 0.9)
    for i, colour in enumerate(theme.ridges):
        base = h * (0.35 + 0.12 * i) if not theme.water else h * (0.3 + 0.08 * i)
        base = min(base, horizon - 40)
        line = ridge_line(rng, w, base, h * (0.12 - 0.02 * i), theme.roughness)
        mask = Image.new("L", SIZE, 0)
        ImageDraw.Draw(mask).polygon([(0, h), *list(enumerate(line)), (w, h)], fill=255)
        layer = Image.new("RGB", SIZE, colour)
        # Rock texture: the nearer the ridge, the coarser and stronger.
        rock = texture(SIZE, 30 + 12 * i, 2.0 + 0.8 * i).convert("RGB")
        layer = ImageChops.add(
            ImageChops.multiply(layer, Image.new("RGB", SIZE, (205,) * 3)), rock, 1.6
        )
        if theme.trees and i >= 2:
            draw = ImageDraw.Draw(layer)
            for _ in range(500 * (i - 1)):
                x = rng.randint(0, w)
                y = line[min(x, w)] + rng.randint(0, 140)
                th = rng.randint(18, 48) * (i - 1)
                shade = tuple(max(0, c - rng.randint(10, 30)) for c in colour)
                draw.polygon([(x, y - th), (x - th // 3, y), (x + th // 3, y)], fill=shade)
        img = Image.composite(layer, img, mask)

    if theme.water:
        top = int(horizon)
        reflection = img.crop((0, 2 * top - h, w, top)).transpose(Image.FLIP_TOP_BOTTOM)
        reflection = reflection.filter(ImageFilter.GaussianBlur(4))
        tint = gradient((w, h - top), (90, 110, 130), (20, 30, 45))
        water = Image.blend(reflection, tint, 0.3)
        ripples = texture((w, h - top), 40, 1.6).resize((w, h - top)).convert("RGB")
        water = ImageChops.add(water, ripples, 1.8, -60)
        img.paste(water, (0, top))

    # Film grain, as in any photo: it is what makes a real JPEG weigh what it does.
    grain = Image.effect_noise(SIZE, 4).convert("RGB")
    return ImageChops.add(img, grain, 1.0, -128 + 2)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for n, theme in enumerate(THEMES, start=1):
        path = OUT / f"{n:02d}-{theme.slug}.jpg"
        make(theme, seed=1000 + n).save(path, "JPEG", quality=85, optimize=True)
        print(f"{path.name}: {path.stat().st_size // 1024} KB")


if __name__ == "__main__":
    main()
