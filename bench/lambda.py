"""Lambda through HTTP: warm invokes, cold starts, idle environments; cloudlet beside MiniStack.

    ./run bench bench/lambda.py            the whole comparison, one run (about 8 minutes)
    ./run bench bench/lambda.py --quick    fewer rounds, 100 environments in the engine part

cloudlet (`cloudlet up` on a new state dir) and MiniStack (its Python functions run as local
worker processes) are started fresh on loopback and take turns, round after round, so that a
noisy neighbour slows both alike; each warm run's best round is reported. moto's Lambda runs
functions in Docker only: it is probed once and its answer reported, not measured.

- Warm invokes of a no-op Python handler: wrk (bench/wrk/lambda.lua, Invoke with a SigV4
  header scoped to Lambda) at 1 connection (latency) and more (throughput), and boto3 threads.
- Cold starts, request to response over one keep-alive HTTP connection, for a no-op handler
  and one importing boto3: in cloudlet, forked from the zygote (cold start forced by changing
  an environment variable, which retires the environments, and again by scaling up while
  every environment is busy), forked from the SnapStart snapshot of a published version
  (scale-up), and a provided.al2023 function whose bootstrap execs a fresh `python -m
  awslambdaric` (the plain interpreter a zygote saves); MiniStack (environment variable
  change); and `python -c 'import noop; noop.handler({}, None)'` with no server at all.
- Memory: the proportional set size (PSS) that a server's process tree grows by per idle
  environment, over HTTP; then bench/lambda_engine.py in full (1,000 environments at once).

Numbers go to stdout as markdown and to bench/results/lambda-*.json.
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import boto3

sys.path.insert(0, str(Path(__file__).resolve().parent))

import lambda_engine
import loadgen
import peers
import report
from peers import ServerProcess

from cloudlet.engine.runtimes import PROVIDED_PACKAGES

sys.path.insert(0, str(peers.ROOT / "tests"))
from aws.lambda_support import make_zip  # the suite's own helpers (tests/)
from server import free_port

BENCH = Path(__file__).resolve().parent
WRK_SCRIPT = str(BENCH / "wrk" / "lambda.lua")
ROLE = "arn:aws:iam::000000000000:role/bench"
RUNTIME = f"python{sys.version_info[0]}.{sys.version_info[1]}"  # the interpreter both use
# The scale-up rounds keep every environment busy with `{"hold": seconds}`; any other event
# returns at once, so the handler stays a no-op for every measured invoke.
HANDLER_BODY = """
def handler(event, context):
    if event and "hold" in event:
        time.sleep(event["hold"])
    return None
"""
MODULES = {
    "noop": "import time\n" + HANDLER_BODY,
    "with_boto3": "import time\n\nimport boto3\n" + HANDLER_BODY,
}
HANDLER_TITLES = {"noop": "no-op", "with_boto3": "imports boto3"}
BOOTSTRAP = f'#!/bin/sh\nexec {sys.executable} -m awslambdaric "$_HANDLER"\n'
AUTHORIZATION = (
    "AWS4-HMAC-SHA256 Credential=test/20250101/us-east-1/lambda/aws4_request, "
    "SignedHeaders=host;x-amz-date, "
    "Signature=0000000000000000000000000000000000000000000000000000000000000000"
)
SERVER_TIME = re.compile(r" Invoke 200 ([0-9.]+)ms$", re.MULTILINE)
INIT_DURATION = re.compile(r"(?:Init|Restore) Duration: ([0-9.]+) ms")
HOLD_SECONDS = 0.8  # how long the holders keep environments busy in a scale-up round
HOLD_SETTLE = 0.3  # time the holders get to reach their environments before the measured one
MIB = 1024 * 1024
TICK = os.sysconf("SC_CLK_TCK")
MOTO_NOTE = "moto runs Lambda functions in Docker containers only, and this machine has no Docker"


# -- deploying ------------------------------------------------------------------------------


def package(files: dict[str, str], executables: tuple[str, ...] = ()) -> bytes:
    """A deployment package, `executables` with mode 755."""
    return make_zip(files, {name: 0o755 for name in executables})


def lambda_client(endpoint: str) -> Any:
    return loadgen.aws_client(endpoint, "lambda", retries={"max_attempts": 1}, read_timeout=120)


def wait_updated(client: Any, name: str, qualifier: str | None = None) -> None:
    """Until the function (version) is Active and its last update Successful."""
    extra = {"Qualifier": qualifier} if qualifier else {}
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        config = client.get_function_configuration(FunctionName=name, **extra)
        if config["State"] == "Active" and config.get("LastUpdateStatus") in (None, "Successful"):
            return
        time.sleep(0.02)
    raise RuntimeError(f"{name} did not become Active: {config}")


def deploy(client: Any, name: str, runtime: str, handler: str, code: bytes, **more: Any) -> None:
    settings = {"Role": ROLE, "MemorySize": 128, "Timeout": 30, **more}
    client.create_function(
        FunctionName=name, Runtime=runtime, Handler=handler, Code={"ZipFile": code}, **settings
    )
    wait_updated(client, name)


def publish_snapstart(client: Any, name: str) -> str:
    """Publish a version of a function created with SnapStart on published versions."""
    version = client.publish_version(FunctionName=name)["Version"]
    wait_updated(client, name, version)
    return str(version)


# -- invoking over raw HTTP ---------------------------------------------------------------


class Invoker:
    """Invoke over one keep-alive HTTP connection, headers as boto3 sends them (unsigned)."""

    def __init__(self, endpoint: str) -> None:
        host, port = endpoint.removeprefix("http://").split(":")
        self.connection = http.client.HTTPConnection(host, int(port), timeout=120)

    def invoke(
        self, name: str, payload: bytes = b"{}", qualifier: str | None = None, tail: bool = False
    ) -> tuple[float, str]:
        """(milliseconds from request to the whole response, the log tail when asked)."""
        path = f"/2015-03-31/functions/{name}/invocations"
        if qualifier:
            path += f"?Qualifier={qualifier}"
        headers = {
            "Content-Type": "application/octet-stream",
            "X-Amz-Date": "20250101T000000Z",
            "Authorization": AUTHORIZATION,
        }
        if tail:
            headers["X-Amz-Log-Type"] = "Tail"
        started = time.perf_counter()
        self.connection.request("POST", path, payload, headers)
        answer = self.connection.getresponse()
        body = answer.read()
        took = (time.perf_counter() - started) * 1000
        if answer.status != 200 or answer.getheader("X-Amz-Function-Error"):
            raise RuntimeError(f"{name} answered {answer.status}: {body[:300]!r}")
        log = answer.getheader("X-Amz-Log-Result") or ""
        return took, base64.b64decode(log).decode("utf-8", "replace")

    def close(self) -> None:
        self.connection.close()


def reported_init_ms(tail: str) -> float | None:
    """The Init (or Restore) Duration of the log tail's REPORT line; 0.0 when it has none (a
    warm start), None without a REPORT line (MiniStack returns no log tail)."""
    if "REPORT RequestId" not in tail:
        return None
    found = INIT_DURATION.search(tail)
    return float(found[1]) if found else 0.0


# -- cold starts ---------------------------------------------------------------------------


@dataclass
class ColdResult:
    times_ms: list[float] = field(default_factory=list)
    init_ms: list[float] = field(default_factory=list)  # as the server's REPORT lines say
    missed: int = 0  # measured invokes that found a warm environment (discarded)

    def add(self, took: float, tail: str) -> bool:
        """Count one measured invoke if it was a cold start; False if it was not."""
        init = reported_init_ms(tail)
        if init == 0.0:
            self.missed += 1
            return False
        self.times_ms.append(took)
        if init is not None:
            self.init_ms.append(init)
        return True

    def summary(self) -> dict[str, Any]:
        ordered = sorted(self.times_ms)
        inits = sorted(self.init_ms)
        return {
            "p50": loadgen.percentile(ordered, 50),
            "p90": loadgen.percentile(ordered, 90),
            "min": ordered[0],
            "n": len(ordered),
            "reported_init_p50": loadgen.percentile(inits, 50) if inits else None,
            "missed": self.missed,
            "times_ms": self.times_ms,
            "init_ms": self.init_ms,
        }


def cold_by_update(endpoint: str, name: str, rounds: int) -> ColdResult:
    """Change an environment variable before each invoke: the update retires every
    environment of $LATEST, so the invoke that follows starts a new one."""
    client = lambda_client(endpoint)
    invoker = Invoker(endpoint)
    result = ColdResult()
    try:
        for round_number in range(rounds):
            client.update_function_configuration(
                FunctionName=name, Environment={"Variables": {"ROUND": str(round_number)}}
            )
            wait_updated(client, name)
            result.add(*invoker.invoke(name, tail=True))
    finally:
        invoker.close()
    return result


def cold_by_scale_up(endpoint: str, name: str, qualifier: str | None, rounds: int) -> ColdResult:
    """Keep every existing environment busy (`hold` invokes), then invoke: no environment is
    free, so the invoke starts a new one, as a burst of traffic would. The pool grows by one
    environment a round. Invokes that still found a warm one (a holder was late) are retried."""
    invoker = Invoker(endpoint)
    result = ColdResult()
    busy = 1
    invoker.invoke(name, qualifier=qualifier)  # the first environment (and the snapshot)
    try:
        while len(result.times_ms) < rounds and result.missed < rounds:
            holders = [
                threading.Thread(target=_hold, args=(endpoint, name, qualifier))
                for _ in range(busy)
            ]
            for holder in holders:
                holder.start()
            time.sleep(HOLD_SETTLE)
            took, tail = invoker.invoke(name, qualifier=qualifier, tail=True)
            for holder in holders:
                holder.join()
            if result.add(took, tail):
                busy += 1
    finally:
        invoker.close()
    return result


def start_at_once(endpoint: str, name: str, count: int) -> float:
    """Make `count` environments of a function exist, by as many concurrent `hold` invokes;
    the seconds until all of them answered."""
    started = time.perf_counter()
    threads = [threading.Thread(target=_hold, args=(endpoint, name, None)) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started


def _hold(endpoint: str, name: str, qualifier: str | None) -> None:
    invoker = Invoker(endpoint)
    try:
        invoker.invoke(name, json.dumps({"hold": HOLD_SECONDS}).encode(), qualifier)
    finally:
        invoker.close()


def fresh_python_ms(rounds: int) -> dict[str, ColdResult]:
    """`python -c 'import noop; noop.handler({}, None)'`: an interpreter per call, no server."""
    code = Path(tempfile.mkdtemp(prefix="bench-lambda-code-"))
    for module, text in MODULES.items():
        (code / f"{module}.py").write_text(text)
    return {
        module: ColdResult(lambda_engine.fresh_process_ms(code, module, rounds))
        for module in MODULES
    }


# -- warm invokes --------------------------------------------------------------------------


def warm_wrk(endpoint: str, name: str, connections: int, seconds: float) -> loadgen.LoadResult:
    return loadgen.wrk(endpoint, WRK_SCRIPT, [name], connections=connections, seconds=seconds)


def warm_boto3(endpoint: str, name: str, threads: int, seconds: float) -> loadgen.LoadResult:
    def prepare(_: int) -> loadgen.Step:
        client = lambda_client(endpoint)

        def step(recorder: loadgen.Recorder) -> int:
            answer = recorder.call(client.invoke, FunctionName=name, Payload=b"{}")
            if answer is None:
                return 0
            answer["Payload"].read()
            return 1

        return step

    return loadgen.client_threads(prepare, threads, seconds)


def server_side_ms(state_dir: Path, seconds: float) -> dict[str, float]:
    """cloudlet's own timing of each warm Invoke (its DEBUG log: from routing to the serialized
    response; parsing the HTTP request and writing the answer are left out), at 1 connection.
    On a server of its own: logging every request slows it."""
    server = peers.cloudlet(free_port(), state_dir)
    server.env["CLOUDLET_LOG_LEVEL"] = "debug"
    with server.start():
        assert server.log_path is not None
        code = package({"noop.py": MODULES["noop"]})
        deploy(lambda_client(server.endpoint), "warm", RUNTIME, "noop.handler", code)
        warm_wrk(server.endpoint, "warm", 1, 1.0)
        offset = server.log_path.stat().st_size
        client = warm_wrk(server.endpoint, "warm", 1, seconds)
        with server.log_path.open("rb") as log:
            log.seek(offset)
            text = log.read().decode("utf-8", "replace")
    times = sorted(float(found) for found in SERVER_TIME.findall(text))
    return {
        "p50_ms": loadgen.percentile(times, 50),
        "p99_ms": loadgen.percentile(times, 99),
        "n": len(times),
        "client_p50_ms": client.p50_ms,
    }


# -- memory ---------------------------------------------------------------------------------


def tree_pids(pid: int) -> list[int]:
    pids, pending = [], [pid]
    while pending:
        current = pending.pop()
        pids.append(current)
        try:
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except OSError:
            continue
        pending.extend(int(child) for child in children)
    return pids


def cpu_seconds(pid: int) -> tuple[float, float]:
    """(user, system) CPU time of one process so far; zeros once it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0, 0.0
    return int(fields[11]) / TICK, int(fields[12]) / TICK  # utime, stime


def tree_cpu(pid: int) -> tuple[float, float]:
    """(user, system) CPU time of a process and its descendants alive now."""
    times = [cpu_seconds(current) for current in tree_pids(pid)]
    return sum(user for user, _ in times), sum(system for _, system in times)


def tree_pss_kb(pid: int) -> int:
    """The proportional set size of a process and all its descendants: the physical memory
    they use between them, shared pages counted once."""
    total = 0
    for current in tree_pids(pid):
        try:
            total += lambda_engine.pss_kb(current)
        except OSError:
            continue
    return total


def idle_environment_pss(server: ServerProcess, name: str, count: int) -> dict[str, float]:
    """How much a server's process tree grows per idle environment: `count` environments of
    a function no one invoked yet, started at once by concurrent invokes, then left idle."""
    assert server.process is not None
    before = tree_pss_kb(server.process.pid)
    elapsed = start_at_once(server.endpoint, name, count)
    time.sleep(1.0)  # let the servers settle: buffers freed, logs written
    after = tree_pss_kb(server.process.pid)
    return {
        "environments": count,
        "pss_per_environment_mb": (after - before) / count / 1024,
        "tree_pss_before_mb": before / 1024,
        "tree_pss_after_mb": after / 1024,
        "start_all_s": elapsed,
    }


# -- moto and the engine alone --------------------------------------------------------------


def probe_moto() -> dict[str, Any]:
    """Create and invoke a no-op function on moto: what it answers without Docker."""
    with peers.moto(free_port()).start() as server:
        client = lambda_client(server.endpoint)
        iam = loadgen.aws_client(server.endpoint, "iam")
        role = iam.create_role(RoleName="bench", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
        code = package({"noop.py": MODULES["noop"]})
        deploy(client, "noop", RUNTIME, "noop.handler", code, Role=role)
        answer = client.invoke(FunctionName="noop", Payload=b"{}")
        return {
            "status": answer["StatusCode"],
            "function_error": answer.get("FunctionError"),
            "payload": answer["Payload"].read()[:300].decode("utf-8", "replace"),
        }


def engine_alone(quick: bool) -> dict[str, Any]:
    """bench/lambda_engine.py in its own process: the engine without HTTP."""
    command = [sys.executable, str(BENCH / "lambda_engine.py"), *(["--quick"] if quick else [])]
    done = subprocess.run(command, capture_output=True, text=True, timeout=1800)
    if done.returncode != 0:
        raise RuntimeError(f"lambda_engine.py failed:\n{done.stderr[-3000:]}")
    return dict(json.loads(done.stdout))


# -- the run ----------------------------------------------------------------------------------


def ministack_with_boto3(site: Path) -> ServerProcess:
    """MiniStack, its workers given boto3 as AWS's Python runtimes give it (they run on
    MiniStack's own venv, which has botocore but no boto3): a directory of links to the
    project's packages, put on the workers' path by MiniStack's own layer variable."""
    python = site / "python"
    python.mkdir(parents=True, exist_ok=True)
    for name in PROVIDED_PACKAGES:
        module = __import__(name)
        source = Path(module.__file__ or "")
        source = source.parent if source.name == "__init__.py" else source
        (python / source.name).symlink_to(source)
    server = peers.ministack(free_port())
    server.env["_LAMBDA_LAYERS_DIRS"] = str(site)
    return server


def deploy_all(name: str, endpoint: str, cloudlet: bool) -> dict[str, str]:
    """Every function the run invokes on this server; SnapStart versions by handler."""
    client = lambda_client(endpoint)
    python_code = package({f"{m}.py": text for m, text in MODULES.items()})
    deploy(client, "warm", RUNTIME, "noop.handler", python_code)
    deploy(client, "idle", RUNTIME, "noop.handler", python_code)
    versions = {}
    for module in MODULES:
        deploy(client, f"cold-{module}", RUNTIME, f"{module}.handler", python_code)
        if not cloudlet:
            continue
        deploy(client, f"scale-{module}", RUNTIME, f"{module}.handler", python_code)
        deploy(
            client,
            f"snap-{module}",
            RUNTIME,
            f"{module}.handler",
            python_code,
            SnapStart={"ApplyOn": "PublishedVersions"},
        )
        versions[module] = publish_snapstart(client, f"snap-{module}")
        fresh_code = package(
            {"bootstrap": BOOTSTRAP, **{f"{m}.py": t for m, t in MODULES.items()}},
            executables=("bootstrap",),
        )
        deploy(client, f"fresh-{module}", "provided.al2023", f"{module}.handler", fresh_code)
    print(f"{name}: functions deployed", flush=True)
    return versions


COLD_WAYS = {
    "zygote-update": "cloudlet, zygote fork (environment variable changed)",
    "zygote-scale": "cloudlet, zygote fork (scale-up, every environment busy)",
    "snapstart": "cloudlet, SnapStart snapshot of version 1 (scale-up)",
    "fresh-process": "cloudlet, provided.al2023: bootstrap execs python -m awslambdaric",
    "ministack": "MiniStack, worker process (environment variable changed)",
    "python-c": "python -c 'import M; M.handler({}, None)', no server",
}


def measure_cold(
    servers: dict[str, ServerProcess], versions: dict[str, str], args: argparse.Namespace
) -> dict[str, dict[str, dict[str, Any]]]:
    cloudlet = servers["cloudlet"].endpoint
    results: dict[str, dict[str, dict[str, Any]]] = {}
    for module in MODULES:
        runs: dict[str, Callable[[], ColdResult]] = {
            "zygote-update": lambda m=module: cold_by_update(cloudlet, f"cold-{m}", args.rounds),
            "zygote-scale": lambda m=module: cold_by_scale_up(
                cloudlet, f"scale-{m}", None, args.rounds
            ),
            "snapstart": lambda m=module: cold_by_scale_up(
                cloudlet, f"snap-{m}", versions[m], args.rounds
            ),
            "fresh-process": lambda m=module: cold_by_update(
                cloudlet, f"fresh-{m}", args.fresh_rounds
            ),
        }
        if "ministack" in servers:
            runs["ministack"] = lambda m=module: cold_by_update(
                servers["ministack"].endpoint, f"cold-{m}", args.fresh_rounds
            )
        results[module] = {}
        for way, run in runs.items():
            outcome = run()
            results[module][way] = outcome.summary()
            print(
                f"cold {module:10} {way:14} p50 {results[module][way]['p50']:8.1f} ms"
                f"  p90 {results[module][way]['p90']:8.1f} ms  (n={len(outcome.times_ms)},"
                f" missed {outcome.missed})",
                flush=True,
            )
    for module, outcome in fresh_python_ms(args.fresh_rounds).items():
        results[module]["python-c"] = outcome.summary()
    return results


def measure_warm(
    servers: dict[str, ServerProcess], args: argparse.Namespace
) -> dict[str, dict[str, list[dict[str, Any]]]]:
    """Every client setting against every server, servers taking turns within a round."""
    settings = [("wrk", c) for c in args.connections] + [("boto3", args.boto3_threads)]
    runs: dict[str, dict[str, list[dict[str, Any]]]] = {name: {} for name in servers}
    for server in servers.values():
        start_at_once(server.endpoint, "warm", max(width for _, width in settings))
    for round_number in range(1, args.warm_rounds + 1):
        for client_name, width in settings:
            key = f"{client_name}/{width}"
            for name, server in servers.items():
                assert server.process is not None
                measure = warm_wrk if client_name == "wrk" else warm_boto3
                measure(server.endpoint, "warm", width, args.warmup)
                before = sum(tree_cpu(server.process.pid))
                result = measure(server.endpoint, "warm", width, args.seconds)
                used = sum(tree_cpu(server.process.pid)) - before
                cpu_us = used * 1e6 / max(1, result.requests)
                runs[name].setdefault(key, []).append({**asdict(result), "cpu_us": cpu_us})
                print(
                    f"round {round_number} warm {key:8} {name:10}"
                    f" {result.requests_per_s:8,.0f} invokes/s  p50 {result.p50_ms:7.2f} ms"
                    f"  p99 {result.p99_ms:7.2f} ms  CPU {cpu_us:6.0f} µs/invoke"
                    f"  errors {result.errors}",
                    flush=True,
                )
    return runs


def best(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The round with the highest rate: on a shared machine, noise only ever slows a run."""
    return max(runs, key=lambda run: run["requests"] / run["seconds"])


def rate(run: dict[str, Any]) -> float:
    return float(run["requests"] / run["seconds"])


# -- report -------------------------------------------------------------------------------


def render(results: dict[str, Any], args: argparse.Namespace) -> str:
    parts = []
    warm = results["warm"]
    names = list(warm)
    rows = []
    for key in warm["cloudlet"]:
        client_name, width = key.split("/")
        what = f"{width} connection{'s' * (width != '1')}" if client_name == "wrk" else ""
        what = what or f"{width} threads"
        for name in names:
            run = best(warm[name][key])
            rows.append(
                [
                    client_name,
                    what,
                    name,
                    round(rate(run)),
                    run["p50_ms"],
                    run["p99_ms"],
                    round(run["cpu_us"]),
                    run["errors"],
                ]
            )
    headers = ["client", "load", "server", "invokes/s", "p50 ms", "p99 ms"]
    headers += ["CPU µs per invoke, server + environments", "errors"]
    parts.append("Warm invokes, no-op handler:\n\n" + report.table(headers, rows))
    side = results["server_side"]
    parts.append(
        "cloudlet's own timing of each warm Invoke at 1 connection (DEBUG log, routing to"
        " serialized response; a server of its own):\n\n"
        + report.table(
            ["server-side p50 ms", "server-side p99 ms", "invokes", "wrk p50 ms meanwhile"],
            [[side["p50_ms"], side["p99_ms"], side["n"], side["client_p50_ms"]]],
        )
    )
    if "ministack" in warm:
        ratio_rows = []
        for key in warm["cloudlet"]:
            ours, theirs = best(warm["cloudlet"][key]), best(warm["ministack"][key])
            ratio_rows.append(
                [
                    key.replace("/", ", "),
                    f"{rate(ours) / rate(theirs):.1f}x",
                    f"{theirs['p50_ms'] / ours['p50_ms']:.1f}x",
                ]
            )
        parts.append(
            "cloudlet against MiniStack, warm:\n\n"
            + report.table(
                ["client, width", "invokes/s ratio", "p50 latency ratio (theirs / ours)"],
                ratio_rows,
            )
        )
    cold = results["cold"]
    rows = []
    for module, ways in cold.items():
        for way, numbers in ways.items():
            rows.append(
                [
                    HANDLER_TITLES[module],
                    COLD_WAYS[way],
                    numbers["p50"],
                    numbers["p90"],
                    numbers["min"],
                    numbers["n"],
                    _or_na(numbers["reported_init_p50"]),
                ]
            )
    parts.append(
        "Cold starts, request to response (ms); the last column is the Init (or Restore)"
        " Duration the server's REPORT line gives, p50:\n\n"
        + report.table(["handler", "how", "p50", "p90", "min", "n", "reported init"], rows)
    )
    ratio_rows = []
    for module, ways in cold.items():
        for way in ("zygote-update", "snapstart"):
            ours = ways[way]["p50"]
            row = [HANDLER_TITLES[module], COLD_WAYS[way].split(" (")[0], ours]
            for other in ("fresh-process", "python-c", "ministack"):
                theirs = ways.get(other)
                row.append(f"{theirs['p50'] / ours:.0f}x" if theirs else "n/a")
            ratio_rows.append(row)
    parts.append(
        "How many times faster the cloudlet cold start is (p50 against p50):\n\n"
        + report.table(
            [
                "handler",
                "cloudlet",
                "p50 ms",
                "vs fresh python (HTTP)",
                "vs python -c",
                "vs MiniStack",
            ],
            ratio_rows,
        )
    )
    memory = results["memory"]
    parts.append(
        f"Idle environments started by {args.idle} concurrent invokes over HTTP; the server's"
        " process tree PSS before and after:\n\n"
        + report.table(
            ["server", "PSS per environment MB", "tree before MB", "tree after MB", "start all s"],
            [
                [
                    name,
                    m["pss_per_environment_mb"],
                    m["tree_pss_before_mb"],
                    m["tree_pss_after_mb"],
                    m["start_all_s"],
                ]
                for name, m in memory.items()
            ],
        )
    )
    engine = results.get("engine")
    if engine:
        many = engine["idle_environments"]
        cold_rows = [
            [HANDLER_TITLES[module], way, numbers["p50"], numbers["p90"]]
            for module, ways in engine["cold_start_ms"].items()
            for way, numbers in ways.items()
        ]
        parts.append(
            "The engine alone (bench/lambda_engine.py, no HTTP, same run):\n\n"
            + report.table(["handler", "how", "cold p50 ms", "cold p90 ms"], cold_rows)
            + "\n\n"
            + report.table(
                [
                    "warm p50 ms",
                    "warm p99 ms",
                    "invokes/s (8 at once)",
                    "environments alive at once",
                    "PSS per idle environment MB",
                    "PSS of all MB",
                    "start all s",
                ],
                [
                    [
                        engine["warm"]["p50_ms"],
                        engine["warm"]["p99_ms"],
                        round(engine["warm"]["invokes_per_s"]),
                        many["environments"],
                        many["pss_mean_kb"] / 1024,
                        many["pss_total_mb"],
                        many["start_all_s"],
                    ]
                ],
            )
        )
    parts.append(f"moto: {results['moto']}")
    return "\n\n".join(parts)


def _or_na(value: float | None) -> float | str:
    return "n/a" if value is None else value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="short runs, fewer rounds")
    parser.add_argument("--no-ministack", action="store_true", help="cloudlet alone")
    parser.add_argument("--rounds", type=int, default=20, help="cold starts per fork way")
    parser.add_argument(
        "--fresh-rounds", type=int, default=12, help="cold starts per fresh-process way"
    )
    parser.add_argument("--seconds", type=float, default=5.0, help="length of each warm run")
    parser.add_argument("--warm-rounds", type=int, default=3, help="best round reported")
    parser.add_argument("--warmup", type=float, default=1.0, help="unmeasured run before each")
    parser.add_argument("--connections", type=int, nargs="+", default=[1, 4, 32])
    parser.add_argument("--boto3-threads", type=int, default=4)
    parser.add_argument("--idle", type=int, default=20, help="environments in the PSS phase")
    parser.add_argument("--no-engine", action="store_true", help="skip bench/lambda_engine.py")
    args = parser.parse_args()
    if args.quick:
        args.rounds, args.fresh_rounds, args.seconds, args.warm_rounds = 10, 4, 2.0, 1

    results: dict[str, Any] = {"machine": report.machine(), "args": vars(args)}
    results["versions"] = {
        "ministack": None
        if args.no_ministack
        else peers.installed_version("ministack", "ministack"),
        "boto3": boto3.__version__,
    }
    print(f"machine: {results['machine']}\nversions: {results['versions']}", flush=True)
    with tempfile.TemporaryDirectory(prefix="bench-lambda-") as scratch:
        root = Path(scratch)
        servers = {"cloudlet": peers.cloudlet(free_port(), root / "cloudlet")}
        if not args.no_ministack:
            servers["ministack"] = ministack_with_boto3(root / "ministack-runtime")
        try:
            for server in servers.values():
                server.start()
            versions = {}
            for name, server in servers.items():
                found = deploy_all(name, server.endpoint, cloudlet=name == "cloudlet")
                versions.update(found)
            results["cold"] = measure_cold(servers, versions, args)
            results["warm"] = measure_warm(servers, args)
            results["memory"] = {
                name: idle_environment_pss(server, "idle", args.idle)
                for name, server in servers.items()
            }
            for name, numbers in results["memory"].items():
                print(f"{name}: {numbers}", flush=True)
            results["server_side"] = server_side_ms(root / "cloudlet-debug", args.seconds)
            print(f"cloudlet, server-side: {results['server_side']}", flush=True)
        finally:
            for server in servers.values():
                server.stop()
    try:
        results["moto"] = probe_moto()
    except Exception as error:  # the probe only reports; it must not lose the run
        results["moto"] = {"error": repr(error)}
    results["moto"]["note"] = MOTO_NOTE
    if not args.no_engine:
        print("the engine alone (bench/lambda_engine.py)...", flush=True)
        results["engine"] = engine_alone(args.quick)
    results["load_average_after"] = report.load_average()
    text = render(results, args)
    path = report.save("lambda", {**results, "markdown": text})
    print(f"\n{text}\n\nsaved to {path.relative_to(peers.ROOT)}")


if __name__ == "__main__":
    main()
