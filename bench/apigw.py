"""API Gateway: an HTTP API route to a warm no-op function, next to a direct Invoke of the
same function in the same run.

    ./run bench bench/apigw.py [--seconds 5] [--rounds 3]

cloudlet is started fresh on loopback; the function (Python, returns a 200 with a short
body) is called through `GET /execute-api/{apiId}/ping` (quick-created HTTP API, payload
format 2.0) and through Lambda's Invoke (both with bench/wrk/request.lua), alternating round after
round so that a noisy neighbour slows both alike; each one's best round is reported, at 1
connection (latency) and 16 (throughput). Results: stdout (markdown) and
bench/results/apigw-*.json.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import loadgen
import peers

HERE = Path(__file__).resolve().parent
NOOP = "def handler(event, context):\n    return {'statusCode': 200, 'body': 'pong'}\n"


def clients(endpoint: str) -> tuple[object, object]:
    return loadgen.aws_client(endpoint, "lambda"), loadgen.aws_client(endpoint, "apigatewayv2")


def deploy(endpoint: str) -> tuple[str, str]:
    """The function (warm) and its route: the HTTP API path and the function's name."""
    lam, gw = clients(endpoint)
    name = loadgen.lambda_function(lam, NOOP, timeout=3)
    arn = lam.get_function(FunctionName=name)["Configuration"]["FunctionArn"]  # type: ignore[attr-defined]
    api = gw.create_api(  # type: ignore[attr-defined]
        Name="bench", ProtocolType="HTTP", Target=arn, RouteKey="GET /ping"
    )
    path = f"/execute-api/{api['ApiId']}/ping"
    for _ in range(20):  # warm: the environment exists before the first measured request
        with urllib.request.urlopen(endpoint + path) as answer:
            assert answer.read() == b"pong"
    return path, name


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    results: dict[str, dict[str, float]] = {}
    with (
        tempfile.TemporaryDirectory() as state,
        peers.cloudlet(4610, Path(state), "normal") as server,
    ):
        server.start()
        path, function = deploy(server.endpoint)
        script = str(HERE / "wrk" / "request.lua")
        runs = {
            "HTTP API route": ["GET", path],
            "direct Invoke": ["POST", f"/2015-03-31/functions/{function}/invocations", "{}"],
        }
        for _ in range(args.rounds):
            for connections in (1, 16):
                for label, script_args in runs.items():
                    measured = loadgen.wrk(
                        server.endpoint,
                        script,
                        script_args,
                        connections=connections,
                        seconds=args.seconds,
                    )
                    key = f"{label}, {connections} connection{'s' if connections > 1 else ''}"
                    best = results.get(key)
                    if best is None or measured.requests_per_s > best["requests_per_s"]:
                        results[key] = {
                            "requests_per_s": round(measured.requests_per_s),
                            "p50_ms": round(measured.p50_ms, 3),
                            "p99_ms": round(measured.p99_ms, 3),
                            "errors": measured.errors,
                        }
    print("| path | requests/s | p50 ms | p99 ms | errors |")
    print("|---|---:|---:|---:|---:|")
    for key, row in results.items():
        print(
            f"| {key} | {row['requests_per_s']:,} | {row['p50_ms']} | {row['p99_ms']} "
            f"| {row['errors']} |"
        )
    out = HERE / "results" / f"apigw-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
