"""The pins, the conda environment, the Makefile, CI and the README agree with each other."""

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _pins():
    lines = (ROOT / "constraints.txt").read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def test_every_pin_is_exact():
    for pin in _pins():
        assert re.fullmatch(r"[A-Za-z0-9_.\-]+==[0-9][0-9A-Za-z.]*", pin), (
            f"not an exact pin: {pin}"
        )


def test_environment_yml_matches_pins():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    assert "python=3.11" in env["dependencies"]
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    pinned = [line for line in pip_section if "==" in line]
    assert pinned == _pins(), "environment.yml's pip section must repeat constraints.txt exactly"
    assert "-e .[dev]" in pip_section


def test_pyproject_dependencies_are_pinned():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    names = {re.split(r"[<>=\[ ]", pin)[0].lower() for pin in _pins()}
    wanted = list(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        wanted += [dep for dep in extra if not dep.startswith("rnnkit")]
    for dep in wanted:
        name = re.split(r"[<>=\[ ;]", dep)[0].lower()
        assert name in names, f"{dep} from pyproject.toml has no pin in constraints.txt"


def test_makefile_installs_with_the_pins():
    makefile = (ROOT / "Makefile").read_text()
    assert "-c constraints.txt" in makefile
    for target in ("workbook:", "test:", "lab:", "notebooks:"):
        assert re.search(rf"^{target}", makefile, re.M), f"Makefile lacks {target}"


def _readme_commands():
    readme = (ROOT / "README.md").read_text()
    return re.findall(r"^\s*(make \w+)\s*$", readme[:2500], re.M)


def test_readme_names_the_two_commands_near_the_top():
    assert _readme_commands()[:2] == ["make workbook", "make test"]


def test_ci_runs_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text()
    assert re.search(r"^make test$", ci, re.M)
    assert re.search(r"^make test-installed$", ci, re.M)
    assert "RNNKIT_QUICK=1" in ci and "../shared/datasets" in ci


def test_the_lowest_job_installs_the_lower_ends_of_the_ranges():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    lowest = re.search(r"^LOWEST := (.*)$", (ROOT / "Makefile").read_text(), re.M).group(1)
    for name in ("tensorflow", "keras", "tensorflow-text"):
        (bound,) = [d.split(">=")[1] for d in project["dependencies"] if d.startswith(name + ">=")]
        assert f'"{name}=={bound}.*"' in lowest, (name, bound, lowest)
    workflow = (ROOT / ".github" / "workflows" / "notebooks.yml").read_text()
    assert lowest in workflow, "the workflow's lowest job installs what the Makefile's does"


def test_the_registry_is_package_data():
    from rnnkit.data import datasets

    package = Path(datasets.__file__).resolve().parent
    assert datasets.REGISTRY_DIR.resolve().parent == package
    assert sorted(datasets.REGISTRY_DIR.glob("*.json")), "no registry entries"
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    assert "registry/*.json" in setuptools["package-data"]["rnnkit.data"]


def test_github_workflow_parses_and_runs_the_test_command():
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "notebooks.yml").read_text())
    jobs = workflow["jobs"]
    assert set(jobs) == {"cpu", "installed", "gpu"}
    labels = {entry["label"] for entry in jobs["installed"]["strategy"]["matrix"]["include"]}
    assert labels == {"py312", "lowest"}
    cpu_steps = " ".join(step.get("run", "") for step in jobs["cpu"]["steps"])
    assert "make test" in cpu_steps
    assert "gpu" in jobs["gpu"]["runs-on"] and "self-hosted" in jobs["gpu"]["runs-on"]
    gpu_steps = " ".join(step.get("run", "") for step in jobs["gpu"]["steps"])
    assert "tensorflow[and-cuda]" in gpu_steps and "--nbval-lax" in gpu_steps
