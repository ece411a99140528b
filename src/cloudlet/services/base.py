"""What every service provider is: one method per AWS operation, plain Python in and out."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from cloudlet.delivery.ports import Ports
from cloudlet.gateway.errors import ServiceError
from cloudlet.gateway.http import FrontDoor
from cloudlet.gateway.validate import Problem, coral_message

if TYPE_CHECKING:
    from cloudlet.config import Config
    from cloudlet.engine.engine import Engine
    from cloudlet.logstore import LogStore
    from cloudlet.store import Migration, Store


@dataclass(frozen=True)
class Platform:
    """The shared parts every provider is built from (one instance per server)."""

    config: Config
    store: Store
    engine: Engine | None = None  # runs function code; providers that invoke Lambda use it
    logs: LogStore | None = None  # CloudWatch Logs storage, where function output goes too
    ports: Ports = field(default_factory=Ports)  # what services do for each other


@dataclass(frozen=True, slots=True)
class RequestContext:
    """Who is calling, where, and how to name things in answers."""

    account_id: str
    region: str
    request_id: str
    operation: str
    # Where the client reached us (`http://localhost:4566`), for URLs in answers.
    endpoint: str
    access_key_id: str = ""
    # The caller's X-Ray trace header (X-Amzn-Trace-Id): an SDK inside a function sends the
    # function's own, which is how an event's chain is followed (delivery/lineage.py).
    trace_header: str = ""


class Service:
    """Base of a service provider.

    A subclass names its botocore service (`name`) and defines a method per operation it
    implements, named in snake_case (`send_message` for SendMessage), taking the context
    and the already parsed and validated input dict, returning the output dict.
    """

    name: ClassVar[str]
    # The service's tables: SQL scripts applied in order, once each (see cloudlet.store).
    migrations: ClassVar[list[Migration]] = []
    # Code for a request that breaks the model's constraints, as the real service names it.
    validation_error_code: ClassVar[str] = "ValidationException"
    # Whether that message quotes numbers as it quotes strings ("Value '0' at 'limit'").
    quotes_numbers: ClassVar[bool] = False
    # Where the model is looser than the service: {shape: (other shape, test)}, the values of
    # `shape` that pass the test are checked against `other` instead (gateway/validate.py).
    checked_as: ClassVar[dict[str, tuple[str, Callable[[Any], bool]]]] = {}

    def __init__(self, platform: Platform) -> None:
        self.platform = platform
        self.config = platform.config
        self.store = platform.store
        if self.migrations:
            self.store.migrate(self.name, self.migrations)

    def patch_model(self, model: dict[str, Any]) -> None:
        """Adjust the raw botocore model before it is compiled (e.g. legacy protocol traits)."""

    async def start(self) -> None:
        """Start background work (sweepers, pollers); called once the event loop runs."""

    async def stop(self) -> None:
        """Stop background work; pending writes are still committed by the store."""

    def drain(self) -> None:
        """Answer the requests that wait (long polls) now: the server is about to stop."""

    def front_door(self) -> FrontDoor | None:
        """The service's own HTTP entrance beside its API, if it has one (API Gateway's
        invocation URLs, Lambda's function URLs)."""
        return None

    def status(self) -> dict[str, Any]:
        """What `cloudlet status` shows for this service (counts of what it holds)."""
        return {}

    def invalid_input(self, operation: str, problems: list[Problem]) -> ServiceError:
        """The error for input that breaks the model's constraints."""
        if any(problem.kind == "type" for problem in problems):
            return ServiceError("SerializationException", _type_message(problems))
        return ServiceError(
            self.validation_error_code, coral_message(problems, self.quotes_numbers)
        )


def _type_message(problems: list[Problem]) -> str:
    problem = next(p for p in problems if p.kind == "type")
    got = type(problem.value).__name__
    return (
        f"Unexpected value of type {got} for {problem.member or 'input'}, expected {problem.limit}"
    )
