"""The real aws CLI (awscli, installed in the venv) run against a test server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

AWS = str(Path(sys.executable).parent / "aws")


def aws(
    server: Any, *args: str, env: dict[str, str] | None = None, check: bool = True
) -> subprocess.CompletedProcess[str]:
    """`aws --endpoint-url <server> ARGS...`; raises on a non-zero exit when `check`."""
    return subprocess.run(
        [AWS, "--endpoint-url", server.endpoint, *args],
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        check=check,
    )


def aws_json(server: Any, *args: str, env: dict[str, str] | None = None) -> Any:
    """The JSON the aws CLI prints for a successful command."""
    output = aws(server, *args, "--output", "json", env=env).stdout
    return json.loads(output) if output.strip() else None
