"""The checks Lambda makes beyond its model's constraints, with Lambda's error for each.

The model already refuses an unknown runtime (its enum), a malformed handler or role ARN
(patterns), a MemorySize under 128 or a Timeout under 1; what is checked here is what the
model leaves to the service: Lambda's own limits, deprecated runtimes, the runtimes cloudlet
runs, environment variables.
"""

from __future__ import annotations

from typing import Any

import orjson

from cloudlet.gateway.errors import ServiceError
from cloudlet.gateway.validate import Problem, coral_message
from cloudlet.services.lambda_.errors import invalid_parameter

PYTHON_RUNTIMES = tuple(f"python3.{minor}" for minor in range(9, 15))
CUSTOM_RUNTIMES = ("provided.al2", "provided.al2023")
NODE_RUNTIMES = ("nodejs20.x", "nodejs22.x", "nodejs24.x")
SUPPORTED_RUNTIMES = PYTHON_RUNTIMES + CUSTOM_RUNTIMES + NODE_RUNTIMES

# Runtimes Lambda no longer accepts for creating or updating functions, and the one its
# error message recommends instead.
_DEPRECATED = {
    **{name: "python3.14" for name in ("python2.7", "python3.6", "python3.7", "python3.8")},
    **{
        name: "nodejs22.x"
        for name in (
            "nodejs",
            "nodejs4.3",
            "nodejs4.3-edge",
            "nodejs6.10",
            "nodejs8.10",
            "nodejs10.x",
            "nodejs12.x",
            "nodejs14.x",
            "nodejs16.x",
            "nodejs18.x",
        )
    },
    **{name: "dotnet8" for name in ("dotnetcore1.0", "dotnetcore2.0", "dotnetcore2.1")},
    **{name: "dotnet8" for name in ("dotnetcore3.1", "dotnet6")},
    **{name: "ruby3.3" for name in ("ruby2.5", "ruby2.7")},
    "java8": "java21",
    "go1.x": "provided.al2023",
    "provided": "provided.al2023",
}

MAX_TIMEOUT = 900
MAX_MEMORY = 10240
MAX_EPHEMERAL = 10240
MAX_LAYERS = 5
ENVIRONMENT_LIMIT = 4096
RESERVED_VARIABLES = frozenset(
    (
        "_HANDLER",
        "_X_AMZN_TRACE_ID",
        "AWS_DEFAULT_REGION",
        "AWS_REGION",
        "AWS_EXECUTION_ENV",
        "AWS_LAMBDA_FUNCTION_NAME",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
        "AWS_LAMBDA_FUNCTION_VERSION",
        "AWS_LAMBDA_INITIALIZATION_TYPE",
        "AWS_LAMBDA_LOG_GROUP_NAME",
        "AWS_LAMBDA_LOG_STREAM_NAME",
        "AWS_ACCESS_KEY",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_LAMBDA_RUNTIME_API",
        "LAMBDA_TASK_ROOT",
        "LAMBDA_RUNTIME_DIR",
    )
)


def check_runtime(runtime: str) -> None:
    if runtime in SUPPORTED_RUNTIMES:
        return
    if runtime in _DEPRECATED:
        raise invalid_parameter(
            f"The runtime parameter of {runtime} is no longer supported for creating or updating"
            f" AWS Lambda functions. We recommend you use the new runtime ({_DEPRECATED[runtime]})"
            " while creating or updating functions."
        )
    raise invalid_parameter(
        f"cloudlet does not run the {runtime} runtime; it runs {', '.join(SUPPORTED_RUNTIMES)}"
    )


def check_settings(request: dict[str, Any]) -> None:
    """Timeout, MemorySize, EphemeralStorage and Environment of a create or update request."""
    problems: list[Problem] = []
    timeout = request.get("Timeout")
    if timeout is not None and timeout > MAX_TIMEOUT:
        problems.append(Problem(("Timeout",), "max", timeout, MAX_TIMEOUT))
    memory = request.get("MemorySize")
    if memory is not None and memory > MAX_MEMORY:
        problems.append(Problem(("MemorySize",), "max", memory, MAX_MEMORY))
    storage = (request.get("EphemeralStorage") or {}).get("Size")
    if storage is not None and storage > MAX_EPHEMERAL:
        problems.append(Problem(("EphemeralStorage", "Size"), "max", storage, MAX_EPHEMERAL))
    if problems:
        raise ServiceError("ValidationException", coral_message(problems))
    if "Runtime" in request and request["Runtime"] is not None:
        check_runtime(request["Runtime"])
    environment = request.get("Environment")
    if environment is not None:
        check_environment(environment.get("Variables") or {})
    layers = request.get("Layers")
    if layers is not None and len(layers) > MAX_LAYERS:
        raise invalid_parameter(f"Cannot reference more than {MAX_LAYERS} layers.")


def check_environment(variables: dict[str, str]) -> None:
    reserved = sorted(name for name in variables if name in RESERVED_VARIABLES)
    if reserved:
        raise invalid_parameter(
            "Lambda was unable to configure your environment variables because the environment"
            " variables you have provided contains reserved keys that are currently not supported"
            f" for modification. Reserved keys used in this request: {', '.join(reserved)}"
        )
    measured = orjson.dumps(variables).decode()
    if len(measured.encode()) > ENVIRONMENT_LIMIT:
        raise invalid_parameter(
            "Lambda was unable to configure your environment variables because the environment"
            " variables you have provided exceeded the 4KB limit. String measured: " + measured
        )
