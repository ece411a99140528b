"""AWS Security Token Service: who is calling, and temporary credentials for IAM roles.

Entry point: `SecurityTokenService`, the provider; also the `Sessions` port: its
`temporary_key(access_key_id)` lets the gateway's strict-mode authenticator (and function
URLs) accept the keys it issued, and `assume()` issues them for a service acting as a role
(Lambda, for a function's execution role).
"""

from cloudlet.services.sts.provider import SecurityTokenService

__all__ = ["SecurityTokenService"]
