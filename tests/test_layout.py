"""The package layout reads the pipeline, and no module imports a later stage."""

from __future__ import annotations

import ast
from pathlib import Path

import digest

PACKAGE = Path(digest.__file__).parent

STAGES = [
    # each stage may import the ones before it, and modules of its own folder
    {"digest", "digest.errors", "digest.slugs", "digest.dates", "digest.workers",
     "digest.terminal"},
    {"digest.config"},
    {"digest.model", "digest.markup", "digest.cache", "digest.agency"},
    {"digest.content"},
    {"digest.pages"},
    {"digest.render"},
    {"digest.write", "digest.search"},
    {"digest.build"},
    {"digest.serve", "digest.commands"},
    {"digest.cli", "digest.__main__"},
]


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def stage_of(module: str) -> int:
    """The stage of a module: that of the longest listed name it lies in."""
    best, rank = "", -1
    for number, names in enumerate(STAGES):
        for name in names:
            if (module == name or module.startswith(name + ".")) and len(name) > len(best):
                best, rank = name, number
    assert rank >= 0, f"{module} belongs to no stage of the layout"
    return rank


def folder_of(module: str) -> str:
    parts = module.split(".")
    return ".".join(parts[:2])


def imports(path: Path, module: str) -> list[tuple[str, int]]:
    """Every digest module a file imports, with the line of the import."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target == "digest" or target.startswith("digest."):
                found.append((target, node.lineno))
        elif isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names
                      if alias.name.startswith("digest")]
    return found


def test_no_module_imports_a_later_stage() -> None:
    wrong = []
    files = sorted(PACKAGE.rglob("*.py"))
    assert len(files) > 20
    for path in files:
        module = module_name(path)
        own = stage_of(module)
        for target, line in imports(path, module):
            if folder_of(target) == folder_of(module):
                continue
            if stage_of(target) > own:
                wrong.append(f"{path.relative_to(PACKAGE.parent)}:{line}: {module} imports "
                             f"{target}, a later stage")
    assert not wrong, "\n".join(wrong)


def test_the_top_folder_shows_the_pipeline() -> None:
    top = {p.name for p in PACKAGE.iterdir() if not p.name.startswith(("_", "."))}
    for name in ("config", "content", "markup", "model.py", "pages", "render.py", "write.py",
                 "build.py", "serve", "commands", "cli.py"):
        assert name in top, name
    assert len([p for p in PACKAGE.glob("*.py")]) <= 15


def test_code_fingerprint_covers_every_module(tmp_path: Path) -> None:
    import shutil

    from digest.cache import code_fingerprint, source_fingerprint

    copy = tmp_path / "digest"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__", "themes",
                                                                 "scaffold"))
    assert source_fingerprint(copy) == source_fingerprint(PACKAGE)
    assert len(code_fingerprint()) == 40
    seen = {source_fingerprint(copy)}
    for module in sorted(copy.rglob("*.py")):
        module.write_text(module.read_text(encoding="utf-8") + "\n# changed\n",
                          encoding="utf-8")
        seen.add(source_fingerprint(copy))
    assert len(seen) == len(list(copy.rglob("*.py"))) + 1
