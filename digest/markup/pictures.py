"""Responsive images as data and as HTML: the widths an image is written in, and the
<picture> markup that lets a browser pick one. Pure: the files are made in content/images.py.
"""

from __future__ import annotations

import html
import posixpath
import re
from dataclasses import dataclass
from urllib.parse import quote, unquote, urlsplit

IMG_TAG = re.compile(r"<img\b[^>]*>", re.I)
ATTRIBUTE = re.compile(r'([a-zA-Z_:][-a-zA-Z0-9_:.]*)="([^"]*)"')
BODY_SIZES = "(max-width: 45rem) 100vw, 45rem"
"""The width of an image in an article's text: the text column, at most about 65ch."""


@dataclass(frozen=True)
class Variant:
    """One file an image is written as, beside the original: its name and size."""

    name: str
    """The file name, in the original's folder: foto-480w.webp."""
    width: int
    height: int
    mime: str
    label: str
    """The file's name in the cache folder of its image: 480w.webp."""


@dataclass(frozen=True)
class Picture:
    """A local image as the build wrote it: orientation applied, metadata removed, in a few
    widths as WebP and in its own format, and cropped for search engines."""

    key: str
    """A hash of the file's bytes and of how images are made: the cache folder's name."""
    name: str
    """The original's file name."""
    width: int
    height: int
    mime: str
    variants: tuple[Variant, ...] = ()
    """Narrowest first; WebP and the original format at each width."""
    crops: tuple[Variant, ...] = ()
    """16:9, 4:3 and 1:1, for the JSON-LD of an article."""
    caption: str = ""
    """From the file's IPTC or XMP fields."""
    credit: str = ""

    def srcset(self, mime: str, folder: str = "") -> str:
        """The variants of one type as a srcset, their URLs relative to `folder`."""
        return ", ".join(f"{folder}{quote(v.name)} {v.width}w" for v in self.variants
                         if v.mime == mime)

    def largest(self, mime: str | None = None) -> Variant | None:
        """The widest variant of one type (the original's type when None)."""
        wanted = mime or self.mime
        found = [v for v in self.variants if v.mime == wanted]
        return found[-1] if found else None


def variant_name(name: str, label: str) -> str:
    """The output name of a variant: foto.jpg and '480w.webp' give foto-480w.webp."""
    stem = name.rsplit(".", 1)[0] if "." in name else name
    return f"{stem}-{label}"


def picture_html(picture: Picture, folder: str, alt: str, sizes: str, lazy: bool = True,
                 extra: str = "") -> str:
    """A <picture> with a WebP source and the original format as fallback.

    `folder` is the URL of the image's folder (ending in '/', or '' for relative URLs);
    the <img> names the original so that what the page uses is the file beside it.
    """
    webp = picture.srcset("image/webp", folder)
    own = picture.srcset(picture.mime, folder)
    attributes = [f'src="{html.escape(folder + quote(picture.name))}"']
    if own:
        attributes.append(f'srcset="{html.escape(own)}" sizes="{sizes}"')
    attributes.append(f'width="{picture.width}" height="{picture.height}"')
    attributes.append(f'alt="{html.escape(alt)}"')
    attributes.append('loading="lazy" decoding="async"' if lazy else 'fetchpriority="high"')
    if extra:
        attributes.append(extra)
    source = f'<source type="image/webp" srcset="{html.escape(webp)}" sizes="{sizes}">' \
        if webp and picture.mime != "image/webp" else ""
    return f"<picture>{source}<img {' '.join(attributes)}></picture>"


def local_target(src: str, folder: str) -> str | None:
    """The path inside content/ of an image a body names, or None for another site's."""
    parts = urlsplit(html.unescape(src))
    if parts.scheme or parts.netloc or not parts.path or parts.path.startswith("/"):
        return None
    return posixpath.normpath(posixpath.join(folder, unquote(parts.path)))


def body_images(body: str, folder: str) -> list[tuple[str, str]]:
    """(src as written, path inside content/) of each local image in a body."""
    found = []
    for tag in IMG_TAG.findall(body):
        src = dict(ATTRIBUTE.findall(tag)).get("src")
        target = local_target(src, folder) if src else None
        if target is not None:
            found.append((src, target))
    return found


def rewrite_body(body: str, folder: str, pictures: dict[str, Picture]) -> str:
    """A body whose local images (by their path inside content/) are responsive pictures."""

    def replace(match: re.Match[str]) -> str:
        attributes = dict(ATTRIBUTE.findall(match.group(0)))
        src = attributes.get("src")
        target = local_target(src, folder) if src else None
        picture = pictures.get(target) if target else None
        if picture is None:
            return match.group(0)
        image_folder = html.unescape(src).partition("?")[0].rpartition("/")[0]
        title = attributes.get("title")
        extra = f'title="{title}"' if title else ""
        return picture_html(picture, image_folder + "/" if image_folder else "",
                            html.unescape(attributes.get("alt", "")), BODY_SIZES, True, extra)

    return IMG_TAG.sub(replace, body)
