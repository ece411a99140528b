"""Tumbling windows (TumblingWindowInSeconds): a shard's records grouped by arrival time into
windows of fixed length, aligned on multiples of it, with a state the function carries from
one invocation of a window to the next.

Each invocation of a window adds to the Records envelope:

    "window": {"start": "2020-07-30T17:00:00Z", "end": "2020-07-30T17:05:00Z"},
    "state": {...what the last invocation of the window returned as "state"...},
    "shardId": "...", "eventSourceARN": "...",
    "isFinalInvokeForWindow": false, "isWindowTerminatedEarly": false

and once the window is over, a last invocation with no records and
`isFinalInvokeForWindow: true` hands the function the window's final state. States live in
memory, as on AWS: a window open across a restart starts again from an empty state.
"""

from __future__ import annotations

import datetime
import math
from dataclasses import dataclass, field
from typing import Any

import orjson


@dataclass(slots=True)
class Window:
    start: float  # seconds since the epoch
    end: float
    state: Any = field(default_factory=dict)

    @classmethod
    def of(cls, arrival: float, seconds: int) -> Window:
        """The window a record that arrived at `arrival` belongs to."""
        start = math.floor(arrival / seconds) * seconds
        return cls(start, start + seconds)

    def envelope_tail(self, shard_id: str, stream_arn: str, final: bool) -> bytes:
        """The members an invocation of this window adds after "Records", comma first."""
        members = orjson.dumps(
            {
                "window": {"start": _moment(self.start), "end": _moment(self.end)},
                "state": self.state,
                "shardId": shard_id,
                "eventSourceARN": stream_arn,
                "isFinalInvokeForWindow": final,
                "isWindowTerminatedEarly": False,
            }
        )
        return b"," + members[1:-1]

    def carry(self, response: bytes) -> None:
        """Keep the state a successful invocation returned (none returned: empty)."""
        try:
            answer = orjson.loads(response) if response.strip() else None
        except orjson.JSONDecodeError:
            answer = None
        self.state = (answer.get("state") or {}) if isinstance(answer, dict) else {}


def _moment(seconds: float) -> str:
    return datetime.datetime.fromtimestamp(seconds, datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
