"""The Python runtime inside an execution environment: import the handler, then serve invokes.

It behaves as AWS's Python runtime does (the handler's `(event, context)` call, the context
object, the log format of the root logger, errors as errorMessage/errorType/stackTrace,
`Runtime.*` errors for a bad handler), but talks to the server over a socket inherited from
the zygote instead of the HTTP Runtime API: one round trip per invoke, no HTTP parsing.
"""

import decimal
import importlib
import json
import logging
import os
import resource
import socket
import sys
import time
import traceback
import types

import channel

_request_id = ""


class FaultError(Exception):
    """A failure of the runtime itself, reported with a `Runtime.*` error type."""

    def __init__(self, error_type, message, trace=None):
        super().__init__(message)
        self.error_type = error_type
        self.message = message
        self.trace = trace or []


# -- the handler's context ------------------------------------------------------------------


class CognitoIdentity:
    cognito_identity_id = None
    cognito_identity_pool_id = None


class Client:
    installation_id = None
    app_title = None
    app_version_name = None
    app_version_code = None
    app_package_name = None


class ClientContext:
    client = None
    custom = None
    env = None


class LambdaContext:
    def __init__(self, request_id, deadline_ms, arn, client_context, identity, tenant_id):
        env = os.environ
        self.aws_request_id = request_id
        self.function_name = env.get("AWS_LAMBDA_FUNCTION_NAME")
        self.function_version = env.get("AWS_LAMBDA_FUNCTION_VERSION")
        self.invoked_function_arn = arn
        self.memory_limit_in_mb = env.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
        self.log_group_name = env.get("AWS_LAMBDA_LOG_GROUP_NAME")
        self.log_stream_name = env.get("AWS_LAMBDA_LOG_STREAM_NAME")
        self.tenant_id = tenant_id
        self.identity = CognitoIdentity()
        if identity:
            self.identity.cognito_identity_id = identity.get("cognitoIdentityId")
            self.identity.cognito_identity_pool_id = identity.get("cognitoIdentityPoolId")
        self.client_context = None
        if client_context:
            self.client_context = ClientContext()
            self.client_context.custom = client_context.get("custom")
            self.client_context.env = client_context.get("env")
            if client_context.get("client") is not None:
                client = Client()
                for key, value in client_context["client"].items():
                    setattr(client, key, value)
                self.client_context.client = client
        self._deadline_ms = deadline_ms

    def get_remaining_time_in_millis(self):
        return max(self._deadline_ms - int(time.time() * 1000), 0)

    def __repr__(self):
        return (
            f"LambdaContext([aws_request_id={self.aws_request_id},"
            f" function_name={self.function_name},"
            f" function_version={self.function_version},"
            f" invoked_function_arn={self.invoked_function_arn}])"
        )


# -- loading the handler --------------------------------------------------------------------


def load_handler(handler):
    try:
        module_name, function_name = handler.rsplit(".", 1)
    except ValueError as error:
        raise FaultError(
            "Runtime.MalformedHandlerName", f"Bad handler '{handler}': {error}"
        ) from None
    if module_name.split(".")[0] in sys.builtin_module_names:
        raise FaultError(
            "Runtime.BuiltInModuleConflict",
            f"Cannot use built-in module {module_name} as a handler module",
        )
    try:
        module = importlib.import_module(module_name.replace("/", "."))
    except ImportError as error:
        raise FaultError(
            "Runtime.ImportModuleError",
            f"Unable to import module '{module_name}': {error}",
        ) from None
    except SyntaxError as error:
        trace = [f'  File "{error.filename}" Line {error.lineno}\n    {error.text}']
        raise FaultError(
            "Runtime.UserCodeSyntaxError",
            f"Syntax error in module '{module_name}': {error}",
            trace,
        ) from None
    try:
        return getattr(module, function_name)
    except AttributeError:
        raise FaultError(
            "Runtime.HandlerNotFound",
            f"Handler '{function_name}' missing on module '{module_name}'",
        ) from None


# -- errors and logs ------------------------------------------------------------------------


def error_result(error, request_id):
    if isinstance(error, FaultError):
        return {
            "errorMessage": error.message,
            "errorType": error.error_type,
            "requestId": request_id,
            "stackTrace": error.trace,
        }
    frames = traceback.extract_tb(error.__traceback__)
    # Hide this runtime's own frames, as AWS's runtime hides its bootstrap.
    frames = [frame for frame in frames if not frame.filename.endswith("python_runtime.py")]
    return {
        "errorMessage": str(error),
        "errorType": type(error).__name__,
        "requestId": request_id,
        "stackTrace": traceback.format_list(frames),
    }


def log_error(result):
    # AWS's runtime writes the Traceback line even when the trace is empty (an import error).
    lines = ["[ERROR] {}: {}".format(result["errorType"], result["errorMessage"])]
    lines.append("Traceback (most recent call last):")
    for entry in result["stackTrace"]:
        lines.extend(entry.rstrip("\n").splitlines())
    # Lambda writes a multi-line error as one log event: lines joined by carriage returns.
    sys.stdout.write("\r".join(lines) + "\n")
    sys.stdout.flush()


class _RequestIdFilter(logging.Filter):
    def filter(self, record):
        record.aws_request_id = _request_id
        return True


def setup_logging():
    logging.Formatter.converter = time.gmtime
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(
        logging.Formatter(
            "[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s",
            "%Y-%m-%dT%H:%M:%S",
        )
    )
    handler.addFilter(_RequestIdFilter())
    root = logging.getLogger()
    root.addHandler(handler)
    level = os.environ.get("AWS_LAMBDA_LOG_LEVEL")
    if level in logging._nameToLevel:
        root.setLevel(level)


def _json_default(value):
    if isinstance(value, decimal.Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def marshal(response, ensure_ascii):
    if isinstance(response, bytes):
        return response
    try:
        return json.dumps(response, default=_json_default, ensure_ascii=ensure_ascii).encode()
    except (TypeError, ValueError) as error:
        raise FaultError("Runtime.MarshalError", f"Unable to marshal response: {error}") from None


def peak_memory_kb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def is_stream(response):
    """A cloudlet extension: a handler that returns a generator streams its response."""
    return isinstance(response, types.GeneratorType)


def as_bytes(chunk, ensure_ascii):
    if isinstance(chunk, (bytes, bytearray)):
        return bytes(chunk)
    if isinstance(chunk, str):
        return chunk.encode()
    return marshal(chunk, ensure_ascii)


# -- the loop -------------------------------------------------------------------------------


def initialize(handler_name):
    """Import the handler: (handler, init ms, None), or (None, init ms, the error result)
    if init failed."""
    started = time.perf_counter()
    setup_logging()
    try:
        handler = load_handler(handler_name)
    except Exception as error:
        result = error_result(error, "")
        log_error(result)
        return None, (time.perf_counter() - started) * 1000, result
    return handler, (time.perf_counter() - started) * 1000, None


def serve(sock, handler, ready):
    """Report readiness (`ready`: the frame's fields), then answer invokes until EOF."""
    global _request_id
    channel.send(sock, dict(ready, t="ready"))
    ensure_ascii = sys.version_info < (3, 12)
    while True:
        frame = channel.recv(sock)
        if frame is None:
            return
        meta, payload = frame
        _request_id = meta["id"]
        os.environ["_X_AMZN_TRACE_ID"] = meta.get("trace") or ""
        try:
            context = LambdaContext(
                meta["id"],
                meta["deadline"],
                meta["arn"],
                meta.get("cc"),
                meta.get("ci"),
                meta.get("tenant"),
            )
            try:
                event = json.loads(payload) if payload else None
            except ValueError as error:
                raise FaultError(
                    "Runtime.UnmarshalError", f"Unable to unmarshal input: {error}"
                ) from None
            response = handler(event, context)
            if is_stream(response):
                for chunk in response:
                    channel.send(sock, {"t": "chunk"}, as_bytes(chunk, ensure_ascii))
                body = b""
            else:
                body = marshal(response, ensure_ascii)
        except Exception as error:
            result = error_result(error, meta["id"])
            log_error(result)
            sys.stderr.flush()
            channel.send(sock, {"t": "error", "mem": peak_memory_kb()}, json.dumps(result).encode())
        else:
            sys.stdout.flush()
            sys.stderr.flush()
            # The peak resident size travels with the answer: the server needs no /proc read.
            channel.send(sock, {"t": "ok", "mem": peak_memory_kb()}, body)


def main(channel_fd, handler_name):
    """An environment's whole life: init, then invokes."""
    sock = socket.socket(fileno=channel_fd)
    handler, init_ms, error = initialize(handler_name)
    if handler is None:
        channel.send(sock, {"t": "init_error", "init_ms": init_ms}, json.dumps(error).encode())
        return
    serve(sock, handler, {"init_ms": init_ms})
