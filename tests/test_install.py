"""`pip install tracklink` next to a Spark that is already there (a cluster,
Databricks): the wheel must leave the runtime's PySpark alone."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
# What a Spark runtime owns: pip replacing any of these breaks the cluster's Spark.
SPARK_DISTS = {"pyspark", "py4j", "delta-spark", "pyspark-connect", "pyspark-client"}
# What runtimes ship too: a range with an upper bound, so pip keeps their copy.
RUNTIME_LIBS = {"pandas", "numpy", "pyarrow", "mlflow", "torch"}
# A runtime's PySpark: a real 4.x release other than constraints.txt's pin.
OTHER_PYSPARK = "4.1.4"


def _clean_env() -> dict[str, str]:
    # conftest puts the checkout on PYTHONPATH, and its tracklink.egg-info
    # would look installed to pip in the other environment.
    return {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}


def _run(*cmd: str | Path) -> str:
    done = subprocess.run(
        [str(c) for c in cmd], capture_output=True, text=True, env=_clean_env(), timeout=900
    )
    assert done.returncode == 0, f"{' '.join(map(str, cmd))} failed:\n{done.stderr[-3000:]}"
    return done.stdout


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    _run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", out, ROOT)
    (built,) = out.glob("tracklink-*.whl")
    return built


def _metadata(wheel: Path):
    with zipfile.ZipFile(wheel) as whl:
        (name,) = [n for n in whl.namelist() if n.endswith(".dist-info/METADATA")]
        return Parser().parsestr(whl.read(name).decode())


def _requires(wheel: Path, extra: str | None = None) -> list[Requirement]:
    """The wheel's Requires-Dist for a plain install (extra None) or one extra."""
    wanted = []
    for line in _metadata(wheel).get_all("Requires-Dist") or []:
        req = Requirement(line)
        in_core = req.marker is None or req.marker.evaluate({"extra": ""})
        if extra is None and in_core:
            wanted.append(req)
        elif extra is not None and not in_core and req.marker.evaluate({"extra": extra}):
            wanted.append(req)
    return wanted


def _constraint_pin(name: str) -> str:
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        if "==" in line and canonicalize_name(line.split("==")[0]) == name:
            return line.split("==")[1].strip()
    raise AssertionError(f"constraints.txt pins no {name}")


def test_wheel_requires_pyspark_only_through_the_local_extra(wheel):
    core = {canonicalize_name(r.name) for r in _requires(wheel)}
    assert "splink" in core  # the metadata was read: the core list is not empty
    assert core & SPARK_DISTS == set()
    local = {canonicalize_name(r.name) for r in _requires(wheel, "local")}
    assert "pyspark" in local


def test_wheel_pins_no_runtime_library_exactly(wheel):
    core = {canonicalize_name(r.name): r.specifier for r in _requires(wheel)}
    pinned = [f"{n}{s}" for n, s in core.items() if any(x.operator in ("==", "===") for x in s)]
    assert pinned == []
    for name in RUNTIME_LIBS:
        assert any(x.operator in ("<", "<=") for x in core[name]), f"{name} has no upper bound"
        assert any(x.operator in (">", ">=") for x in core[name]), f"{name} has no lower bound"
        # the verified set installs from the same ranges the wheel declares
        assert _constraint_pin(name) in core[name], f"constraints.txt's {name} is out of range"


def test_wheel_installs_on_python_3_11_and_3_12(wheel):
    supported = SpecifierSet(_metadata(wheel)["Requires-Python"])
    # 3.12.3: the Python of the Spark 4 Databricks runtimes
    assert {"3.11.9", "3.12.3"} <= set(supported.filter(["3.11.9", "3.12.3", "3.13.0"]))
    assert "3.13.0" not in supported


@pytest.mark.e2e
def test_installing_the_wheel_keeps_the_pyspark_already_there(wheel, tmp_path):
    """A real environment holding a real PySpark 4.x other than ours; pip
    resolves `pip install tracklink-*.whl` there as a user on a cluster would
    (no constraints file). --dry-run --report is the plan pip would carry out,
    without copying 2.8 GB of torch and friends; docs/results/install.md has a real
    install that agreed with it."""
    assert OTHER_PYSPARK != _constraint_pin("pyspark")
    env = tmp_path / "runtime"
    # No pip inside: this suite's pip drives it (--python), which saves the
    # 20 s of ensurepip and reads PyPI's metadata files instead of whole wheels.
    _run(sys.executable, "-m", "venv", "--without-pip", env)
    python = env / "bin" / "python"
    pip = (sys.executable, "-m", "pip", "--python", python)
    _run(*pip, "install", "--quiet", f"pyspark=={OTHER_PYSPARK}")

    report = tmp_path / "report.json"
    _run(*pip, "install", "--dry-run", "--quiet", "--report", report, wheel)
    plan = {
        canonicalize_name(item["metadata"]["name"]): item["metadata"]["version"]
        for item in json.loads(report.read_text())["install"]
    }
    assert plan.get("tracklink") == "0.1.0"  # the plan is the wheel's, dependencies resolved
    assert "torch" in plan
    assert {n: v for n, v in plan.items() if n in SPARK_DISTS} == {}
    still = _run(python, "-c", "import importlib.metadata as m; print(m.version('pyspark'))")
    assert still.strip() == OTHER_PYSPARK
