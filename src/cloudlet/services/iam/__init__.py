"""AWS Identity and Access Management: roles, inline and managed policies (stored, not enforced).

IAM is global: its state is partitioned by account, never by region. Entry point:
`IamService`, the provider.
"""

from cloudlet.services.iam.provider import IamService

__all__ = ["IamService"]
