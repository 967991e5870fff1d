"""Images in content/: each written in a few widths as WebP and in its own format, with its
EXIF orientation applied and its metadata (EXIF, GPS, IPTC, XMP) left out.

What an image gives is memoized by a hash of its bytes in the cache folder
(`images/<key>/`), so a rebuild resizes nothing; the images that are new are made in the
build's worker processes. A file that is not a readable image is an error naming it.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import os
import posixpath
import shutil
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..config import Config
from ..errors import Problem, problem
from ..markup.pictures import Picture, Variant, rewrite_body, variant_name
from ..model import Article
from ..workers import Progress, run_parallel, stage_counter
from . import display_path
from .captions import caption_and_credit

FORMATS = {".jpg": ("JPEG", "image/jpeg"), ".jpeg": ("JPEG", "image/jpeg"),
           ".png": ("PNG", "image/png"), ".webp": ("WEBP", "image/webp")}
"""The images that are resized; others (SVG, GIF) are copied as they are."""
WIDTHS = (480, 960, 1600)
CROPS = (("16x9", 16, 9), ("4x3", 4, 3), ("1x1", 1, 1))
CROP_WIDTH = 1200
"""Google asks for images at least 1200 px wide for large previews."""
EXTENSIONS = {"JPEG": ".jpg", "PNG": ".png", "WEBP": ".webp"}
SAVE: dict[str, dict[str, Any]] = {
    "JPEG": {"quality": 80, "optimize": True, "progressive": True},
    "PNG": {"optimize": True},
    "WEBP": {"quality": 76, "method": 4},
}
MAX_PIXELS = 80_000_000


def is_image(rel_path: str) -> bool:
    return os.path.splitext(rel_path)[1].lower() in FORMATS


def image_salt() -> str:
    """How images are made: the modules that make them and Pillow's version. A change
    makes every image again."""
    import PIL

    here = Path(__file__).parent
    code = b"".join((here / name).read_bytes() for name in ("images.py", "captions.py"))
    return hashlib.sha1(code + PIL.__version__.encode()).hexdigest()


# ---- making the files ----------------------------------------------------------------------

def target_widths(width: int) -> list[int]:
    """The widths an image is written in: never wider than it is, and none that is
    nearly as wide as the next."""
    return [w for w in WIDTHS if w * 1.15 < min(width, WIDTHS[-1])] + [min(width, WIDTHS[-1])]


def normalised(image: Any) -> Any:
    """The image in RGB, RGBA or L, with no metadata left on it."""
    alpha = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
    if image.mode not in ("RGB", "RGBA", "L") or (alpha and image.mode != "RGBA"):
        image = image.convert("RGBA" if alpha else "RGB")
    image.info = {}  # no EXIF, XMP, IPTC or text chunks are carried over
    return image


def encoded(image: Any, fmt: str, icc: bytes | None) -> bytes:
    """The image's pixels in one format, with its colour profile and no other metadata."""
    if fmt == "JPEG" and image.mode == "RGBA":
        image = image.convert("RGB")
    buffer = io.BytesIO()
    options = dict(SAVE[fmt])
    if icc:
        options["icc_profile"] = icc
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def crop_box(width: int, height: int, wide: int, high: int) -> tuple[int, int, int, int]:
    """The largest centred box of the ratio wide:high."""
    if width * high > height * wide:
        box_w, box_h = height * wide // high, height
    else:
        box_w, box_h = width, width * high // wide
    left, top = (width - box_w) // 2, (height - box_h) // 2
    return left, top, left + box_w, top + box_h


@dataclass(frozen=True)
class ImageJob:
    path: Path
    rel_path: str
    display: str
    key: str


def make_image(folder: Path, job: ImageJob) -> tuple[str, dict[str, Any] | None, str]:
    """Write one image's files into its cache folder; (rel_path, meta, error message)."""
    from PIL import Image, ImageOps

    fmt, mime = FORMATS[os.path.splitext(job.rel_path)[1].lower()]
    files: dict[str, bytes] = {}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(job.path) as original:
                if original.width * original.height > MAX_PIXELS:
                    raise Image.DecompressionBombError("too many pixels")
                original.load()
                caption, credit = caption_and_credit(original)
                icc = original.info.get("icc_profile")
                image = normalised(ImageOps.exif_transpose(original))
        files["full"] = encoded(image, fmt, icc)
        variants = []
        for width in target_widths(image.width):
            height = max(1, round(image.height * width / image.width))
            resized = image if width == image.width else \
                image.resize((width, height), Image.Resampling.LANCZOS, reducing_gap=3.0)
            for kind, kind_mime in dict.fromkeys((("WEBP", "image/webp"), (fmt, mime))):
                if kind == fmt and width == image.width:
                    variants.append(["", width, height, mime])  # the original's own file
                    continue
                label = f"{width}w{EXTENSIONS[kind]}"
                files[label] = encoded(resized, kind, icc)
                variants.append([label, width, height, kind_mime])
        crops = []
        for name, wide, high in CROPS:
            box = crop_box(image.width, image.height, wide, high)
            width = min(CROP_WIDTH, box[2] - box[0])
            height = max(1, width * high // wide)
            label = f"{name}{EXTENSIONS[fmt]}"
            files[label] = encoded(image.resize((width, height), Image.Resampling.LANCZOS,
                                                box=box, reducing_gap=3.0), fmt, icc)
            crops.append([label, width, height, mime])
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError,
            Image.DecompressionBombWarning) as exc:
        return job.rel_path, None, reason(exc)
    meta = {"width": image.width, "height": image.height, "mime": mime, "variants": variants,
            "crops": crops, "caption": caption, "credit": credit}
    store(folder / job.key, files, meta)
    return job.rel_path, meta, ""


def reason(exc: Exception) -> str:
    text = str(exc)
    if "truncated" in text:
        return "the image file is cut short (truncated); save or export it again"
    if "cannot identify" in text:
        return "not an image this file name promises, or a broken one; save or export it again"
    if "pixels" in text:
        return f"the image has more than {MAX_PIXELS:,} pixels; make it smaller"
    return f"the image cannot be read ({text}); save or export it again"


def store(where: Path, files: dict[str, bytes], meta: dict[str, Any]) -> None:
    """Write an image's cache folder whole, or not at all (renamed into place)."""
    temporary = where.with_name(f"{where.name}.{os.getpid()}.tmp")
    shutil.rmtree(temporary, ignore_errors=True)
    temporary.mkdir(parents=True)
    for label, data in files.items():
        (temporary / label).write_bytes(data)
    (temporary / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
    shutil.rmtree(where, ignore_errors=True)
    os.replace(temporary, where)


def picture_of(key: str, name: str, meta: dict[str, Any]) -> Picture:
    def variant(label: str, width: int, height: int, mime: str) -> Variant:
        return Variant(variant_name(name, label) if label else name, width, height, mime, label)

    return Picture(key, name, meta["width"], meta["height"], meta["mime"],
                   tuple(variant(*v) for v in meta["variants"]),
                   tuple(variant(*c) for c in meta["crops"]), meta["caption"], meta["credit"])


class ImageStore:
    """The images of a site as made so far: a Picture per image file, by content hash."""

    def __init__(self, cache: Path) -> None:
        self.folder = cache / "images"
        self.index = cache / "image-keys.json"
        """Each image file's key by its size and time, for the next process."""
        self.salt = ""
        self.keys: dict[tuple[str, int, int], str] | None = None
        """Each file's key by (path, size, time): an unchanged file is not hashed again."""
        self.used: dict[tuple[str, int, int], str] = {}
        self.saved: dict[tuple[str, int, int], str] = {}
        """What the index file holds."""

    def known_keys(self) -> dict[tuple[str, int, int], str]:
        if self.keys is None:
            self.keys = {}
            try:
                data = json.loads(self.index.read_text(encoding="utf-8"))
                if data.get("salt") == self.salt:
                    self.keys = {(rel, size, mtime): key
                                 for rel, size, mtime, key in data["keys"]}
                    self.saved = dict(self.keys)
            except (OSError, ValueError, KeyError, TypeError, AttributeError):
                pass
        return self.keys

    def key_of(self, path: Path, rel_path: str) -> str:
        stat = path.stat()
        stamp = (rel_path, stat.st_size, stat.st_mtime_ns)
        keys = self.known_keys()
        key = keys.get(stamp)
        if key is None:
            digest = hashlib.sha1(self.salt.encode())
            digest.update(path.read_bytes())
            key = keys[stamp] = digest.hexdigest()
        self.used[stamp] = key
        return key

    def save_keys(self) -> None:
        """Keep the keys of this build's files (only those) for the next process."""
        self.keys, self.used = self.used, {}
        if self.keys == self.saved:
            return
        self.saved = dict(self.keys)
        self.index.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.index.with_name(f"{self.index.name}.{os.getpid()}.tmp")
        temporary.write_text(json.dumps({"salt": self.salt, "keys": [
            [*stamp, key] for stamp, key in sorted(self.keys.items())]}), encoding="utf-8")
        os.replace(temporary, self.index)

    def load(self, key: str, name: str) -> Picture | None:
        try:
            meta = json.loads((self.folder / key / "meta.json").read_text(encoding="utf-8"))
            return picture_of(key, name, meta)
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def prune(self, used: set[str]) -> None:
        """Remove what no image of the site gives any more."""
        try:
            names = os.listdir(self.folder)
        except OSError:
            return
        for name in names:
            if name not in used:
                shutil.rmtree(self.folder / name, ignore_errors=True)


def make_pictures(display_prefix: str, assets: Sequence[Any], store: ImageStore, jobs: int,
                  progress: Progress | None = None
                  ) -> tuple[dict[str, Picture], list[Problem]]:
    """A Picture for each resizable image in content/, made where the cache has none."""
    if not store.salt:
        store.salt = image_salt()
    pictures: dict[str, Picture] = {}
    todo: list[ImageJob] = []
    problems: list[Problem] = []
    for asset in assets:
        if not is_image(asset.rel_path):
            continue
        display = display_prefix + asset.rel_path
        try:
            key = store.key_of(asset.path, asset.rel_path)
        except OSError as exc:
            problems.append(problem(display, f"cannot read the image: {exc.strerror}"))
            continue
        name = asset.rel_path.rpartition("/")[2]
        found = store.load(key, name)
        if found is not None:
            pictures[asset.rel_path] = found
        else:
            todo.append(ImageJob(asset.path, asset.rel_path, display, key))
    if todo:
        store.folder.mkdir(parents=True, exist_ok=True)
        made = run_parallel(make_image, todo, jobs, setup=lambda: store.folder, minimum=2,
                            progress=stage_counter(progress, "resizing images", len(todo)))
        for job, (rel_path, meta, error) in zip(todo, made, strict=True):
            if meta is None:
                problems.append(problem(job.display, error))
            else:
                pictures[rel_path] = picture_of(job.key, rel_path.rpartition("/")[2], meta)
    store.prune({p.key for p in pictures.values()})
    if store.used or store.index.exists():
        store.save_keys()
    return pictures, problems


# ---- articles with their pictures ------------------------------------------------------------

def dressed(article: Article, front: Picture | None, body: dict[str, Picture],
            what: tuple[Any, ...]) -> Article:
    """An article with its image's Picture, its body's images responsive, and its caption
    and credit defaulting to the image file's."""
    folder = article.rel_path.rpartition("/")[0]
    html = article.body_html
    if body:
        html = rewrite_body(article.html.decode("utf-8"), folder, body).encode("utf-8")
    caption, credit = article.image_caption, article.image_credit
    if front is not None:
        caption = front.caption if caption is None else caption
        credit = front.credit if credit is None else credit
    fingerprint = hashlib.sha1(f"{article.fingerprint}\0{what!r}".encode()).hexdigest()
    return dataclasses.replace(article, picture=front, body_html=html, image_caption=caption,
                               image_credit=credit, fingerprint=fingerprint)


class SiteImages:
    """What a process keeps of a site's images between builds: the store, and each
    dressed article, so that an article whose images did not change stays the same object
    (the warm rebuilds of digest serve compare articles by identity)."""

    def __init__(self) -> None:
        self.store: ImageStore | None = None
        self.last: dict[int, tuple[Article, tuple[Any, ...] | None, Article]] = {}
        self.last_pictures: dict[str, Picture] | None = None

    def folder(self, config: Config) -> Path:
        """Where the images' files wait in the cache folder."""
        return config.cache_path / "images"

    def prepare(self, config: Config, assets: Sequence[Any], articles: list[Article],
                jobs: int, progress: Progress | None = None
                ) -> tuple[list[Article], dict[str, Picture], list[Problem]]:
        """Make the site's pictures and give each article its own."""
        if self.store is None or self.store.folder != self.folder(config):
            self.store = ImageStore(config.cache_path)
        prefix = display_path(config, config.content_path).rstrip("/") + "/"
        pictures, problems = make_pictures(prefix, assets, self.store, jobs, progress)
        out: list[Article] = []
        seen: dict[int, tuple[Article, tuple[Any, ...] | None, Article]] = {}
        same = pictures == self.last_pictures  # then an article seen before is done
        for article in articles:
            known = self.last.get(id(article)) if same else None
            if known is not None and known[0] is article:
                seen[id(article)] = known
                out.append(known[2])
                continue
            folder = article.rel_path.rpartition("/")[0]
            front = None
            if article.image and "://" not in article.image:
                front = pictures.get(posixpath.normpath(posixpath.join(folder, article.image)))
            body: dict[str, Picture] = {}
            if article.body_images:
                body = {target: pictures[target] for target in article.body_images
                        if target in pictures}
            if front is None and not body:
                seen[id(article)] = (article, None, article)
                out.append(article)
                continue
            what = (front, tuple(sorted(body.items())))
            known = self.last.get(id(article))
            if known is not None and known[0] is article and known[1] == what:
                result = known[2]
            else:
                result = dressed(article, front, body, what)
            seen[id(article)] = (article, what, result)
            out.append(result)
        self.last, self.last_pictures = seen, pictures
        return out, pictures, problems
