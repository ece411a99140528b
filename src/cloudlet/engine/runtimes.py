"""Which local interpreter runs a Lambda runtime, and what every Python runtime provides."""

from __future__ import annotations

import glob
import importlib.util
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from cloudlet.engine.environment import LaunchError
from cloudlet.engine.spec import FunctionSpec

PYTHON_RUNTIMES = (
    "python3.9",
    "python3.10",
    "python3.11",
    "python3.12",
    "python3.13",
    "python3.14",
)
# What AWS's Python runtimes ship besides the standard library.
PROVIDED_PACKAGES = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "six", "urllib3")


class RuntimeMismatch(Exception):
    """No local interpreter matches the runtime and the strict setting refuses a substitute."""


@dataclass(frozen=True)
class Interpreter:
    path: str
    version: tuple[int, int]
    # Set when the interpreter is a stand-in for the runtime's version: said in the logs.
    warning: str | None = None


def _candidates() -> dict[tuple[int, int], str]:
    found: dict[tuple[int, int], str] = {sys.version_info[:2]: sys.executable}
    names = [f"python3.{minor}" for minor in range(8, 16)]
    for name in names:
        path = shutil.which(name)
        # A pyenv shim for a version pyenv has not selected exists but does not run.
        if path and _version_of(name) not in found and _usable(path):
            found[_version_of(name)] = path
    pyenv = os.environ.get("PYENV_ROOT", str(Path.home() / ".pyenv"))
    for path in sorted(glob.glob(f"{pyenv}/versions/3.*/bin/python3.*")):
        match = re.search(r"python3\.(\d+)$", path)
        if match and (3, int(match.group(1))) not in found and _usable(path):
            found[(3, int(match.group(1)))] = path
    return found


def _version_of(name: str) -> tuple[int, int]:
    major, minor = name.removeprefix("python").split(".")
    return int(major), int(minor)


_found: dict[tuple[int, int], str] | None = None


def python_interpreter(runtime: str, *, strict: bool) -> Interpreter:
    """The interpreter for `runtime` (e.g. python3.12), or the closest one with a warning."""
    global _found
    if _found is None:
        _found = _candidates()
    wanted = _version_of(runtime)
    if wanted in _found:
        return Interpreter(_found[wanted], wanted)
    if strict or not _found:
        raise RuntimeMismatch(
            f"no local Python {wanted[0]}.{wanted[1]} interpreter for runtime {runtime}"
            " (install it, or unset CLOUDLET_STRICT_RUNTIMES to run on the closest one)"
        )
    closest = min(_found, key=lambda v: (abs(v[1] - wanted[1]), -v[1]))
    return Interpreter(
        _found[closest],
        closest,
        f"runtime {runtime} runs on local Python {closest[0]}.{closest[1]}: no Python "
        f"{wanted[0]}.{wanted[1]} interpreter is installed",
    )


def _usable(path: str) -> bool:
    if path == sys.executable:
        return True
    try:
        return subprocess.run([path, "-c", ""], capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def provided_site(state_dir: Path) -> str:
    """A directory holding just the packages AWS's Python runtimes provide (as symlinks)."""
    site = state_dir / "runtime" / "python"
    site.mkdir(parents=True, exist_ok=True)
    for name in PROVIDED_PACKAGES:
        spec = importlib.util.find_spec(name)
        if spec is None or spec.origin is None:
            continue
        origin = Path(spec.origin)
        source = origin.parent if origin.name == "__init__.py" else origin
        link = site / source.name
        if link.is_symlink() and os.readlink(link) == str(source):
            continue
        if link.is_symlink() or link.exists():
            link.unlink()
        link.symlink_to(source)
    return str(site)


def runtime_command(spec: FunctionSpec) -> list[str]:
    """The command that starts a Runtime API client for a non-Python runtime."""
    if spec.runtime.startswith("provided"):
        candidates = [f"{spec.code_dir}/bootstrap"]
        if spec.opt_dir:
            candidates.append(f"{spec.opt_dir}/bootstrap")
        for path in candidates:
            if os.path.isfile(path) and os.access(path, os.X_OK):
                return [path]
        raise LaunchError(
            "Runtime.InvalidEntrypoint",
            f"Error: Couldn't find valid bootstrap(s): [{' '.join(candidates)}]",
        )
    if spec.runtime.startswith("nodejs"):
        node = shutil.which("node")
        if node is None:
            raise LaunchError(
                "Runtime.InvalidEntrypoint",
                f"cloudlet: runtime {spec.runtime} needs Node.js (`node` on PATH)",
            )
        return [node, str(Path(__file__).parent / "bootstrap" / "node_runtime.js")]
    raise LaunchError("Runtime.InvalidEntrypoint", f"cloudlet cannot run runtime {spec.runtime}")
