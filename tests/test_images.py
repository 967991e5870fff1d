"""Images: written in a few widths as WebP and in their own format, orientation applied, no
metadata left, memoized; thumbnails, the lead story, captions and credits."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from PIL import Image

from .conftest import build_site, run_digest
from .imagefiles import GPS_IFD, jpeg, png, webp
from .test_html_valid import vnu  # noqa: F401, F811 - the Nu HTML Checker fixture

DAY = "content/politik/2025-06-03"


def article(title: str, time: str, extra: str = "", body: str = "Text.") -> str:
    return f"---\ntitle: {title}\ndate: 2025-06-03T{time}:00+02:00\n{extra}---\n{body}\n"


@pytest.fixture(scope="module")
def photo_site(tmp_path_factory) -> Path:
    """A site with a JPEG turned by EXIF, one with GPS data, one with IPTC caption and credit,
    a PNG and a WebP in an article's text."""
    from .conftest import write_site

    root = tmp_path_factory.mktemp("photos") / "site"
    write_site(root, {
        f"{DAY}-gedreht.md": article("Gedreht", "08:00", "image: hoch.jpg\nimage_alt: Hoch\n"),
        "content/politik/hoch.jpg": jpeg(1200, 800, orientation=6, gps=True),
        f"{DAY}-agentur.md": article("Agenturfoto", "09:00", "image: dpa.jpg\n"
                                     "image_alt: Ein Foto\n"),
        "content/politik/dpa.jpg": jpeg(2400, 1500, caption="Der Kanzler im Bundestag.",
                                        credit="dpa/Kay Nietfeld", gps=True),
        f"{DAY}-gewaehlt.md": article("Gewählt", "07:00", "image: wahl.jpg\nimage_alt: Wahl\n"
                                      "image_caption: Eigene Unterzeile <b>\n"
                                      "image_credit: Redaktion\nfeatured: true\n"),
        "content/politik/wahl.jpg": jpeg(1000, 700, seed=5),
        f"{DAY}-text.md": article("Mit Bildern im Text", "06:00", body=(
            "Vorher.\n\n![Eine Grafik](grafik.png)\n\n![Ein WebP](bilder/karte.webp)\n\n"
            "![Fremd](https://example.org/x.jpg)\n")),
        "content/politik/grafik.png": png(1000, 700, gps=True),
        "content/politik/bilder/karte.webp": webp(800, 600, gps=True),
        f"{DAY}-ohne.md": article("Ohne Bild", "10:00"),
    })
    build_site(root)
    return root


def page(root: Path, slug: str) -> str:
    return (root / f"output/2025/06/03/{slug}/index.html").read_text(encoding="utf-8")


def test_variants_exist_in_the_right_widths_and_srcset_lists_them(photo_site: Path) -> None:
    folder = photo_site / "output/2025/06/03/agenturfoto"
    for width in (480, 960, 1600):
        for suffix in ("webp", "jpg"):
            with Image.open(folder / f"dpa-{width}w.{suffix}") as image:
                assert image.width == width and image.height == round(1500 * width / 2400)
                assert image.format == {"webp": "WEBP", "jpg": "JPEG"}[suffix]
    html = page(photo_site, "agenturfoto")
    figure = re.search(r'<figure class="article-image">.*?</figure>', html, re.S).group(0)
    base = "/2025/06/03/agenturfoto/"
    assert (f'srcset="{base}dpa-480w.webp 480w, {base}dpa-960w.webp 960w, '
            f'{base}dpa-1600w.webp 1600w"') in figure
    assert f"{base}dpa-1600w.jpg 1600w" in figure
    assert 'width="2400" height="1500"' in figure and 'loading="lazy"' not in figure


def test_no_image_is_made_wider_than_it_is(photo_site: Path) -> None:
    folder = photo_site / "output/2025/06/03/gewaehlt"
    assert sorted(p.name for p in folder.glob("wahl*")) == sorted([
        "wahl.jpg", "wahl-480w.jpg", "wahl-480w.webp", "wahl-1000w.webp", "wahl-16x9.jpg", "wahl-4x3.jpg", "wahl-1x1.jpg"])
    html = page(photo_site, "gewaehlt")
    assert "wahl.jpg 1000w" in html and "wahl-1000w.webp 1000w" in html


def test_exif_orientation_is_applied(photo_site: Path) -> None:
    folder = photo_site / "output/2025/06/03/gedreht"
    for path in folder.glob("hoch*"):
        with Image.open(path) as image:
            if "x" not in path.stem.rpartition("-")[2]:  # the crops have their own ratio
                assert image.height > image.width, path.name
            assert image.getexif().get(0x0112) is None
    assert 'width="800" height="1200"' in page(photo_site, "gedreht")


def test_gps_and_exif_are_gone_from_every_output_image(photo_site: Path) -> None:
    images = [p for p in (photo_site / "output").rglob("*")
              if p.suffix in (".jpg", ".png", ".webp")]
    assert len(images) > 30
    for path in images:
        data = path.read_bytes()
        assert b"Exif" not in data and b"Kamera AG" not in data, path
        assert b"Photoshop 3.0" not in data and b"dpa/Kay" not in data, path
        with Image.open(path) as image:
            exif = image.getexif()
            assert not exif.get_ifd(GPS_IFD) and GPS_IFD not in exif and not len(exif), path


def test_caption_and_credit_from_iptc_and_from_front_matter(photo_site: Path) -> None:
    html = page(photo_site, "agenturfoto")
    assert '<span class="caption">Der Kanzler im Bundestag.</span>' in html
    assert '<span class="credit">Foto: dpa/Kay Nietfeld</span>' in html
    data = json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', html,
                                re.S).group(1))
    assert {i["caption"] for i in data["image"]} == {"Der Kanzler im Bundestag."}
    assert {i["creditText"] for i in data["image"]} == {"dpa/Kay Nietfeld"}
    assert {(i["width"], i["height"]) for i in data["image"]} == {
        (1200, 675), (1200, 900), (1200, 1200)}
    assert re.search(r'og:image" content="https://example.org/2025/06/03/agenturfoto/'
                     r'dpa-1600w.jpg"', html)
    assert '<meta name="robots" content="max-image-preview:large">' in html
    own = page(photo_site, "gewaehlt")
    assert "Eigene Unterzeile &lt;b&gt;" in own and "Foto: Redaktion" in own


def test_images_in_the_text_are_responsive(photo_site: Path) -> None:
    html = page(photo_site, "mit-bildern-im-text")
    assert 'srcset="grafik-480w.webp 480w, grafik-1000w.webp 1000w"' in html
    assert 'src="grafik.png" srcset="grafik-480w.png 480w, grafik.png 1000w"' in html
    assert 'srcset="bilder/karte-480w.webp 480w, bilder/karte.webp 800w"' in html
    assert 'alt="Eine Grafik"' in html and 'loading="lazy"' in html
    assert '<img alt="Fremd" src="https://example.org/x.jpg">' in html
    folder = photo_site / "output/2025/06/03/mit-bildern-im-text"
    assert (folder / "bilder/karte-480w.webp").is_file() and (folder / "grafik.png").is_file()


def test_teasers_carry_thumbnails_and_the_lead_is_the_featured_story(photo_site: Path) -> None:
    front = (photo_site / "output/index.html").read_text(encoding="utf-8")
    lead = re.search(r'<article class="lead-story has-image">.*?</article>', front, re.S)
    assert lead and "Gewählt" in lead.group(0) and 'fetchpriority="high"' in lead.group(0)
    assert 'loading="lazy"' not in lead.group(0)
    assert front.count("Gewählt</a>") == 1  # the lead is not listed again below
    teasers = re.findall(r'<article class="teaser has-image">.*?</article>', front, re.S)
    assert len(teasers) == 2 and all('loading="lazy"' in t for t in teasers)
    assert "/2025/06/03/agenturfoto/dpa-480w.webp 480w" in front
    for listing in ("2025/06/03/index.html", "topics/politik/index.html"):
        text = (photo_site / "output" / listing).read_text(encoding="utf-8")
        assert text.count('class="teaser has-image"') == 3, listing
        assert '<article class="teaser">' in text  # the article without an image


def test_without_featured_the_newest_with_an_image_leads(site) -> None:
    root = site({f"{DAY}-a.md": article("Neueste", "12:00"),
                 f"{DAY}-b.md": article("Mit Bild", "11:00", "image: b.jpg\nimage_alt: B\n"),
                 "content/politik/b.jpg": jpeg(600, 400)})
    build_site(root)
    front = (root / "output/index.html").read_text(encoding="utf-8")
    lead = re.search(r'<article class="lead-story.*?</article>', front, re.S).group(0)
    assert "Mit Bild" in lead and "Neueste" not in lead


def test_a_second_build_resizes_nothing(photo_site: Path) -> None:
    cache = photo_site / ".digest-cache/images"
    files = [p for p in (*cache.rglob("*"), *(photo_site / "output").rglob("*"))
             if p.is_file()]
    stamps = {p: p.stat().st_mtime_ns for p in files}
    (photo_site / f"{DAY}-ohne.md").write_text(article("Ohne Bild, neu", "10:00"),
                                               encoding="utf-8")
    _, report = build_site(photo_site)  # a real build, not the no-op answer
    assert report.written > 0
    assert {p: p.stat().st_mtime_ns for p in files if p.suffix != ".html"
            and p.name not in ("feed.xml", "sitemap.xml") and "pagefind" not in p.parts} == \
        {p: t for p, t in stamps.items() if p.suffix != ".html"
         and p.name not in ("feed.xml", "sitemap.xml") and "pagefind" not in p.parts}


def test_a_changed_image_is_made_again_and_its_old_files_go(site) -> None:
    root = site({f"{DAY}-a.md": article("A", "12:00", "image: a.jpg\nimage_alt: A\n"),
                 "content/politik/a.jpg": jpeg(1000, 600)})
    build_site(root)
    (root / "content/politik/a.jpg").write_bytes(jpeg(700, 600))
    build_site(root)
    folder = root / "output/2025/06/03/a"
    assert not (folder / "a-960w.webp").exists() and (folder / "a-480w.webp").is_file()
    assert 'width="700" height="600"' in (folder / "index.html").read_text(encoding="utf-8")
    assert len(list((root / ".digest-cache/images").iterdir())) == 1


@pytest.mark.parametrize("data, says", [
    (jpeg(800, 600)[:3000], "truncated"),
    (b"<html>not a photo</html>", "not an image"),
])
def test_a_broken_image_is_an_error_with_its_path(site, data: bytes, says: str) -> None:
    root = site({f"{DAY}-a.md": article("A", "12:00", "image: kaputt.jpg\nimage_alt: A\n"),
                 "content/politik/kaputt.jpg": data})
    result = run_digest("build", cwd=root)
    assert result.returncode == 1, result.stderr
    assert "content/politik/kaputt.jpg: error:" in result.stderr and says in result.stderr
    assert "Traceback" not in result.stderr
    assert not (root / "output").exists()
    skipped = run_digest("build", "--skip-invalid", cwd=root)
    assert skipped.returncode == 0, skipped.stderr
    assert not (root / "output/2025/06/03/a/kaputt.jpg").exists()


def test_svg_passes_through_unchanged(site) -> None:
    svg = b"<svg xmlns='http://www.w3.org/2000/svg' width='10' height='10'/>"
    root = site({f"{DAY}-a.md": article("A", "12:00", "image: logo.svg\nimage_alt: Logo\n"),
                 "content/politik/logo.svg": svg})
    build_site(root)
    assert (root / "output/2025/06/03/a/logo.svg").read_bytes() == svg
    assert '<img src="/2025/06/03/a/logo.svg" alt="Logo"' in \
        (root / "output/index.html").read_text(encoding="utf-8")


def test_pages_with_images_are_valid_html(photo_site: Path, vnu: list[str]) -> None:  # noqa: F811
    import subprocess

    pages = [str(photo_site / "output" / rel) for rel in (
        "index.html", "2025/06/03/index.html", "2025/06/03/agenturfoto/index.html",
        "2025/06/03/mit-bildern-im-text/index.html", "topics/politik/index.html")]
    result = subprocess.run([*vnu, "--errors-only", "--format", "json", *pages],
                            capture_output=True, text=True, timeout=300)
    messages = json.loads(result.stderr or result.stdout or '{"messages": []}')["messages"]
    assert [m for m in messages if m.get("type") in ("error", "non-document-error")] == []


def test_caption_and_credit_from_xmp_and_an_image_in_a_sub_folder(site) -> None:
    import io

    from .imagefiles import scene

    xmp = ('<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/'
           '02/22-rdf-syntax-ns#"><rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/"'
           ' xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/" photoshop:Credit="Reuters">'
           '<dc:description><rdf:Alt><rdf:li xml:lang="x-default">Hafen in Hamburg &amp; '
           'Elbe</rdf:li></rdf:Alt></dc:description></rdf:Description></rdf:RDF></x:xmpmeta>')
    buffer = io.BytesIO()
    scene(900, 600).save(buffer, "JPEG", xmp=xmp.encode())
    root = site({f"{DAY}-a.md": article("A", "12:00", "image: fotos/hafen.jpg\n"
                                        "image_alt: Hafen\n"),
                 "content/politik/fotos/hafen.jpg": buffer.getvalue()})
    build_site(root)
    folder = root / "output/2025/06/03/a"
    html = (folder / "index.html").read_text(encoding="utf-8")
    assert '<span class="caption">Hafen in Hamburg &amp; Elbe</span>' in html
    assert "Foto: Reuters" in html
    assert "/2025/06/03/a/fotos/hafen-480w.webp 480w" in html
    assert b"Reuters" not in (folder / "fotos/hafen.jpg").read_bytes()


def test_two_images_that_would_share_a_file_name_are_an_error(site) -> None:
    root = site({f"{DAY}-a.md": article("A", "12:00", "image: foto.jpg\nimage_alt: A\n",
                                        body="![B](foto.png)"),
                 "content/politik/foto.jpg": jpeg(700, 500),
                 "content/politik/foto.png": png(700, 500)})
    result = run_digest("build", cwd=root)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "content/politik/foto.png: error: the build writes this image as " \
           "foto-480w.webp, the name of content/politik/foto.jpg" in result.stderr


def test_a_new_process_does_not_read_unchanged_images_again(photo_site: Path) -> None:
    from digest.content.images import ImageStore, image_salt

    store = ImageStore(photo_site / ".digest-cache")
    store.salt = image_salt()
    assert len(store.known_keys()) == 5  # the five images, by path, size and time
    path = photo_site / "content/politik/wahl.jpg"
    stat = path.stat()
    assert store.known_keys()[("politik/wahl.jpg", stat.st_size, stat.st_mtime_ns)] == \
        store.key_of(path, "politik/wahl.jpg")


def test_a_wrong_featured_value_is_an_error_at_its_line(site) -> None:
    root = site({f"{DAY}-a.md": article("A", "12:00", "featured: vielleicht\n")})
    result = run_digest("build", cwd=root)
    assert result.returncode == 1
    assert f"{DAY}-a.md:4:" in result.stderr and "'featured'" in result.stderr
