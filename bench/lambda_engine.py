"""The engine on its own (no HTTP): cold starts, warm invokes, memory per environment.

    ./run bench bench/lambda_engine.py [--quick]

Cold start, request to response, for a no-op handler and one that imports boto3, three ways
in the same run: a plain fresh `python` process (interpreter start + imports + handler), a
fork from the zygote, and a fork from the function's snapshot. Then warm invoke latency and
throughput, and the proportional memory (PSS) of idle environments, with how many of them
this machine holds at once.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import replace
from pathlib import Path

from cloudlet.engine.engine import Engine
from cloudlet.engine.environment import InvokeRequest
from cloudlet.engine.spec import FunctionSpec

HANDLERS = {
    "noop.py": "def handler(event, context):\n    return None\n",
    "with_boto3.py": "import boto3\n\ndef handler(event, context):\n    return None\n",
}


def spec_for(code: Path, handler: str, revision: str) -> FunctionSpec:
    return FunctionSpec(
        function_name="bench",
        version="$LATEST",
        function_arn=f"arn:aws:lambda:us-east-1:000000000000:function:bench-{handler}",
        runtime=f"python{sys.version_info[0]}.{sys.version_info[1]}",
        handler=handler,
        code_dir=str(code),
        opt_dir=None,
        memory_size=128,
        timeout=30,
        region="us-east-1",
        account_id="000000000000",
        endpoint="http://localhost:4566",
        tmp_dir=str(code.parent / "tmp"),
        revision=revision,
    )


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


def fresh_process_ms(code: Path, module: str, rounds: int) -> list[float]:
    """A new interpreter per invocation: what a cold start costs without a zygote."""
    command = [
        sys.executable,
        "-c",
        f"import sys; sys.path.insert(0, {str(code)!r}); import {module}; "
        f"{module}.handler({{}}, None)",
    ]
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        subprocess.run(command, check=True)
        times.append((time.perf_counter() - started) * 1000)
    return times


async def cold_ms(engine: Engine, code: Path, module: str, rounds: int, snapshot: bool) -> list:
    times = []
    base = replace(spec_for(code, f"{module}.handler", "0"), snapshot=snapshot)
    # Warm the zygote (and the snapshot) first: their one-time start is not a cold start.
    await engine.invoke(base, InvokeRequest("warm-up", b"{}", base.function_arn))
    for _ in range(rounds):
        # A busy environment forces the next invocation onto a new one: a cold start.
        blocker = next(iter(engine.idle[base.key]), None)
        if blocker is not None:
            engine.idle[base.key].remove(blocker)
        started = time.perf_counter()
        await engine.invoke(base, InvokeRequest(str(uuid.uuid4()), b"{}", base.function_arn))
        times.append((time.perf_counter() - started) * 1000)
        engine.idle[base.key].append(blocker) if blocker is not None else None
        for environment in engine.idle[base.key][:-1]:
            engine.idle[base.key].remove(environment)
            engine._retire(environment)
        await asyncio.sleep(0.02)  # let the zygote fork its next spare
    return times


async def warm(engine: Engine, code: Path, rounds: int, concurrency: int) -> dict:
    spec = spec_for(code, "noop.handler", "warm")
    payload = b"{}"
    await engine.invoke(spec, InvokeRequest("w", payload, spec.function_arn))
    latencies = []
    for _ in range(rounds):
        started = time.perf_counter()
        await engine.invoke(spec, InvokeRequest("w", payload, spec.function_arn))
        latencies.append((time.perf_counter() - started) * 1000)

    async def worker(count: int) -> None:
        for _ in range(count):
            await engine.invoke(spec, InvokeRequest("w", payload, spec.function_arn))

    total = rounds * 2
    started = time.perf_counter()
    await asyncio.gather(*(worker(total // concurrency) for _ in range(concurrency)))
    rate = total / (time.perf_counter() - started)
    return {
        "p50_ms": percentile(latencies, 0.5),
        "p99_ms": percentile(latencies, 0.99),
        "invokes_per_s": rate,
    }


def pss_kb(pid: int) -> int:
    with open(f"/proc/{pid}/smaps_rollup") as rollup:
        for line in rollup:
            if line.startswith("Pss:"):
                return int(line.split()[1])
    return 0


async def many(engine: Engine, code: Path, count: int) -> dict:
    """Start `count` environments at once and keep them idle: how much each one costs."""
    spec = spec_for(code, "noop.handler", "many")
    started = time.perf_counter()
    batch = 50
    ours = []  # not the pool: it also holds the environments of the earlier phases
    for first in range(0, count, batch):
        ours += await asyncio.gather(
            *(engine.new_environment(spec) for _ in range(min(batch, count - first)))
        )
    engine.idle[spec.key].extend(ours)
    elapsed = time.perf_counter() - started
    alive = [e for e in ours if e.state == "IDLE"]
    pss = [pss_kb(e.pid) for e in alive]
    return {
        "environments": len(alive),
        "start_all_s": elapsed,
        "pss_mean_kb": statistics.mean(pss),
        "pss_total_mb": sum(pss) / 1024,
    }


async def main(quick: bool) -> dict:
    rounds = 20 if quick else 60
    root = Path(tempfile.mkdtemp(prefix="cloudlet-bench-"))
    code = root / "code"
    code.mkdir()
    for name, text in HANDLERS.items():
        (code / name).write_text(text)
    engine = Engine(root / "state", lambda *args: None, keep_alive=3600)
    await engine.start()
    results: dict = {"cold_start_ms": {}}
    try:
        for module in ("noop", "with_boto3"):
            fresh = fresh_process_ms(code, module, max(5, rounds // 4))
            zygote = await cold_ms(engine, code, module, rounds, snapshot=False)
            snap = await cold_ms(engine, code, module, rounds, snapshot=True)
            results["cold_start_ms"][module] = {
                way: {"p50": percentile(t, 0.5), "p90": percentile(t, 0.9)}
                for way, t in (("fresh_python", fresh), ("zygote", zygote), ("snapshot", snap))
            }
        results["warm"] = await warm(engine, code, rounds * 25, concurrency=8)
        results["idle_environments"] = await many(engine, code, 100 if quick else 1000)
    finally:
        await engine.stop()
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds, 100 environments")
    args = parser.parse_args()
    print(json.dumps(asyncio.run(main(args.quick)), indent=2))
