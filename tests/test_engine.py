"""The build's bookkeeping, tested the way sites are used: moved, copied, restored from a CI
cache, built twice at once, killed in the middle of a commit, given files it must skip."""

from __future__ import annotations

import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from digest.commit import OutputLock, output_state
from digest.config import load_config
from digest.errors import DigestError

from .conftest import build_site, run_digest, write_site
from .test_serve import serving

CONFIG = "title: Eins\nbase_url: https://e.org/sub/\nper_page: 2\nsearch: false\n"


def article(title: str, day: str, body: str = "Text.", slug: str | None = None) -> str:
    extra = f"slug: {slug}\n" if slug else ""
    return f"---\ntitle: {title}\ndate: {day}\ntags: [Bahn]\n{extra}---\n{body}\n"


def small_site(root: Path) -> Path:
    return write_site(root, {
        "config.yaml": CONFIG,
        "content/politik/a.md": article("Außenminister reist", "2025-06-01T09:00:00+02:00"),
        "content/politik/b.md": article("Bahn streikt", "2025-06-02T10:00:00+02:00"),
        "content/sport/c.md": article("Neue Brücke", "2025-06-03T12:00:00+02:00"),
        "content/sport/bild.svg": "<svg xmlns='http://www.w3.org/2000/svg'/>",
        "static/extra.txt": "statisch",
    })


def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def edit_sources(root: Path) -> None:
    """Delete one article, retitle another (its URL moves), edit a third."""
    (root / "content/politik/a.md").unlink()
    write_site(root, {"content/politik/b.md": article("Bahn streikt wieder",
                                                      "2025-06-02T10:00:00+02:00")})
    write_site(root, {"content/sport/c.md": article("Neue Brücke", "2025-06-03T12:00:00+02:00",
                                                    "Anderer Text.")})


def cold_tree(root: Path, scratch: Path) -> dict[str, bytes]:
    """The output a cold build of the same sources gives, in another folder."""
    cold = scratch / "cold"
    shutil.copytree(root, cold, ignore=shutil.ignore_patterns("output", ".digest-cache"))
    build_site(cold)
    return tree(cold / "output")


@pytest.mark.parametrize("how", ["move", "copy", "cache-restore", "output-and-cache-elsewhere"])
def test_a_moved_copied_or_restored_site_rebuilds_to_the_cold_build(tmp_path: Path,
                                                                    how: str) -> None:
    first = small_site(tmp_path / "site")
    build_site(first)
    (first / "output/mine.txt").write_text("kept", encoding="utf-8")  # not the build's
    if how == "move":
        root = tmp_path / "moved"
        first.rename(root)
    elif how == "copy":
        root = tmp_path / "copied"
        shutil.copytree(first, root, symlinks=True)  # as cp -a: times kept
    else:
        # a fresh clone on another machine (new file times), then the CI cache restored
        root = tmp_path / "clone"
        shutil.copytree(first, root, ignore=shutil.ignore_patterns("output", ".digest-cache"),
                        copy_function=shutil.copyfile)
        for name in ("output", ".digest-cache"):
            shutil.copytree(first / name, root / name)
        if how == "output-and-cache-elsewhere":
            shutil.rmtree(first)
    edit_sources(root)
    _, report = build_site(root)
    assert report.removed > 0
    built = tree(root / "output")
    assert built.pop("mine.txt") == b"kept"
    assert built == cold_tree(root, tmp_path)
    assert not (root / "output/2025/06/01").exists()


def test_a_new_skipped_file_is_warned_about_on_the_next_build(tmp_path: Path) -> None:
    root = small_site(tmp_path / "site")
    build_site(root)
    write_site(root, {"content/politik/leer.md": b"", "content/politik/.versteckt.md": "x",
                      "content/politik/binär.md": b"\x00\x01\x02"})
    _, report = build_site(root)
    messages = {(p.path, p.message.split(":")[0]) for p in report.warnings}
    assert ("content/politik/leer.md", "skipped") in messages
    assert ("content/politik/.versteckt.md", "skipped") in messages
    assert ("content/politik/binär.md", "skipped") in messages
    _, again = build_site(root)  # the no-op answer names them as well
    assert again.written == 0 and set(again.warnings) == set(report.warnings)
    (root / "content/politik/leer.md").unlink()
    _, fewer = build_site(root)
    assert not any(p.path == "content/politik/leer.md" for p in fewer.warnings)


def test_a_write_error_in_the_middle_of_the_commit_leaves_the_old_output(tmp_path: Path
                                                                         ) -> None:
    root = small_site(tmp_path / "site")
    build_site(root)
    # a file stands where the new tag's folder must go: the commit fails late, after the
    # front page and the articles were moved in
    (root / "output/tags/zzz").write_text("im Weg", encoding="utf-8")
    before = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in (root / "output").rglob("*")
              if p.is_file()}
    write_site(root, {"config.yaml": CONFIG.replace("Eins", "Zwei"),
                      "content/sport/d.md": "---\ntitle: Neu\ndate: 2025-06-04\ntags: [zzz]\n"
                                            "---\nNeu.\n"})
    with pytest.raises(DigestError) as failure:
        build_site(root)
    assert "cannot write the site" in str(failure.value)
    after = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in (root / "output").rglob("*")
             if p.is_file()}
    assert after == before
    assert not list((root / ".digest-cache").glob("commit-*"))
    (root / "output/tags/zzz").unlink()
    build_site(root)
    assert "Zwei" in (root / "output/index.html").read_text(encoding="utf-8")


def children_of(pid: int) -> set[int]:
    """Every living process whose parent is `pid`, from /proc."""
    found = set()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="utf-8") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid and fields[0] != "Z":
            found.add(int(entry))
    return found


def alive(pids: set[int]) -> set[int]:
    living = set()
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat", encoding="utf-8") as handle:
                if handle.read().rsplit(")", 1)[1].split()[0] != "Z":
                    living.add(pid)
        except OSError:
            pass
    return living


def big_site(root: Path, count: int, title: str = "Eins") -> Path:
    files = {"config.yaml": CONFIG.replace("Eins", title)}
    for i in range(count):
        files[f"content/t{i % 5}/2025-06-{i % 28 + 1:02d}-artikel-{i}.md"] = (
            f"---\ntitle: Artikel Nummer {i}\ntags: [tag{i % 9}, Straße]\n---\n"
            f"Absatz {i} mit *Text* über Städte.\n\n## Teil\n\nMehr Text {i}.\n")
    return write_site(root, files)


def test_workers_die_with_a_killed_build(tmp_path: Path) -> None:
    root = big_site(tmp_path / "site", 600)
    process = subprocess.Popen([sys.executable, "-m", "digest", "build", "--jobs", "2"],
                               cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    workers: set[int] = set()
    while time.monotonic() < deadline and process.poll() is None:
        workers = children_of(process.pid)
        if len(workers) >= 2:
            break
        time.sleep(0.01)
    assert len(workers) >= 2, "the build never started its workers"
    process.kill()
    process.wait(timeout=10)
    deadline = time.monotonic() + 10
    while alive(workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not alive(workers)


def test_serve_builds_a_big_site_with_workers_and_all_die_when_serve_is_killed(
        tmp_path: Path) -> None:
    """Big enough that the build process starts worker processes: it may, and they die with
    it, and it with the server."""
    root = big_site(tmp_path / "site", 600)
    with serving(root, "--port", "0") as served:
        assert not any("bug in digest" in line for line in served.seen)
        assert (root / "output/index.html").is_file()
        builders = children_of(served.process.pid)
        assert builders, "serve builds in a process of its own"
        write_site(root, {"config.yaml": CONFIG.replace("Eins", "Zwei")})  # every page again
        workers: set[int] = set()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not workers:
            workers = {w for b in builders for w in children_of(b)}
            time.sleep(0.005)
        assert workers, "the rebuild of every page ran no workers"
        served.process.send_signal(signal.SIGKILL)
        served.process.wait(timeout=10)
        deadline = time.monotonic() + 10
        while alive(builders | workers) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not alive(builders | workers)


def test_serve_and_its_build_process_die_when_serve_is_killed(tmp_path: Path) -> None:
    root = small_site(tmp_path / "site")
    with serving(root) as served:
        builders = children_of(served.process.pid)
        assert builders, "serve builds in a process of its own"
        served.process.send_signal(signal.SIGKILL)
        served.process.wait(timeout=10)
        deadline = time.monotonic() + 10
        while alive(builders) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not alive(builders)


def test_sigkill_during_the_commit_is_finished_or_rolled_back(tmp_path: Path) -> None:
    """At least 20 kills at random moments of the commit; the next command leaves the old
    site or the new one, byte for byte, never a mix, and no leftover folder."""
    root = big_site(tmp_path / "site", 250)
    build_site(root)
    old = tree(root / "output")
    saved = tmp_path / "saved"
    for name in ("output", ".digest-cache"):
        shutil.copytree(root / name, saved / name, symlinks=True)
    write_site(root, {"config.yaml": CONFIG.replace("Eins", "Zwei")})
    new = cold_tree(root, tmp_path)
    assert new != old
    state = output_state(root, root / "output", root / ".digest-cache")
    journal = state.journal
    kills = outcomes = 0
    random_delay = random.Random(11)
    started = time.monotonic()
    while kills < 20 and time.monotonic() - started < 240:
        for name in ("output", ".digest-cache"):
            shutil.rmtree(root / name, ignore_errors=True)
            shutil.copytree(saved / name, root / name, symlinks=True)
        process = subprocess.Popen([sys.executable, "-m", "digest", "build", "--jobs", "1"],
                                   cwd=root, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
        while process.poll() is None and not journal.exists():
            time.sleep(0.0005)
        if process.poll() is None:
            time.sleep(random_delay.uniform(0, 0.03))
            process.kill()
            kills += process.wait() == -signal.SIGKILL
        else:
            process.wait()
        # the next command, whichever it is, settles the commit before anything else
        run_digest("new", "Nur ein Test", "--topic", "t0", cwd=root, check=True)
        for created in (root / "content/t0").glob("*nur-ein-test*"):
            created.unlink()
        got = tree(root / "output")
        assert got in (old, new), "a mix of the old and the new site"
        outcomes += 1
        assert not journal.exists() and not state.work.exists()
        assert not [p for p in root.iterdir() if p.name.startswith(".output")]
    assert kills >= 20, f"only {kills} kills landed in the commit"
    assert outcomes >= 20


def test_a_second_build_waits_for_the_first(tmp_path: Path) -> None:
    """A build that must wait says so, and reads the sources only once it may write."""
    root = small_site(tmp_path / "site")
    build_site(root)
    config = load_config(root / "config.yaml")
    lock = OutputLock(output_state(config.root, config.output_path, config.cache_path))
    assert lock.acquire(block=False)
    try:
        process = subprocess.Popen([sys.executable, "-m", "digest", "build"], cwd=root,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(1.5)
        assert process.poll() is None, "the second build did not wait"
        write_site(root, {"content/politik/b.md": article("Erst danach",
                                                          "2025-06-02T10:00:00+02:00")})
    finally:
        lock.release()
    out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    assert "waiting for another digest build" in err
    assert "Erst danach" in (root / "output/index.html").read_text(encoding="utf-8")


def test_serve_builds_again_after_a_build_by_another_process(tmp_path: Path) -> None:
    root = small_site(tmp_path / "site")
    write_site(root, {"config.yaml": CONFIG,
                      "content/politik/entwurf.md": "---\ntitle: Entwurf\ndate: 2025-06-02\n"
                                                   "draft: true\n---\nNoch nicht.\n"})
    with serving(root, "--drafts") as served:
        draft = root / "output/2025/06/02/entwurf/index.html"
        assert draft.is_file()
        built = run_digest("build", cwd=root, check=True)  # without --drafts: the draft goes
        assert re.search(r"[1-9]\d* removed", built.stdout), built.stdout
        served.wait_for(r"built by another process", timeout=15)
        served.wait_for(r"^rebuilt in", timeout=15)
        assert draft.is_file(), "the preview shows what serve was asked to show"


def test_serve_fills_its_memo_when_its_first_build_is_answered_from_the_record(
        tmp_path: Path) -> None:
    """A preview started on a site it built before gets the last build's answer, which
    reads no article; while idle it makes the site once more, writing nothing, so that the
    first edit rebuilds from memory like every later one."""
    import gc

    from digest.build import BuildOptions, build
    from digest.serve.builder import BuildLoop

    root = small_site(tmp_path / "site")
    options = BuildOptions(index_later=True)  # as serve builds its pages
    build(load_config(root / "config.yaml"), options)  # the last preview's build
    before = {rel: (root / "output" / rel).stat().st_mtime_ns for rel in tree(root / "output")}
    loop = BuildLoop(lambda: load_config(root / "config.yaml"), options)
    try:
        report, problems, bug = loop.handle(None, index=False)
        assert report is not None and not problems and bug is None
        assert report.stages == {} and not loop.memo.filled, "answered from the record"
        loop.idle()
        assert loop.memo.filled
        assert loop.memo.plans.by_entry is not None, "the first edit finds its pages at once"
        assert {rel: (root / "output" / rel).stat().st_mtime_ns
                for rel in tree(root / "output")} == before, "the site was up to date"
        time.sleep(0.01)
        edited = root / "content/sport/c.md"
        write_site(root, {"content/sport/c.md": article("Neue Brücke",
                                                        "2025-06-03T12:00:00+02:00", "Neu.")})
        report, problems, bug = loop.handle({str(edited.absolute())}, index=False)
        assert report is not None and report.written >= 1 and bug is None
        assert tree(root / "output") == cold_tree(root, tmp_path)
    finally:
        gc.unfreeze()


def test_serve_rebuilds_after_content_is_moved_away_and_back(tmp_path: Path) -> None:
    root = small_site(tmp_path / "site")
    with serving(root) as served:
        shutil.move(root / "content", tmp_path / "elsewhere")
        served.wait_for(r"^(rebuilt in|build failed)", timeout=15)
        shutil.copytree(tmp_path / "elsewhere", root / "content")
        served.wait_for(r"^rebuilt in", timeout=15)
        time.sleep(0.5)
        write_site(root, {"content/politik/b.md": article("Nach dem Umzug",
                                                          "2025-06-02T10:00:00+02:00")})
        served.wait_for(r"^rebuilt in", timeout=15)
        assert "Nach dem Umzug" in (root / "output/index.html").read_text(encoding="utf-8")


def test_a_bug_in_digest_keeps_its_traceback(tmp_path: Path) -> None:
    """A template that gives a digest filter what it cannot take is a bug report, not a
    'template error' with a position; a template's own mistake is the author's."""
    root = small_site(tmp_path / "site")
    write_site(root, {"themes/default/templates/404.html": "{{ 'kein Datum' | date }}"})
    result = run_digest("build", cwd=root)
    assert result.returncode == 70
    assert "Traceback" in result.stderr and "this is a bug in digest" in result.stderr
    write_site(root, {"themes/default/templates/404.html": "{{ 1 + 'a' }}"})
    result = run_digest("build", cwd=root)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "themes/default/templates/404.html:1:1: error: template error" in result.stderr


def test_a_file_is_trusted_only_while_untouched_since_it_was_read(site) -> None:
    """A new process does not read an article file whose size, times and inode are as they
    were; a same-size edit that puts the old modification time back is still seen."""
    text = "---\ntitle: Stadtrat tagt\ndate: 2025-06-03\n---\nDer Rat tagt {}.\n"
    root = site({"content/politik/rat.md": text.format("heute")})
    source = root / "content/politik/rat.md"
    old = source.stat().st_mtime - 3600
    os.utime(source, (old, old))
    for _ in range(3):  # cold, then keyed and noted, then trusted
        assert run_digest("build", cwd=root).returncode == 0
    assert (root / ".digest-cache/file-stamps.pickle").is_file()
    page = root / "output/2025/06/03/stadtrat-tagt/index.html"
    assert "heute" in page.read_text(encoding="utf-8")
    source.write_text(text.format("abends"), encoding="utf-8")  # as many bytes as before
    os.utime(source, (old, old))
    assert run_digest("build", cwd=root).returncode == 0
    assert "abends" in page.read_text(encoding="utf-8")
