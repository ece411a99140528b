"""The `cloudlet` command: `up` runs the server, `status` asks a running one what it holds,
`invoke` and `logs` run a function and read what it printed."""

from __future__ import annotations

import argparse
import json
import sys
import urllib.error
import urllib.request
from typing import Any

from cloudlet import __version__
from cloudlet.config import Config, ConfigError, parse_modules

DESCRIPTION = """\
cloudlet runs the AWS serverless stack on your own machine: one process, one port, state in
SQLite. boto3, the aws CLI and SAM work against it unchanged.

  cloudlet up                       start on http://localhost:4566
  export AWS_ENDPOINT_URL=http://localhost:4566
  aws sqs create-queue --queue-name jobs
  cloudlet status                   what the running server holds
  cloudlet invoke NAME --log        run a function, print its answer and its log
  cloudlet logs NAME --follow       what a function prints, as it prints it
  cloudlet token --audience my-api  a JWT for API Gateway's JWT authorizers
"""

UP_HELP = """\
Start the server in the foreground; stop it with Ctrl-C (or SIGTERM). Every write a client
got an answer for is committed to the state directory before the answer was sent, and is
there again at the next start.

Settings come from flags or CLOUDLET_* environment variables:
  CLOUDLET_HOST, CLOUDLET_PORT, CLOUDLET_STATE_DIR   where to listen and keep state
  CLOUDLET_AUTH=strict       verify SigV4 signatures (always on for a non-loopback --host)
  CLOUDLET_CREDENTIALS=KEY:SECRET[:ACCOUNT],...      the keys strict auth accepts
  CLOUDLET_CREDENTIALS_FILE=path                     the same, one entry per line
  CLOUDLET_ACCOUNT_ID        the account any key maps to on loopback (000000000000)
  CLOUDLET_SYNC=full|normal  fsync each group commit (full, default) or not (normal)

Lambda's execution environments:
  CLOUDLET_STRICT_RUNTIMES=1      refuse a Python runtime without its own interpreter
  CLOUDLET_CONCURRENCY_LIMIT=N    concurrent executions per account (1000)
  CLOUDLET_PRELOAD=boto3,...      modules the Python zygotes import once (boto3)
  CLOUDLET_KEEP_ALIVE=SECONDS     how long an idle environment stays warm (300)
"""

INVOKE_HELP = """\
Invoke a function on the running server (Lambda's Invoke, synchronously) and print its
answer. The exit status is 1 when the function failed: what is printed is then its error.

  cloudlet invoke hello
  cloudlet invoke hello --payload '{"name": "Ada"}'
  cloudlet invoke hello --payload @event.json --qualifier live --log
"""

LOGS_HELP = """\
Print a function's log events (its log group /aws/lambda/NAME) in time order: what it
printed, framed by Lambda's START, END and REPORT lines, one line each with the time and the
execution environment. --follow goes on printing new events until Ctrl-C.

  cloudlet logs hello                 the last 10 minutes
  cloudlet logs hello --since 2h      or 30s, 1d, 1w, or a time: 2026-01-31T09:00:00
  cloudlet logs hello --follow
"""


TOKEN_HELP = """\
Print a JWT signed by cloudlet's local issuer, for API Gateway's JWT and Cognito
authorizers. The issuer is http://localhost:PORT/_cloudlet/issuer (its JWKS is served
there); give an authorizer that issuer, or any --issuer the token should name (a Cognito
user pool's URL: cloudlet stands in for Cognito). The key lives in the state directory.

  cloudlet token --audience my-api --scope read --scope write
  cloudlet token --subject alice --claim email=alice@example.com --expires-in 600
  curl -H "Authorization: Bearer $(cloudlet token --audience my-api)" http://...
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cloudlet",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"cloudlet {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    up = commands.add_parser(
        "up",
        help="start the server",
        description=UP_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_endpoint_flags(up)
    up.add_argument("--state-dir", help="where state is kept (default ~/.cloudlet)")
    up.add_argument("--auth", choices=["auto", "strict"], help="signature checking")
    up.add_argument("--log-level", choices=["debug", "info", "warning", "error"])
    up.add_argument(
        "--strict-runtimes",
        action="store_const",
        const=True,
        help="refuse to run a Python runtime on another version's interpreter",
    )
    up.add_argument(
        "--concurrency-limit", type=int, metavar="N", help="Lambda's account concurrency (1000)"
    )
    up.add_argument(
        "--preload",
        type=parse_modules,
        metavar="MODULES",
        help="comma-separated modules the Python zygotes import (boto3; '' for none)",
    )
    up.add_argument(
        "--keep-alive",
        type=float,
        metavar="SECONDS",
        help="seconds an idle execution environment stays warm (300)",
    )

    status = commands.add_parser(
        "status",
        help="show what a running server holds",
        description="Ask the server at --host/--port (or CLOUDLET_HOST/CLOUDLET_PORT) "
        "what it holds: services and their counts, the store, uptime.",
    )
    _add_endpoint_flags(status)
    status.add_argument("--json", action="store_true", help="print the raw JSON")

    invoke = commands.add_parser(
        "invoke",
        help="invoke a function and print its answer",
        description=INVOKE_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    invoke.add_argument("name", metavar="NAME", help="the function's name or ARN")
    invoke.add_argument(
        "--payload", metavar="JSON", help="the event, as JSON or @file (default {})"
    )
    invoke.add_argument("--qualifier", metavar="Q", help="a version or alias to invoke")
    invoke.add_argument(
        "--log", action="store_true", help="also print the end of its log (to stderr)"
    )
    _add_endpoint_flags(invoke)

    logs = commands.add_parser(
        "logs",
        help="print a function's log events",
        description=LOGS_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    logs.add_argument("name", metavar="NAME", help="the function's name")
    logs.add_argument("--since", default="10m", help="how far back to start (default 10m)")
    logs.add_argument("--follow", "-f", action="store_true", help="keep printing new events")
    _add_endpoint_flags(logs)

    token = commands.add_parser(
        "token",
        help="mint a JWT from cloudlet's local issuer",
        description=TOKEN_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    token.add_argument("--audience", "-a", action="append", help="aud (repeatable)")
    token.add_argument("--scope", "-s", action="append", help="a scope (repeatable)")
    token.add_argument("--subject", default="user", help="sub (default: user)")
    token.add_argument(
        "--expires-in", type=int, default=3600, help="seconds until exp (default 3600)"
    )
    token.add_argument("--claim", action="append", metavar="NAME=VALUE", help="another claim")
    token.add_argument("--issuer", help="iss (default: the local issuer's URL)")
    token.add_argument("--state-dir", help="the server's state dir (default ~/.cloudlet)")
    _add_endpoint_flags(token)
    return parser


def _add_endpoint_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", help="address to listen on / reach (default 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port (default 4566)")


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    try:
        config = Config.from_env().with_overrides(
            host=args.host,
            port=args.port,
            state_dir=getattr(args, "state_dir", None),
            auth=getattr(args, "auth", None),
            log_level=getattr(args, "log_level", None),
            strict_runtimes=getattr(args, "strict_runtimes", None),
            concurrency_limit=getattr(args, "concurrency_limit", None),
            preload=getattr(args, "preload", None),
            keep_alive=getattr(args, "keep_alive", None),
        )
    except ConfigError as error:
        print(f"cloudlet: {error}", file=sys.stderr)
        return 2
    if args.command == "up":
        return _up(config)
    if args.command == "invoke":
        from cloudlet import functions_cli

        return functions_cli.invoke(config, args.name, args.payload, args.qualifier, args.log)
    if args.command == "logs":
        from cloudlet import functions_cli

        try:
            functions_cli.since_ms(args.since)
        except ValueError as error:
            parser.error(str(error))
        return functions_cli.logs(config, args.name, args.since, args.follow)
    if args.command == "token":
        return _token(config, args)
    return _status(config, as_json=args.json)


def _token(config: Config, args: argparse.Namespace) -> int:
    from cloudlet.issuer import LocalIssuer, issuer_url

    claims: dict[str, Any] = {}
    for item in args.claim or []:
        name, sep, value = item.partition("=")
        if not sep or not name:
            print(f"cloudlet: --claim takes NAME=VALUE, not {item!r}", file=sys.stderr)
            return 2
        claims[name] = value
    audience = args.audience[0] if args.audience and len(args.audience) == 1 else args.audience
    print(
        LocalIssuer(config.state_dir).mint(
            args.issuer or issuer_url(config.endpoint()),
            subject=args.subject,
            audience=audience,
            scopes=args.scope,
            expires_in=args.expires_in,
            claims=claims,
        )
    )
    return 0


def _up(config: Config) -> int:
    from cloudlet.app import serve

    try:
        config.state_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        print(
            f"cloudlet: cannot use state dir {config.state_dir}: {error.strerror}", file=sys.stderr
        )
        return 2
    return serve(config)


def _status(config: Config, *, as_json: bool) -> int:
    host = "127.0.0.1" if config.host in ("0.0.0.0", "::") else config.host
    url = f"http://{host}:{config.port}/_cloudlet/status"
    try:
        with urllib.request.urlopen(url, timeout=5) as answer:
            status = json.load(answer)
    except (urllib.error.URLError, OSError):
        print(
            f"cloudlet: no server answers on {host}:{config.port}; start one with `cloudlet up`",
            file=sys.stderr,
        )
        return 1
    print(json.dumps(status, indent=2) if as_json else render_status(status))
    return 0


def render_status(status: dict[str, Any]) -> str:
    lines = [
        f"cloudlet {status['version']} on {status['endpoint']} (pid {status['pid']}, "
        f"up {status['uptime_seconds']}s, auth: {status['auth']})",
        f"store: {status['store']['path']} ({status['store']['commits']} commits, "
        f"{status['store']['writes']} writes)",
    ]
    engine = status.get("engine", {})
    warnings = engine.pop("runtime_warnings", {})
    lines.append("engine: " + ", ".join(f"{key} {value}" for key, value in engine.items()))
    lines += [f"  warning: {message}" for message in warnings.values()]
    for name, counts in status["services"].items():
        shown = ", ".join(f"{key} {value}" for key, value in counts.items()) or "empty"
        lines.append(f"  {name}: {shown}")
    return "\n".join(lines)
