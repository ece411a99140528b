"""AWS Lambda: functions, versions, aliases, layers, concurrency, and invocation on the engine.

Entry point: `LambdaService`, the provider (provider.py). Each group of operations is a
module (functions, versions, aliases, layers, concurrency, invoke) over the shared state of
core.py; code.py stores packages, execution.py turns a version into what the engine runs.
"""

from cloudlet.services.lambda_.provider import LambdaService

__all__ = ["LambdaService"]
