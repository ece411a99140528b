"""What the Lambda tests share: zips built with zipfile, functions created and waited for."""

from __future__ import annotations

import io
import uuid
import zipfile
from typing import Any

ROLE = "arn:aws:iam::000000000000:role/lambda-role"
RUNTIME = "python3.12"

COUNTER = """
import os
CALLS = 0
def handler(event, context):
    global CALLS
    CALLS += 1
    return {"calls": CALLS, "event": event, "version": context.function_version,
            "arn": context.invoked_function_arn}
"""


def make_zip(files: dict[str, str | bytes], modes: dict[str, int] | None = None) -> bytes:
    """A deployment package holding `files`, with Unix `modes` for some of them."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            info = zipfile.ZipInfo(name)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = ((modes or {}).get(name, 0o644) | 0o100000) << 16
            archive.writestr(info, content)
    return buffer.getvalue()


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def create_function(
    lam: Any,
    name: str,
    code: str | bytes = COUNTER,
    *,
    handler: str = "app.handler",
    runtime: str = RUNTIME,
    **settings: Any,
) -> dict[str, Any]:
    """Create a function from `code` (app.py's source, or a zip) and wait until it is Active."""
    package = code if isinstance(code, bytes) else make_zip({"app.py": code})
    created = lam.create_function(
        FunctionName=name,
        Runtime=runtime,
        Role=ROLE,
        Handler=handler,
        Code={"ZipFile": package},
        **settings,
    )
    lam.get_waiter("function_active_v2").wait(FunctionName=name)
    return created


def error_of(caught: Any) -> tuple[str, int, str]:
    """(code, HTTP status, message) of a botocore ClientError."""
    response = caught.value.response
    return (
        response["Error"]["Code"],
        response["ResponseMetadata"]["HTTPStatusCode"],
        response["Error"]["Message"],
    )
