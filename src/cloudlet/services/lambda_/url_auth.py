"""Who calls a function URL whose AuthType is AWS_IAM: only SigV4-signed requests pass.

Signed for the service `lambda`, as AWS requires. In strict auth the signature is verified
against the keys the gateway accepts (cloudlet.gateway.auth's `Keyring`): the configured
credentials and the temporary ones STS issued (AssumeRole, functions' execution roles), with
their session token; on loopback, as everywhere in cloudlet, any well-formed signature
passes and acts for the configured account.
"""

from __future__ import annotations

from dataclasses import dataclass

from cloudlet.config import Config
from cloudlet.delivery.ports import Sessions
from cloudlet.gateway.auth import Keyring
from cloudlet.gateway.http import Request
from cloudlet.gateway.sigv4 import Refusal, parse_signature, verify

SIGNING_NAME = "lambda"


@dataclass(frozen=True, slots=True)
class Caller:
    account_id: str
    access_key_id: str
    # Who signed: the account's root for a configured key (they name no IAM user), the
    # assumed role's session for STS's temporary keys.
    user_arn: str
    user_id: str

    def authorizer(self) -> dict[str, object]:
        """The event's `requestContext.authorizer`."""
        return {
            "iam": {
                "accessKey": self.access_key_id,
                "accountId": self.account_id,
                "callerId": self.user_id,
                "cognitoIdentity": None,
                "principalOrgId": None,
                "userArn": self.user_arn,
                "userId": self.user_id,
            }
        }


class UrlAuthenticator:
    def __init__(self, config: Config, sessions: Sessions | None) -> None:
        self.strict = config.strict_auth
        self.account_id = config.account_id
        self.keyring = Keyring(config.credentials, [sessions.temporary_key] if sessions else [])

    def caller(self, request: Request) -> Caller | None:
        """The signer of `request`, or None when it must be refused (403)."""
        signature = parse_signature(request)
        if signature is None or signature.problem is not None:
            return None
        if not self.strict:
            account = self.account_id
            return Caller(account, signature.access_key_id, f"arn:aws:iam::{account}:root", account)
        if signature.service != SIGNING_NAME:
            return None
        try:
            key = self.keyring.key_for(signature)
            verify(request, signature, key.secret_access_key)
        except Refusal:
            return None
        return Caller(key.account_id, signature.access_key_id, key.arn, key.user_id)
