"""Draws the app's home-screen icons (static/icons/icon-192.png and icon-512.png) with Pillow.

Maskable: the mark stays inside the middle 80 % (the safe zone a launcher may crop to a circle), on a
background that fills the whole square. Run again after changing the drawing; the PNGs are committed.
Usage: .venv/bin/python scripts/make_icons.py
"""
from pathlib import Path

from PIL import Image, ImageDraw

BLUE = (29, 78, 137)
WHITE = (255, 255, 255)
OUT = Path(__file__).resolve().parent.parent / "static" / "icons"


def draw(size: int) -> Image.Image:
    scale = 4  # drawn large and scaled down: smooth edges without anti-aliasing support in ImageDraw
    big = size * scale
    image = Image.new("RGB", (big, big), BLUE)
    pen = ImageDraw.Draw(image)
    unit = big / 100
    # A QR-like mark: three finder squares and a few modules, inside the safe zone (10..90).
    for x, y in ((22, 22), (58, 22), (22, 58)):
        pen.rectangle([x * unit, y * unit, (x + 20) * unit, (y + 20) * unit], fill=WHITE)
        pen.rectangle([(x + 4) * unit, (y + 4) * unit, (x + 16) * unit, (y + 16) * unit], fill=BLUE)
        pen.rectangle([(x + 7) * unit, (y + 7) * unit, (x + 13) * unit, (y + 13) * unit], fill=WHITE)
    for x, y in ((58, 58), (70, 58), (64, 64), (58, 70), (70, 70)):
        pen.rectangle([x * unit, y * unit, (x + 6) * unit, (y + 6) * unit], fill=WHITE)
    return image.resize((size, size), Image.LANCZOS)


if __name__ == "__main__":
    OUT.mkdir(parents=True, exist_ok=True)
    for size in (192, 512):
        draw(size).save(OUT / f"icon-{size}.png", optimize=True)
        print(OUT / f"icon-{size}.png")
