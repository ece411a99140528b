"""Kinesis's wording of input that breaks the model's constraints.

Like other json services ("1 validation error detected: Value ... at 'streamName' failed to
satisfy constraint: ..."), with Kinesis's own ways of showing values: a blob as the Java
buffer that held it, a map as `{key=value}`, and patterns without their anchors.
"""

from __future__ import annotations

from typing import Any

from cloudlet.gateway.errors import ServiceError
from cloudlet.gateway.validate import Problem, coral_path

_CONSTRAINTS = {
    "missing": "Member must not be null",
    "min_length": "Member must have length greater than or equal to {}",
    "max_length": "Member must have length less than or equal to {}",
    "min": "Member must have value greater than or equal to {}",
    "max": "Member must have value less than or equal to {}",
    "pattern": "Member must satisfy regular expression pattern: {}",
}


def validation_error(problems: list[Problem]) -> ServiceError:
    """The ValidationException for `problems`."""
    count = len(problems)
    parts = "; ".join(_part(problem) for problem in problems)
    noun = "error" if count == 1 else "errors"
    return ServiceError("ValidationException", f"{count} validation {noun} detected: {parts}")


def _part(problem: Problem) -> str:
    if problem.kind == "enum":
        constraint = "Member must satisfy enum value set: [" + ", ".join(problem.limit) + "]"
    elif problem.kind == "pattern":
        constraint = _CONSTRAINTS["pattern"].format(_unanchored(problem.limit))
    elif problem.kind in _CONSTRAINTS:
        constraint = _CONSTRAINTS[problem.kind].format(problem.limit)
    else:
        constraint = f"Member must satisfy constraint: {problem.kind}"
    return (
        f"Value {_show(problem.value)} at '{coral_path(problem.path)}' failed to satisfy"
        f" constraint: {constraint}"
    )


def _show(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bytes | bytearray):
        size = len(value)
        return f"'java.nio.HeapByteBuffer[pos=0 lim={size} cap={size}]'"
    if isinstance(value, dict):
        return "'{" + ", ".join(f"{k}={v}" for k, v in value.items()) + "}'"
    if isinstance(value, list):
        return "'[" + ", ".join(str(item) for item in value) + "]'"
    return f"'{value}'"


def _unanchored(pattern: str) -> str:
    if pattern.startswith("^(") and pattern.endswith(")$"):
        return pattern[2:-2]
    return pattern.removeprefix("^").removesuffix("$")
