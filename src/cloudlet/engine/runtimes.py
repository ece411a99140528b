"""Which local interpreter runs a Lambda runtime, and what every Python runtime provides."""

from __future__ import annotations

import glob
import importlib.util
import logging
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from cloudlet.engine.environment import LaunchError
from cloudlet.engine.spec import FunctionSpec

log = logging.getLogger("cloudlet.engine")

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
    """No local interpreter matches the runtime and the strict setting refuses a substitute.

    It escapes `Engine.invoke`: Lambda answers such an invoke with InvalidRuntimeException.
    """


@dataclass(frozen=True)
class Interpreter:
    path: str
    version: tuple[int, int]
    # Set when the interpreter is a stand-in for the runtime's version: said in the logs.
    warning: str | None = None


_found: dict[tuple[int, int], str | None] = {}


def _find(version: tuple[int, int]) -> str | None:
    """A working interpreter of exactly `version`, looked for once and remembered."""
    if version not in _found:
        _found[version] = _search(version)
    return _found[version]


def _search(version: tuple[int, int]) -> str | None:
    if version == sys.version_info[:2]:
        return sys.executable
    major, minor = version
    pyenv = os.environ.get("PYENV_ROOT", str(Path.home() / ".pyenv"))
    installed = sorted(
        glob.glob(f"{pyenv}/versions/{major}.{minor}.*/bin/python{major}.{minor}"),
        key=lambda path: [int(p) for p in re.findall(r"\d+", path.split("/versions/")[1])[:3]],
    )
    # A pyenv shim on PATH for a version pyenv has not selected exists but does not run,
    # so the interpreters pyenv installed come first, and anything on PATH is tried.
    candidates = [*reversed(installed)]
    on_path = shutil.which(f"python{major}.{minor}")
    if on_path:
        candidates.append(on_path)
    return next((path for path in candidates if _usable(path)), None)


def _version_of(name: str) -> tuple[int, int]:
    major, minor = name.removeprefix("python").split(".")
    return int(major), int(minor)


def python_interpreter(runtime: str, *, strict: bool) -> Interpreter:
    """The interpreter for `runtime` (e.g. python3.12), or the closest one with a warning."""
    wanted = _version_of(runtime)
    exact = _find(wanted)
    if exact is not None:
        return Interpreter(exact, wanted)
    if strict:
        raise RuntimeMismatch(
            f"no local Python {wanted[0]}.{wanted[1]} interpreter for runtime {runtime}"
            " (install it, or unset CLOUDLET_STRICT_RUNTIMES to run on the closest one)"
        )
    # Nearest minor version first; of two equally near, the newer.
    for minor in sorted(range(8, 16), key=lambda m: (abs(m - wanted[1]), -m)):
        path = _find((3, minor))
        if path is not None:
            return Interpreter(
                path,
                (3, minor),
                f"runtime {runtime} runs on local Python 3.{minor}: no Python "
                f"{wanted[0]}.{wanted[1]} interpreter is installed",
            )
    raise RuntimeMismatch(f"no local Python interpreter for runtime {runtime}")


def _usable(path: str) -> bool:
    if path == sys.executable:
        return True
    try:
        return subprocess.run([path, "-c", ""], capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def provided_site(state_dir: Path, interpreter: Interpreter) -> str:
    """A directory holding just the packages AWS's Python runtimes provide (boto3...).

    For cloudlet's own Python version they are links to its own packages; other versions get
    their own copy, installed once per machine (in the user's cache) with that interpreter's
    pip: boto3's current release may not run on an older Python, and on AWS too each runtime
    ships the boto3 that suits it.
    """
    if interpreter.version == sys.version_info[:2]:
        return _linked_site(state_dir / "runtime" / "python")
    major, minor = interpreter.version
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "cloudlet"
    site = cache / "runtime" / f"python{major}.{minor}"
    done = site / ".installed"
    if not done.exists():
        log.info("installing boto3 for Python %d.%d functions (once, into %s)", major, minor, site)
        command = [
            interpreter.path,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--no-warn-script-location",
            "--target",
            str(site),
            "boto3",
        ]
        try:
            finished = subprocess.run(command, capture_output=True, text=True, timeout=600)
        except (OSError, subprocess.TimeoutExpired) as error:
            finished = None
            reason = str(error)
        if finished is not None and finished.returncode == 0:
            done.touch()
        else:
            reason = finished.stderr.strip().splitlines()[-1] if finished else reason
            log.warning(
                "Python %d.%d functions run without boto3: installing it failed (%s)",
                major,
                minor,
                reason,
            )
    return str(site)


def _linked_site(site: Path) -> str:
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
