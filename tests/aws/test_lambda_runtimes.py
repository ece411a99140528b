"""The engine's settings through a real server: runtimes without their interpreter (strict or
not), the account's concurrency limit, the zygote's preloaded modules, the keep-alive."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
import time
import urllib.request

import pytest
from lambda_support import create_function, unique

from cloudlet.engine.runtimes import python_interpreter
from conftest import client
from server import Server

# python3.14 has no interpreter on this machine: it runs on the closest one, or is refused.
MISSING_RUNTIME = "python3.14"
VERSION_CODE = """
import sys
PRELOADED = "email.mime.text" in sys.modules  # imported by the zygote, not by this module
def handler(event, context):
    return {"python": list(sys.version_info[:2]), "preloaded": PRELOADED}
"""

pytestmark = pytest.mark.skipif(
    python_interpreter(MISSING_RUNTIME, strict=False).warning is None,
    reason=f"{MISSING_RUNTIME} has its own interpreter here",
)


@pytest.fixture(scope="module")
def tuned(tmp_path_factory):
    """A server with every engine setting changed from its default."""
    env = {
        "CLOUDLET_STRICT_RUNTIMES": "1",
        "CLOUDLET_CONCURRENCY_LIMIT": "150",
        "CLOUDLET_PRELOAD": "email.mime.text",
        "CLOUDLET_KEEP_ALIVE": "0.5",
    }
    instance = Server(tmp_path_factory.mktemp("tuned"), env=env).start()
    yield instance
    instance.stop()


def engine_status(server: Server) -> dict:
    with urllib.request.urlopen(f"{server.endpoint}/_cloudlet/status") as answer:
        return json.load(answer)["engine"]


def test_strict_runtimes_refuse_a_runtime_without_its_interpreter(tuned):
    lam = client(tuned, "lambda")
    name = unique("strict")
    create_function(lam, name, VERSION_CODE, runtime=MISSING_RUNTIME)
    with pytest.raises(lam.exceptions.InvalidRuntimeException) as caught:
        lam.invoke(FunctionName=name, Payload=b"{}")
    error = caught.value.response
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 502
    assert error["Error"]["Message"] == (
        "no local Python 3.14 interpreter for runtime python3.14 (install it, or unset"
        " CLOUDLET_STRICT_RUNTIMES to run on the closest one)"
    )


def test_without_strict_a_runtime_runs_on_the_closest_interpreter_and_says_so(server):
    lam = client(server, "lambda")
    name = unique("closest")
    create_function(lam, name, VERSION_CODE, runtime=MISSING_RUNTIME)
    response = lam.invoke(FunctionName=name, Payload=b"{}", LogType="Tail")
    result = json.loads(response["Payload"].read())
    assert "FunctionError" not in response, result
    closest = python_interpreter(MISSING_RUNTIME, strict=False)
    assert result["python"] == list(closest.version)
    warning = f"[WARNING] cloudlet: {closest.warning}"
    # In the function's log, at init (ahead of the invocation's START), and in its tail.
    tail = base64.b64decode(response["LogResult"]).decode()
    assert tail.index(warning) < tail.index("START RequestId:")
    logs = client(server, "logs")
    events = logs.filter_log_events(logGroupName=f"/aws/lambda/{name}")["events"]
    assert warning in [event["message"] for event in events]
    shown = subprocess.run(
        [sys.executable, "-m", "cloudlet", "status", "--port", str(server.port)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert f"warning: {closest.warning}" in shown


def test_the_account_concurrency_limit_is_the_setting(tuned):
    settings = client(tuned, "lambda").get_account_settings()
    assert settings["AccountLimit"]["ConcurrentExecutions"] == 150
    assert settings["AccountLimit"]["UnreservedConcurrentExecutions"] == 150


def test_zygotes_preload_the_modules_of_the_setting(tuned):
    lam = client(tuned, "lambda")
    name = unique("preload")
    create_function(lam, name, VERSION_CODE)
    result = json.loads(lam.invoke(FunctionName=name, Payload=b"{}")["Payload"].read())
    assert result["preloaded"] is True


def test_idle_environments_are_stopped_after_the_keep_alive(tuned):
    lam = client(tuned, "lambda")
    name = unique("keep-alive")
    create_function(lam, name, VERSION_CODE)
    lam.invoke(FunctionName=name, Payload=b"{}")
    deadline = time.monotonic() + 10
    while engine_status(tuned)["environments_idle"] and time.monotonic() < deadline:
        time.sleep(0.1)
    assert engine_status(tuned)["environments_idle"] == 0
