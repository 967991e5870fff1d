"""Real image files for tests, made with Pillow: photos with EXIF orientation, GPS data and
IPTC caption and credit, as cameras and agencies write them."""

from __future__ import annotations

import io

from PIL import Image, ImageDraw

GPS_IFD = 0x8825
ORIENTATION = 0x0112


def scene(width: int, height: int, seed: int = 1) -> Image.Image:
    """A small landscape: sky, sun and hills; compresses like a calm photo."""
    image = Image.new("RGB", (width, height))
    draw = ImageDraw.Draw(image)
    for y in range(height):
        t = y / height
        draw.line([(0, y), (width, y)], fill=(int(90 + 120 * t), int(150 + 60 * t),
                                               int(220 - 40 * t)))
    draw.ellipse([width * .7, height * .12, width * .82, height * .12 + width * .12],
                 fill=(255, 230, 160))
    for layer in range(3):
        base = height * (.55 + .12 * layer)
        points = [(0, height)] + [
            (x, base + ((x * 37 + seed * 101 + layer * 53) % 61 - 30)
             - 60 * abs(x / width * 2 - 1)) for x in range(0, width + 40, 40)] + \
            [(width, height)]
        draw.polygon(points, fill=(40 + 30 * layer, 90 + 25 * layer, 60 + 10 * layer))
    return image


def iptc_segment(caption: str, credit: str) -> bytes:
    """A JPEG APP13 segment with IPTC caption (2:120) and credit (2:110), in UTF-8."""
    def record(number: int, value: bytes) -> bytes:
        return b"\x1c" + bytes([2 if number != 90 else 1, number]) + \
            len(value).to_bytes(2, "big") + value

    data = record(90, b"\x1b%G") + record(120, caption.encode()) + \
        record(110, credit.encode())
    resource = b"8BIM\x04\x04\x00\x00" + len(data).to_bytes(4, "big") + data
    if len(data) % 2:
        resource += b"\x00"
    payload = b"Photoshop 3.0\x00" + resource
    return b"\xff\xed" + (len(payload) + 2).to_bytes(2, "big") + payload


def jpeg(width: int = 2000, height: int = 1200, *, orientation: int | None = None,
         gps: bool = False, caption: str = "", credit: str = "", seed: int = 1,
         quality: int = 70) -> bytes:
    """A JPEG photo with the metadata asked for."""
    image = scene(width, height, seed)
    exif = Image.Exif()
    exif[0x010F] = "Kamera AG"  # Make
    if orientation:
        exif[ORIENTATION] = orientation
    if gps:
        exif[GPS_IFD] = {1: "N", 2: (52.0, 31.0, 12.0), 3: "E", 4: (13.0, 24.0, 36.0)}
    options = {"exif": exif.tobytes(), "quality": quality}
    if caption or credit:
        options["extra"] = iptc_segment(caption, credit)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", **options)
    return buffer.getvalue()


def png(width: int = 1000, height: int = 700, *, gps: bool = False) -> bytes:
    image = scene(width, height, 2).convert("RGBA")
    options = {}
    if gps:
        exif = Image.Exif()
        exif[GPS_IFD] = {1: "N", 2: (52.0, 31.0, 12.0), 3: "E", 4: (13.0, 24.0, 36.0)}
        options["exif"] = exif.tobytes()
    buffer = io.BytesIO()
    image.save(buffer, "PNG", **options)
    return buffer.getvalue()


def webp(width: int = 800, height: int = 600, *, gps: bool = False) -> bytes:
    image = scene(width, height, 3)
    options = {"quality": 70}
    if gps:
        exif = Image.Exif()
        exif[GPS_IFD] = {1: "N", 2: (52.0, 31.0, 12.0), 3: "E", 4: (13.0, 24.0, 36.0)}
        options["exif"] = exif.tobytes()
    buffer = io.BytesIO()
    image.save(buffer, "WEBP", **options)
    return buffer.getvalue()
