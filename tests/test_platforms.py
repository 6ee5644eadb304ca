"""The pinned requirements resolve on every platform where TensorFlow 2.21 exists.

Learners run the notebooks on their own laptops: Linux x86-64 and aarch64, Apple
silicon Macs, Windows x86-64, with Python 3.11, 3.12 or 3.13. For each of those targets
``uv pip compile`` resolves ``requirements.txt`` from the package index's metadata
(``--only-binary :all:``: each pin must have a wheel for that target, except the
pure-Python ``SOURCE_ONLY`` packages; nothing is installed) and the result must be
exactly the pins whose environment markers apply there: no missing wheel, no unpinned package slipping in. ``pyproject.toml`` is
resolved the same way, so ``pip install .`` and ``pip install ".[tensorflow]"`` work
on each target too. uv reads the same indexes as pip on this machine (``pip config
list``), so the test sees what ``pip install`` sees.
"""
from __future__ import annotations

import os
import pathlib
import re
import subprocess
import sys
import tomllib
from concurrent.futures import ThreadPoolExecutor

import pytest
from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name

ROOT = pathlib.Path(__file__).resolve().parents[1]
REQUIREMENTS = ROOT / "requirements.txt"

# uv's target triple, and the values PEP 508 markers see on that platform.
PLATFORMS = {
    "Linux x86-64": ("x86_64-unknown-linux-gnu", {"sys_platform": "linux", "platform_machine": "x86_64"}),
    "Linux aarch64": ("aarch64-unknown-linux-gnu", {"sys_platform": "linux", "platform_machine": "aarch64"}),
    "macOS arm64": ("aarch64-apple-darwin", {"sys_platform": "darwin", "platform_machine": "arm64"}),
    "Windows x86-64": ("x86_64-pc-windows-msvc", {"sys_platform": "win32", "platform_machine": "AMD64"}),
}
# Full versions: a pin may need a patch release (soupsieve 4.1.2 needs Python >= 3.11.5).
PYTHONS = ["3.11.7", "3.12.8", "3.13.1"]
TENSORFLOW = {"tensorflow", "tensorflow-cpu"}
PYPROJECT = ROOT / "pyproject.toml"
INTEL_MAC = "x86_64-apple-darwin"
TF_EXTRA = ("--extra", "tensorflow")
# Published as a source distribution only; it is pure Python, so pip builds it on every target.
# Chinese search in the site's Chinese edition needs it (Sphinx's zh search imports it).
SOURCE_ONLY = ("jieba",)
# Every resolve the tests below look at: (source, uv triple, Python, extra options).
RESOLVES = [
    *((REQUIREMENTS, triple, python, ()) for triple, _ in PLATFORMS.values() for python in PYTHONS),
    (REQUIREMENTS, PLATFORMS["Linux x86-64"][0], "3.10.14", ()),
    *((PYPROJECT, triple, "3.11.7", ()) for triple in [*(t for t, _ in PLATFORMS.values()), INTEL_MAC]),
    *((PYPROJECT, triple, "3.12.8", TF_EXTRA) for triple, _ in PLATFORMS.values()),
]


def _pip_index_options() -> tuple[list[str], dict[str, str]]:
    """pip's index, extra indexes, find-links and CA bundle as uv options and environment."""
    listing = subprocess.run([sys.executable, "-m", "pip", "config", "list"], capture_output=True, text=True,
                             check=True).stdout
    options, env = ["--index-strategy", "unsafe-best-match"], {}  # pip looks at every index for each package
    for line in listing.splitlines():
        match = re.fullmatch(r"[^.]*\.([\w-]+)='(.*)'", line.strip())
        if not match:
            continue
        key, value = match.groups()
        if key == "index-url":
            options += ["--index-url", value]
        elif key in ("extra-index-url", "find-links"):
            for location in value.split():
                options += [f"--{key}", location]
        elif key == "cert":
            env["SSL_CERT_FILE"] = value
    return options, env


def compile_requirements(source: pathlib.Path, triple: str, python: str, *extra: str) -> subprocess.CompletedProcess:
    """``uv pip compile`` of ``source`` for one target, from the index's metadata only."""
    from uv import find_uv_bin

    options, env = _pip_index_options()
    command = [find_uv_bin(), "pip", "compile", str(source), "--python-platform", triple, "--python-version", python,
               "--only-binary", ":all:", *(f"--no-binary={name}" for name in SOURCE_ONLY),
               "--no-config", "--no-header", "--no-annotate", "--quiet", *options, *extra]
    return subprocess.run(command, capture_output=True, text=True, timeout=600, env={**os.environ, **env})


@pytest.fixture(scope="module")
def resolve():
    """All resolves at once: each waits mostly on the index, so they run side by side."""
    with ThreadPoolExecutor(max_workers=6) as pool:
        results = dict(zip(RESOLVES, pool.map(lambda job: compile_requirements(job[0], job[1], job[2], *job[3]),
                                              RESOLVES)))
    return lambda source, triple, python, extra=(): results[(source, triple, python, extra)]


def _resolved(stdout: str) -> dict[str, str]:
    pins = (line.split("==") for line in stdout.splitlines() if "==" in line and not line.startswith("#"))
    return {canonicalize_name(name): version.split(";")[0].strip() for name, version in pins}


def _pinned_for(markers: dict[str, str], python: str) -> dict[str, str]:
    """The pins of requirements.txt whose markers hold on that target."""
    environment = {**markers, "python_version": ".".join(python.split(".")[:2]), "python_full_version": python,
                   "os_name": "nt" if markers["sys_platform"] == "win32" else "posix",
                   "platform_system": {"linux": "Linux", "darwin": "Darwin", "win32": "Windows"}[markers["sys_platform"]]}
    pins = {}
    for line in REQUIREMENTS.read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            requirement = Requirement(line)
            if requirement.marker is None or requirement.marker.evaluate(environment):
                pins[canonicalize_name(requirement.name)] = str(requirement.specifier).removeprefix("==")
    return pins


def _failure(platform: str, python: str, result: subprocess.CompletedProcess) -> str:
    reason = "\n".join(line for line in result.stderr.splitlines() if line.strip())
    return f"requirements.txt does not resolve for {platform}, Python {python}:\n{reason}"


@pytest.mark.parametrize("python", PYTHONS)
@pytest.mark.parametrize("platform", PLATFORMS)
def test_requirements_resolve_to_exactly_the_pins(resolve, platform, python):
    triple, markers = PLATFORMS[platform]
    result = resolve(REQUIREMENTS, triple, python)
    assert result.returncode == 0, _failure(platform, python, result)
    resolved, pinned = _resolved(result.stdout), _pinned_for(markers, python)
    unpinned = sorted(set(resolved) - set(pinned))
    assert not unpinned, f"{platform}, Python {python}: resolved but not pinned in requirements.txt: " + ", ".join(
        f"{name}=={resolved[name]}" for name in unpinned)
    differences = {name: (resolved.get(name), pinned[name]) for name in pinned if resolved.get(name) != pinned[name]}
    assert not differences, f"{platform}, Python {python}: resolved vs pinned: {differences}"
    assert len(TENSORFLOW & set(resolved)) == 1 and "2.21.0" in {resolved.get(name) for name in TENSORFLOW}


def test_markers_keep_the_linux_x86_64_set_that_make_test_installs():
    """On the build machine's platform the markers select tensorflow-cpu and nothing else changes."""
    _, markers = PLATFORMS["Linux x86-64"]
    pinned = _pinned_for(markers, "3.11.7")
    assert pinned["tensorflow-cpu"] == "2.21.0" and "tensorflow" not in pinned
    assert {"appnope", "colorama", "pywinpty"}.isdisjoint(pinned)
    assert pinned["setuptools"] == "65.5.0"  # what python3.11 -m venv ships: pip install changes nothing


def test_a_missing_wheel_fails_naming_the_platform_and_the_pin(resolve):
    """The check can fail: Python 3.10 has no contourpy 1.3.3 wheel (one reason requires-python says 3.11)."""
    result = resolve(REQUIREMENTS, PLATFORMS["Linux x86-64"][0], "3.10.14")
    assert result.returncode != 0
    message = _failure("Linux x86-64", "3.10.14", result)
    assert "Linux x86-64, Python 3.10.14" in message and "contourpy==1.3.3" in message


def test_requires_python_is_the_tested_range():
    project = tomllib.loads(PYPROJECT.read_text())["project"]
    allowed = SpecifierSet(project["requires-python"])
    assert all(version in allowed for version in PYTHONS)
    assert "3.10.14" not in allowed and "3.14.0" not in allowed


@pytest.mark.parametrize("platform", [*PLATFORMS, "macOS x86-64"])
def test_the_package_installs_with_its_runtime_dependencies(resolve, platform):
    """``pip install .`` needs only NumPy, matplotlib and scikit-learn: it resolves even on Intel Macs."""
    triple = PLATFORMS[platform][0] if platform in PLATFORMS else INTEL_MAC
    result = resolve(PYPROJECT, triple, "3.11.7")
    assert result.returncode == 0, f"pip install . does not resolve for {platform}:\n{result.stderr}"
    resolved = _resolved(result.stdout)
    assert {"numpy", "matplotlib", "scikit-learn"} <= set(resolved)
    assert not (TENSORFLOW | {"keras"}) & set(resolved), f"{platform}: TensorFlow without the extra"


@pytest.mark.parametrize("platform", PLATFORMS)
def test_the_tensorflow_extra_picks_the_platforms_wheel(resolve, platform):
    triple, markers = PLATFORMS[platform]
    result = resolve(PYPROJECT, triple, "3.12.8", TF_EXTRA)
    assert result.returncode == 0, f'pip install ".[tensorflow]" does not resolve for {platform}:\n{result.stderr}'
    resolved = _resolved(result.stdout)
    wanted = "tensorflow-cpu" if _pinned_for(markers, "3.12.8").get("tensorflow-cpu") else "tensorflow"
    assert TENSORFLOW & set(resolved) == {wanted} and "keras" in resolved
