"""Amazon CloudWatch Logs: log groups, streams and events, where function output goes too.

Storage is `cloudlet.logstore` (shared with the engine); this package is the API over it.
Entry point: `LogsService`, the provider.
"""

from cloudlet.services.logs.provider import LogsService

__all__ = ["LogsService"]
