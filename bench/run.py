#!/usr/bin/env python3
"""Benchmark digest on generated corpora and print one table of medians.

    python3 bench/run.py --sizes 1000,10000 --repeat 3
    python3 bench/run.py --sizes 10000 --scaling 1,2,4     # cold builds with --jobs N

For each size it generates the corpus with ../shared/bench/gen_corpus.py (digest flavor),
then measures, each in a new process: a cold build (no cache, empty output), a no-op rebuild,
and a rebuild after editing one article; plus, in one process, the same edit rebuilt the way
`digest serve` does it (its build loop, told which file changed, warm from its first build).
bench/reload.py measures the same through a running `digest serve`, save to reload event.
Peak RSS is the largest resident set of any process of the build (Pagefind's included);
CPU is the user and system time of the build and its workers, per article.
Search is off in these figures; with --search each round also builds with search on, side by
side with the search-off build: cold, then one article edited, in a new process each, with the
peak memory of any process and the index's bytes per article.
bench/search.py measures the search page (typing to first result) and digest serve's
background index (save to findable).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from peers import hugo_binary, hugo_cold, hugo_site, hugo_version

HERE = Path(__file__).resolve().parent
GENERATOR = HERE.parent.parent / "shared" / "bench" / "gen_corpus.py"
CONFIG = "title: Bench\nbase_url: https://example.org/news/\nsearch: false\n"
SEARCH_CONFIG = "config-search.yaml"
"""The same site with search on, beside config.yaml."""


MEASURE = ("import resource, subprocess, sys, time\n"
           "started = time.perf_counter()\n"
           "done = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
           "seconds = time.perf_counter() - started\n"
           "usage = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
           "print(done.returncode, seconds, usage.ru_maxrss, usage.ru_utime + usage.ru_stime)\n"
           "print(done.stdout[-2000:] + done.stderr[-2000:])\n")
"""Runs one command in a process of its own, so that its peak memory is its own: the peak
of a process's children is the largest of any child it ever waited for (Hugo's included)."""


def run_build(site: Path, *args: str) -> tuple[float, int, str]:
    """Wall seconds, peak RSS in MiB and the output of one `digest build`."""
    seconds, peak, _, output = measured_build(site, *args)
    return seconds, peak, output


def measured_build(site: Path, *args: str) -> tuple[float, int, float, str]:
    """Wall seconds, peak RSS in MiB, CPU seconds (with the workers') and the output."""
    result = subprocess.run([sys.executable, "-c", MEASURE, sys.executable, "-m", "digest",
                             "build", "--quiet", *args], cwd=site, capture_output=True,
                            text=True, check=True)
    head, _, output = result.stdout.partition("\n")
    code, seconds, peak, cpu = head.split()
    if code != "0":
        raise SystemExit(f"build failed:\n{output}")
    return float(seconds), int(peak) // 1024, float(cpu), output


def count_pages(site: Path) -> int:
    return sum(1 for _ in (site / "output").rglob("*.html"))


def edit_one(site: Path, round_: int, newest: bool = False) -> Path:
    """Append a line to the middle article by path, or to the newest one (by its file
    name's date): where a desk's edits land, in the small recent search bundle."""
    articles = sorted((site / "content").rglob("*.md"))
    article = max(articles, key=lambda p: p.name) if newest else articles[len(articles) // 2]
    text = article.read_text(encoding="utf-8")
    article.write_text(text + f"\nNachtrag {round_}.\n", encoding="utf-8")
    return article


def in_process_edit(site: Path, repeat: int) -> list[float]:
    """The serve path: digest serve's build loop, warm, rebuilds after one article changes."""
    code = f"""
import sys, time
from pathlib import Path
from digest.build import BuildOptions
from digest.config import load_config
from digest.serve.builder import BuildLoop
site = Path({str(site)!r})
loop = BuildLoop(lambda: load_config(site / "config.yaml"), BuildOptions())
loop.handle(None, index=False)
loop.idle()  # as between serve's builds: fills the memo if the record answered
articles = sorted((site / "content").rglob("*.md"))
target = articles[len(articles) // 3]
for i in range({repeat}):
    target.write_text(target.read_text(encoding="utf-8") + f"\\nServe {{i}}.\\n", encoding="utf-8")
    started = time.perf_counter()
    # told what changed, as the watcher tells digest serve
    report, problems, bug = loop.handle({{str(target.absolute())}}, index=False)
    assert report is not None, (problems, bug)
    print(time.perf_counter() - started)
    loop.idle()
"""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    return [float(line) for line in result.stdout.split()]


def set_aside(corpus: Path, trash: Path) -> None:
    """Move the last output and cache away, for a cold build into an empty folder.

    They are deleted once all figures are taken: deleting a big tree keeps this kind of
    disk busy for many seconds afterwards, which would be timed as part of the next build.
    """
    trash.mkdir(parents=True, exist_ok=True)
    for name in ("output", ".digest-cache"):
        if (corpus / name).exists():
            (corpus / name).rename(tempfile.mkdtemp(dir=trash) + "/" + name)


def index_bytes(site: Path) -> int:
    return sum(p.stat().st_size for p in (site / "output" / "pagefind").rglob("*")
               if p.is_file())


def corpus_of(size: int, workdir: Path) -> Path:
    corpus = workdir / f"corpus-{size}"
    if not corpus.exists():
        subprocess.run([sys.executable, str(GENERATOR), "--articles", str(size), "--out",
                        str(corpus)], check=True, capture_output=True)
        (corpus / "config.yaml").write_text(CONFIG, encoding="utf-8")
    return corpus


def measure(size: int, repeat: int, workdir: Path, search: bool = False) -> dict[str, float]:
    corpus = corpus_of(size, workdir)
    (corpus / SEARCH_CONFIG).write_text(CONFIG.replace("search: false", "search: true"),
                                        encoding="utf-8")
    cold, noop, edit, peak, cpu, hugo, ratios = [], [], [], [], [], [], []
    on_cold, on_ratio, on_edit, on_peak, on_bytes, on_old = [], [], [], [], [], []
    binary = hugo_binary()
    peer = hugo_site(corpus, binary) if binary else None
    for i in range(repeat):
        set_aside(corpus, workdir / "trash")
        seconds, rss, used, _ = measured_build(corpus)
        cold.append(seconds)
        peak.append(rss)
        cpu.append(used)
        if binary and peer:  # side by side: the same machine state for both
            hugo.append(hugo_cold(peer, binary)[0])
            ratios.append(seconds / hugo[-1])
        noop.append(run_build(corpus)[0])
        edit_one(corpus, i)
        edit.append(run_build(corpus)[0])
        if search:
            set_aside(corpus, workdir / "trash")
            seconds, rss, _ = run_build(corpus, "--config", SEARCH_CONFIG)
            on_cold.append(seconds)
            on_ratio.append(seconds / cold[-1])
            on_peak.append(rss)
            on_bytes.append(index_bytes(corpus) / size)
            edit_one(corpus, 100 + i, newest=True)
            on_edit.append(run_build(corpus, "--config", SEARCH_CONFIG)[0])
            edit_one(corpus, 200 + i)  # an old article: a whole year's bundle again
            on_old.append(run_build(corpus, "--config", SEARCH_CONFIG)[0])
    serve = in_process_edit(corpus, repeat)
    if peer:
        shutil.rmtree(peer, ignore_errors=True)
    return {"size": size, "pages": count_pages(corpus), "cold": statistics.median(cold),
            "noop": statistics.median(noop), "edit": statistics.median(edit),
            "serve": statistics.median(serve), "rss": max(peak),
            "cpu_ms": statistics.median(cpu) * 1000 / size,
            "hugo": statistics.median(hugo) if hugo else None,
            "ratio": statistics.median(ratios) if ratios else None,
            "search": {"cold": statistics.median(on_cold), "ratio": statistics.median(on_ratio),
                       "edit": statistics.median(on_edit), "old": statistics.median(on_old),
                       "rss": max(on_peak),
                       "bytes": statistics.median(on_bytes)} if search else None}


def scaling(size: int, repeat: int, workdir: Path, jobs: list[int]) -> None:
    """Cold builds with --jobs N, each N in turn per round, medians: how the build scales
    with cores (on a machine with fewer cores than N, only the overhead shows)."""
    corpus = corpus_of(size, workdir)
    walls: dict[int, list[float]] = {n: [] for n in jobs}
    cpus: dict[int, list[float]] = {n: [] for n in jobs}
    peaks: dict[int, list[int]] = {n: [] for n in jobs}
    for _ in range(repeat):
        for n in jobs:
            set_aside(corpus, workdir / "trash")
            seconds, rss, used, _ = measured_build(corpus, "--jobs", str(n))
            walls[n].append(seconds)
            cpus[n].append(used)
            peaks[n].append(rss)
    first = statistics.median(walls[jobs[0]])
    print(f"\n{size} articles, cold, by --jobs (speed-up against --jobs {jobs[0]}):")
    header = f"{'jobs':>5} {'cold s':>8} {'cpu s':>7} {'cpu ms/article':>15} {'peak MiB':>9} " \
             f"{'speed-up':>9}"
    print(header)
    print("-" * len(header))
    for n in jobs:
        wall, used = statistics.median(walls[n]), statistics.median(cpus[n])
        print(f"{n:>5} {wall:>8.2f} {used:>7.2f} {used * 1000 / size:>15.2f} "
              f"{max(peaks[n]):>9} {first / wall:>8.2f}x", flush=True)


def main() -> None:
    # timed processes start as an installed digest does: from cached bytecode
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,10000", help="comma-separated article counts")
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure (median)")
    parser.add_argument("--workdir", type=Path, help="keep corpora here between runs")
    parser.add_argument("--search", action="store_true",
                        help="also build with search on (cold and one edit)")
    parser.add_argument("--scaling", metavar="JOBS", help="comma-separated --jobs values: "
                        "instead of the table, cold builds with each (e.g. 1,2,4)")
    args = parser.parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="digest-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    print(f"cores: {os.cpu_count()}, repeat: {args.repeat}, medians; corpora in {workdir}")
    binary = hugo_binary()
    if binary:
        version = ".".join(map(str, hugo_version(binary)))
        print(f"peer: hugo {version} (cold, side by side with each digest cold build)")
    try:
        if args.scaling:
            for size in (int(s) for s in args.sizes.split(",")):
                scaling(size, args.repeat, workdir, [int(n) for n in args.scaling.split(",")])
            return
        header = f"{'articles':>9} {'pages':>7} {'cold s':>8} {'cpu ms/art':>11} " \
                 f"{'no-op s':>8} {'edit s':>8} {'serve-edit ms':>14} {'peak MiB':>9} " \
                 f"{'hugo s':>7} {'digest/hugo':>12}"
        print(header)
        print("-" * len(header))
        for size in (int(s) for s in args.sizes.split(",")):
            row = measure(size, args.repeat, workdir, args.search)
            peer = f"{row['hugo']:>7.2f} {row['ratio']:>11.2f}x" if row["hugo"] else \
                f"{'-':>7} {'-':>12}"
            print(f"{row['size']:>9} {row['pages']:>7} {row['cold']:>8.2f} "
                  f"{row['cpu_ms']:>11.2f} {row['noop']:>8.2f} "
                  f"{row['edit']:>8.2f} {row['serve'] * 1000:>14.0f} {row['rss']:>9} {peer}",
                  flush=True)
            if found := row["search"]:
                print(f"{'':>9} search on: cold {found['cold']:.2f} s "
                      f"({found['ratio']:.2f}x search off), edit {found['edit']:.2f} s "
                      f"(an old article {found['old']:.2f} s), "
                      f"peak {found['rss']} MiB, index {found['bytes'] / 1000:.2f} KB/article",
                      flush=True)
    finally:
        shutil.rmtree(workdir / "trash", ignore_errors=True)


if __name__ == "__main__":
    main()
