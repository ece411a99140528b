"""AWS Security Token Service: who is calling, and temporary credentials for IAM roles.

Entry point: `SecurityTokenService`, the provider; its `temporary_key(access_key_id)` lets
the gateway's strict-mode authenticator accept the keys AssumeRole issued.
"""

from cloudlet.services.sts.provider import SecurityTokenService

__all__ = ["SecurityTokenService"]
