"""What the function URL tests share: real HTTP requests to `*.lambda-url.*.localhost` hosts.

Python's resolver does not know `*.localhost`, so requests go to the server's loopback
address with the URL's host in the Host header, exactly what a client that resolves the
name sends.
"""

from __future__ import annotations

import http.client
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials


@dataclass
class Answer:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode()


def connect(url: str, timeout: float = 30) -> tuple[http.client.HTTPConnection, str]:
    """A connection to the server behind `url`, and the Host header to send."""
    netloc = urlsplit(url).netloc
    port = int(netloc.rsplit(":", 1)[1])
    return http.client.HTTPConnection("127.0.0.1", port, timeout=timeout), netloc


def call(
    url: str,
    path: str = "/",
    *,
    method: str = "GET",
    body: bytes = b"",
    headers: dict[str, str] | None = None,
) -> Answer:
    """One request to the function URL `url` (its path and query in `path`)."""
    connection, host = connect(url)
    try:
        connection.request(method, path, body=body, headers={"Host": host, **(headers or {})})
        response = connection.getresponse()
        return Answer(response.status, response.headers, response.read())
    finally:
        connection.close()


def signed_headers(
    url: str,
    path: str = "/",
    *,
    method: str = "GET",
    body: bytes = b"",
    key: str = "test",
    secret: str = "test",
    token: str | None = None,
    region: str = "us-east-1",
    service: str = "lambda",
) -> dict[str, str]:
    """The headers of a SigV4 signature for a request to the function URL, as botocore signs."""
    netloc = urlsplit(url).netloc
    request = AWSRequest(method=method, url=f"http://{netloc}{path}", data=body)
    SigV4Auth(Credentials(key, secret, token), service, region).add_auth(request)
    return {name: value for name, value in request.headers.items() if name.lower() != "host"}


def create_url(lam: Any, name: str, **settings: Any) -> str:
    """A function URL for `name` (AuthType NONE unless given); returns the URL."""
    settings.setdefault("AuthType", "NONE")
    return str(lam.create_function_url_config(FunctionName=name, **settings)["FunctionUrl"])
