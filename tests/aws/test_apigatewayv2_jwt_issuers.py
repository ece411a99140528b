"""JWT authorizers trusting an issuer other than cloudlet's own: its discovery document and
JWKS served by a real HTTP server in the test, fetched by cloudlet; `client_id` as the
audience, tokens without `kid`, `nbf`, and keys rotated while verdicts are cached."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
import pytest
from apigw_support import lambda_integration, request, route, url
from cryptography.hazmat.primitives.asymmetric import rsa
from lambda_support import unique


class Issuer:
    """An OpenID issuer on a loopback port: discovery document, JWKS, signing keys."""

    def __init__(self) -> None:
        self.keys: dict[str, rsa.RSAPrivateKey] = {}
        self.published: list[str] = []  # the kids the JWKS lists
        issuer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path.endswith("/.well-known/openid-configuration"):
                    body = {"issuer": issuer.url, "jwks_uri": f"{issuer.url}/keys"}
                elif self.path.endswith("/keys"):
                    body = {"keys": [issuer.jwk(kid) for kid in issuer.published]}
                else:
                    self.send_error(404)
                    return
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/tenant"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def key(self, kid: str) -> rsa.RSAPrivateKey:
        if kid not in self.keys:
            self.keys[kid] = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        return self.keys[kid]

    def jwk(self, kid: str) -> dict[str, Any]:
        entry = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.key(kid).public_key()))
        return {**entry, "kid": kid, "use": "sig", "alg": "RS256"}

    def token(self, kid: str, *, with_kid: bool = True, **claims: Any) -> str:
        now = int(time.time())
        payload = {"iss": self.url, "sub": "ada", "iat": now, "exp": now + 600, **claims}
        headers = {"kid": kid} if with_kid else {}
        return jwt.encode(payload, self.key(kid), algorithm="RS256", headers=headers)


@pytest.fixture
def issuer() -> Iterator[Issuer]:
    """An issuer of the test's own, in place of the suite's `issuer` (cloudlet's)."""
    served = Issuer()
    yield served
    served.server.shutdown()
    served.server.server_close()


def _api(gw, echo, issuer: Issuer) -> str:
    api_id = gw.create_api(Name=unique("issuer"), ProtocolType="HTTP")["ApiId"]
    authorizer = gw.create_authorizer(
        ApiId=api_id,
        AuthorizerType="JWT",
        Name="tenant",
        IdentitySource=["$request.header.Authorization"],
        JwtConfiguration={"Issuer": issuer.url, "Audience": ["my-api"]},
    )["AuthorizerId"]
    integration = lambda_integration(gw, api_id, echo)
    route(gw, api_id, "GET /me", integration, AuthorizationType="JWT", AuthorizerId=authorizer)
    gw.create_stage(ApiId=api_id, StageName="$default", AutoDeploy=True)
    return api_id


def _status(server, api_id, token):
    return request(url(server, api_id, "/me"), headers={"Authorization": f"Bearer {token}"}).status


def test_tokens_are_checked_against_the_issuers_published_keys(server, gw, echo, issuer):
    issuer.published = ["one"]
    api_id = _api(gw, echo, issuer)
    answer = request(
        url(server, api_id, "/me"),
        headers={"Authorization": f"Bearer {issuer.token('one', aud='my-api')}"},
    )
    assert answer.status == 200
    assert answer.json()["requestContext"]["authorizer"]["jwt"]["claims"]["iss"] == issuer.url
    assert _status(server, api_id, issuer.token("unlisted", aud="my-api")) == 401
    assert _status(server, api_id, issuer.token("one", aud="someone-else")) == 401
    later = int(time.time()) + 3600
    assert _status(server, api_id, issuer.token("one", aud="my-api", nbf=later)) == 401


def test_client_id_stands_for_the_audience(server, gw, echo, issuer):
    issuer.published = ["one"]
    api_id = _api(gw, echo, issuer)
    assert _status(server, api_id, issuer.token("one", client_id="my-api")) == 200
    assert _status(server, api_id, issuer.token("one", client_id="another-app")) == 401


def test_a_token_without_kid_is_checked_against_the_only_key(server, gw, echo, issuer):
    issuer.published = ["one"]
    api_id = _api(gw, echo, issuer)
    assert _status(server, api_id, issuer.token("one", with_kid=False, aud="my-api")) == 200
    forged = issuer.token("other", with_kid=False, aud="my-api")  # signed by an unlisted key
    assert _status(server, api_id, forged) == 401


def test_a_rotated_out_key_no_longer_verifies_tokens_once_the_keys_are_fetched_again(
    server, gw, echo, issuer
):
    issuer.published = ["old"]
    api_id = _api(gw, echo, issuer)
    old = issuer.token("old", aud="my-api")
    assert _status(server, api_id, old) == 200
    issuer.published = ["new"]
    assert _status(server, api_id, old) == 200  # the fetched keys are still current
    time.sleep(1.2)  # past the interval between two fetches for a key id not yet seen
    assert _status(server, api_id, issuer.token("new", aud="my-api")) == 200
    assert _status(server, api_id, old) == 401  # its cached verdict went with the old keys
