"""`cloudlet invoke` and `cloudlet logs`: a running server's functions, driven through boto3.

Both talk to the server at the configured host and port as any AWS client would (Lambda's
Invoke, CloudWatch Logs' FilterLogEvents), with the caller's AWS credentials and region when
they have some, and cloudlet's defaults otherwise. boto3 is imported only when they run.
"""

from __future__ import annotations

import base64
import datetime
import json
import re
import sys
import time
from pathlib import Path
from typing import Any

from cloudlet.config import Config

FOLLOW_POLL_SECONDS = 1.0
_SINCE = re.compile(r"(\d+)([smhdw])")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 604_800}


def invoke(config: Config, name: str, payload: str | None, qualifier: str | None, log: bool) -> int:
    """Invoke a function; print its answer (and its log tail to stderr); 1 if it failed."""
    try:
        body = read_payload(payload)
    except ValueError as error:
        print(f"cloudlet: {error}", file=sys.stderr)
        return 2
    from botocore.exceptions import ClientError, EndpointConnectionError

    client = _client(config, "lambda", read_timeout=960)  # Lambda's longest timeout, and more
    request: dict[str, Any] = {"FunctionName": name, "Payload": body}
    if qualifier:
        request["Qualifier"] = qualifier
    if log:
        request["LogType"] = "Tail"
    try:
        answer = client.invoke(**request)
    except EndpointConnectionError:
        return _no_server(config)
    except ClientError as error:
        code, message = error.response["Error"].get("Code"), error.response["Error"].get("Message")
        if code == "ResourceNotFoundException":
            shown = f"{name}:{qualifier}" if qualifier else name
            print(f"cloudlet: function {shown} does not exist ({message})", file=sys.stderr)
        else:
            print(f"cloudlet: {code}: {message}", file=sys.stderr)
        return 1
    if log and answer.get("LogResult"):
        tail = base64.b64decode(answer["LogResult"]).decode("utf-8", "replace")
        sys.stderr.write(tail if tail.endswith("\n") else tail + "\n")
    print(answer["Payload"].read().decode("utf-8", "replace"))
    return 1 if answer.get("FunctionError") else 0


def read_payload(payload: str | None) -> bytes:
    """The event to send: JSON given inline or as `@file`; `{}` when none is given."""
    if payload is None:
        return b"{}"
    if payload.startswith("@"):
        try:
            text = Path(payload[1:]).expanduser().read_text()
        except OSError as error:
            raise ValueError(
                f"cannot read the payload file {payload[1:]}: {error.strerror}"
            ) from None
    else:
        text = payload
    try:
        json.loads(text)
    except ValueError as error:
        raise ValueError(f"the payload is not JSON: {error}") from None
    return text.encode()


def logs(config: Config, name: str, since: str, follow: bool) -> int:
    """Print a function's log events in order; with `follow`, go on printing new ones."""
    from botocore.exceptions import ClientError, EndpointConnectionError

    client = _client(config, "logs")
    group = f"/aws/lambda/{name}"
    request: dict[str, Any] = {"logGroupName": group, "startTime": since_ms(since)}
    # Following re-reads from the newest timestamp printed: these events were printed already.
    printed_at_newest: set[str] = set()
    newest = -1
    try:
        while True:
            try:
                page = client.filter_log_events(**request)
            except ClientError as error:
                if error.response["Error"].get("Code") != "ResourceNotFoundException":
                    message = error.response["Error"].get("Message")
                    print(f"cloudlet: {message}", file=sys.stderr)
                    return 1
                if not follow:
                    print(
                        f"cloudlet: function {name} has no logs yet (no log group {group})",
                        file=sys.stderr,
                    )
                    return 1
                time.sleep(FOLLOW_POLL_SECONDS)
                continue
            for event in page["events"]:
                if event["timestamp"] == newest and event["eventId"] in printed_at_newest:
                    continue
                if event["timestamp"] > newest:
                    newest, printed_at_newest = event["timestamp"], set()
                printed_at_newest.add(event["eventId"])
                print(format_event(event), flush=True)
            if "nextToken" in page:
                request["nextToken"] = page["nextToken"]
                continue
            if not follow:
                return 0
            request.pop("nextToken", None)
            request["startTime"] = max(request["startTime"], newest)
            time.sleep(FOLLOW_POLL_SECONDS)
    except EndpointConnectionError:
        return _no_server(config)
    except KeyboardInterrupt:
        return 0


def format_event(event: dict[str, Any]) -> str:
    """`2026-01-31T12:00:00.123Z [$LATEST]3f9a... message`: when, which environment, what."""
    moment = datetime.datetime.fromtimestamp(event["timestamp"] / 1000, datetime.UTC)
    stamp = moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    stream = event["logStreamName"].rsplit("/", 1)[-1]  # Lambda's: 2026/01/31/[$LATEST]id
    return f"{stamp} {stream} {event['message'].rstrip()}"


def since_ms(since: str) -> int:
    """`10m`, `2h`, `3d`, `1w` ago, or an ISO 8601 time, as ms since the epoch."""
    relative = _SINCE.fullmatch(since.strip())
    if relative:
        seconds = int(relative.group(1)) * _UNIT_SECONDS[relative.group(2)]
        return int((time.time() - seconds) * 1000)
    try:
        moment = datetime.datetime.fromisoformat(since.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(
            f"--since {since!r} is neither a duration (30s, 10m, 2h, 1d, 1w) nor an ISO 8601 time"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.UTC)
    return int(moment.timestamp() * 1000)


def _client(config: Config, service: str, read_timeout: float = 60) -> Any:
    import boto3
    from botocore.config import Config as BotoConfig

    session = boto3.session.Session()
    keys = {}
    if session.get_credentials() is None:  # any key will do for a loopback server
        keys = {"aws_access_key_id": "test", "aws_secret_access_key": "test"}
    return session.client(
        service,
        endpoint_url=_endpoint(config),
        region_name=session.region_name or config.default_region,
        config=BotoConfig(retries={"max_attempts": 1}, read_timeout=read_timeout),
        **keys,
    )


def _endpoint(config: Config) -> str:
    host = "127.0.0.1" if config.host in ("0.0.0.0", "::") else config.host
    return f"http://{host}:{config.port}"


def _no_server(config: Config) -> int:
    print(
        f"cloudlet: no server answers on {_endpoint(config)}; start one with `cloudlet up`",
        file=sys.stderr,
    )
    return 1
