"""Images in views and in the plan: what a template needs to show an article's image, and
the files an image is written as, beside each copy of it."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from markupsafe import Markup, escape

from ..content import Asset
from ..errors import DigestError, problem
from ..markup.pictures import Picture, picture_html

if TYPE_CHECKING:
    from . import Plan

TEASER_SIZES = "(max-width: 48rem) 7rem, 8rem"
LEAD_SIZES = "(min-width: 72rem) 41rem, (min-width: 48rem) 57vw, 100vw"
ARTICLE_SIZES = "(max-width: 45rem) 100vw, 45rem"


def image_view(folder: str, absolute_folder: str, image: str, alt: str,
               picture: Picture | None) -> dict[str, Any]:
    """An image as templates show it: `folder` is the URL of the article's folder, the
    image lies at `image` under it (or is a URL of another site)."""
    if "://" in image:
        return {"src": image, "alt": alt, "absolute": image, "picture": None, "crops": []}
    sub = image.rpartition("/")[0]
    here = folder + (quote(sub) + "/" if sub else "")
    there = absolute_folder + (quote(sub) + "/" if sub else "")
    view: dict[str, Any] = {"src": folder + quote(image), "alt": alt,
                            "absolute": absolute_folder + quote(image), "picture": None,
                            "crops": []}
    if picture is None:
        return view
    largest = picture.largest()
    view.update(
        width=picture.width, height=picture.height, folder=here, picture=picture,
        absolute=there + quote(largest.name) if largest else view["absolute"],
        absolute_width=largest.width if largest else picture.width,
        absolute_height=largest.height if largest else picture.height,
        crops=[{"url": there + quote(c.name), "width": c.width, "height": c.height}
               for c in picture.crops])
    return view


def picture_markup(view: dict[str, Any], sizes: str, lazy: bool = True) -> Markup:
    """The <picture> for an image view, or a plain <img> for an image that is not resized."""
    picture = view.get("picture")
    if picture is not None:
        return Markup(picture_html(picture, view["folder"], view["alt"], sizes, lazy))
    loading = ' loading="lazy" decoding="async"' if lazy else ""
    return Markup(f'<img src="{escape(view["src"])}" alt="{escape(view["alt"])}"{loading}>')


def with_images(plan: Plan, assets: Sequence[Asset], pictures: dict[str, Picture],
                folder: Path, prefix: str = "content/") -> Plan:
    """The plan with every copy of a resized image taken from its cleaned file (no
    metadata, orientation applied), and its variants beside it.

    An image the build could not read (skipped with --skip-invalid) is not copied at all:
    its metadata may hold where it was taken. `prefix`: the content folder as messages name
    it. A variant that would take the name of another file is an error naming both.
    """
    from . import Copy

    if not pictures and not any(is_resizable(a.rel_path) for a in assets):
        return plan
    by_source = {a.path: a.rel_path for a in assets}
    copies: list[Copy] = []
    taken = {copy.path: by_source.get(copy.source, "") for copy in plan.copies}
    problems = []
    for copy in plan.copies:
        rel = by_source.get(copy.source)
        if rel is None or not is_resizable(rel):
            copies.append(copy)
            continue
        picture = pictures.get(rel)
        if picture is None:
            continue
        where = folder / picture.key
        base = copy.path.rpartition("/")[0]
        base = base + "/" if base else ""
        copies.append(Copy(copy.path, where / "full"))
        for variant in (*picture.variants, *picture.crops):
            if not variant.label:
                continue
            path = base + variant.name
            other = taken.setdefault(path, rel)
            if other != rel:
                problems.append(problem(prefix + rel, f"the build writes this image as "
                                        f"{variant.name}, the name of {prefix}{other} beside "
                                        "it; rename one of them"))
            copies.append(Copy(path, where / variant.label))
    if problems:
        raise DigestError(list(dict.fromkeys(problems)))
    return dataclasses.replace(plan, copies=tuple(copies))


def is_resizable(rel_path: str) -> bool:
    from ..content.images import is_image

    return is_image(rel_path)
