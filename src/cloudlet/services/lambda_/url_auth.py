"""Who calls a function URL whose AuthType is AWS_IAM: only SigV4-signed requests pass.

Signed for the service `lambda`, as AWS requires. In strict auth the signature is verified
against the configured credentials (cloudlet.gateway.sigv4); on loopback, as everywhere in
cloudlet, any well-formed signature passes and acts for the configured account. STS's
temporary keys are not known here: in strict mode, sign function URL requests with a
configured key.
"""

from __future__ import annotations

from dataclasses import dataclass

from cloudlet.config import Config
from cloudlet.gateway.http import Request
from cloudlet.gateway.sigv4 import Refusal, parse_signature, verify

SIGNING_NAME = "lambda"


@dataclass(frozen=True, slots=True)
class Caller:
    account_id: str
    access_key_id: str

    def authorizer(self) -> dict[str, object]:
        """The event's `requestContext.authorizer` (cloudlet's keys name no IAM user: the
        caller shows as the account's root)."""
        return {
            "iam": {
                "accessKey": self.access_key_id,
                "accountId": self.account_id,
                "callerId": self.account_id,
                "cognitoIdentity": None,
                "principalOrgId": None,
                "userArn": f"arn:aws:iam::{self.account_id}:root",
                "userId": self.account_id,
            }
        }


class UrlAuthenticator:
    def __init__(self, config: Config) -> None:
        self.strict = config.strict_auth
        self.account_id = config.account_id
        self.keys = {c.access_key_id: c for c in config.credentials}

    def caller(self, request: Request) -> Caller | None:
        """The signer of `request`, or None when it must be refused (403)."""
        signature = parse_signature(request)
        if signature is None or signature.problem is not None:
            return None
        if not self.strict:
            return Caller(self.account_id, signature.access_key_id)
        key = self.keys.get(signature.access_key_id)
        if key is None or signature.service != SIGNING_NAME or signature.security_token:
            return None
        try:
            verify(request, signature, key.secret_access_key)
        except Refusal:
            return None
        return Caller(key.account_id, key.access_key_id)
