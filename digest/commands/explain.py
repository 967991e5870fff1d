"""`digest check --topics` and `--stories`: why agency copy landed where it did (§10)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import tempfile
from pathlib import Path

from ..build import Memo
from ..config import Config
from ..content import load_articles, parse_articles
from ..model import Article, Site, build_site


def read_site(config: Config, now: dt.datetime) -> tuple[list[Article], Site, Memo]:
    """Every valid article and the site they make, read with a cache of its own."""
    with tempfile.TemporaryDirectory(prefix="digest-explain-") as tmp:
        scratch = dataclasses.replace(config, cache_dir=str(Path(tmp) / "cache"))
        memo = Memo()
        cache = memo.articles(scratch)
        inventory = memo.content(scratch, None)
        loaded = load_articles(scratch, inventory, cache, False, memo.files, None, memo.git)
        reader = memo.reader(scratch)
        articles, _, _ = parse_articles(scratch, loaded, cache, 0, None, memo.files, reader)
        earlier = memo.history.of(scratch, inventory, reader)
        site, _ = build_site(scratch, articles, now=now, earlier=earlier)
    return articles, site, memo


def topic_lines(config: Config, articles: list[Article], memo: Memo) -> list[str]:
    """For each article that takes its topic by keyword: the topic and the words that chose
    it, or that no rule matched."""
    reader = memo.reader(config)
    lines = []
    for article in sorted(articles, key=lambda a: a.source):
        if article.page or not article.topics_from_folder or \
                not reader.in_inbox(article.rel_path):
            continue
        topic = article.topics[0]
        if article.topic_words:
            words = ", ".join(f"{rule} ×{count}" for rule, count in article.topic_words)
            lines.append(f"{article.source}: {topic} ← {words}")
        else:
            lines.append(f"{article.source}: {topic} (default_topic: no keyword matched)")
    return lines or ["no article takes its topic by keyword"]


def story_lines(config: Config, site: Site) -> list[str]:
    """Every story that folds several versions: its URL, each version with its similarity to
    the text shown, and the other agencies."""
    tz = config.tz
    lines = []
    for entry in sorted(site.entries, key=lambda e: e.url):
        story = entry.article.story
        if story is None:
            continue
        lines.append(f"{entry.url}: {len(story.versions)} versions, shown "
                     f"{entry.article.source}")
        for version in story.versions:
            when = version.date.astimezone(tz).strftime("%Y-%m-%d %H:%M")
            lines.append(f"  {when}  {version.source or '-':<8} similarity "
                         f"{version.similarity:.2f}  {version.file}  {version.title}")
        if story.also:
            lines.append(f"  also reported by: {', '.join(story.also)}")
    return lines or ["no versions folded into one story"]
