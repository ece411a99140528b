"""Arrivals: the in-process hook that tells readers a shard has new records.

Each write, once committed, calls `notify` for the shards it wrote to. Two ways to hear it:

- `await arrivals.wait(stream_arn, shard_id, after, timeout)` returns as soon as the shard
  holds a record past the sequence number `after` (at once if it already does), or after
  `timeout` seconds; a poller (the Kinesis event source mapping) calls it when GetRecords
  came back empty, then reads again.
- `arrivals.listen(stream_arn, callback)` calls `callback(shard_id, sequence_number)` on the
  event loop after every commit to that stream (the newest sequence number of the shard);
  it returns the function that stops listening.

Both cost nothing on the write path while nobody waits or listens.
"""

from __future__ import annotations

from collections.abc import Callable

from cloudlet.delivery.wakeups import Wakeups
from cloudlet.services.kinesis import sequence
from cloudlet.services.kinesis.names import parse_stream_arn, shard_index
from cloudlet.services.kinesis.streams import Shard, Stream

Listener = Callable[[str, str], None]
Lookup = Callable[[str, str, str], Stream | None]


class Arrivals:
    def __init__(self, lookup: Lookup) -> None:
        self._lookup = lookup  # (account, region, name) -> the stream, if it exists
        self._waiting: Wakeups[tuple[str, int]] = Wakeups()  # by stream ARN and shard index
        self._listeners: dict[str, list[Listener]] = {}

    async def wait(self, stream_arn: str, shard_id: str, after: str | None, timeout: float) -> bool:
        """Wait until the shard has a record past `after` (None: past the current newest).

        True if it has one, False when the timeout passed or there is no such shard.
        """
        shard = self._shard(stream_arn, shard_id)
        if shard is None:
            return False
        if after is not None:
            decoded = sequence.decode(after)
            seen = decoded.index if decoded is not None else 0
            if shard.committed > seen:
                return True
        else:
            seen = shard.committed
        # Nothing awaits between the look above and the wait: no commit slips in between.
        await self._waiting.wait((stream_arn, shard.index), timeout)
        return shard.committed > seen

    def listen(self, stream_arn: str, callback: Listener) -> Callable[[], None]:
        """Call `callback(shard_id, sequence_number)` after each commit to the stream."""
        self._listeners.setdefault(stream_arn, []).append(callback)

        def stop() -> None:
            listeners = self._listeners.get(stream_arn, [])
            if callback in listeners:
                listeners.remove(callback)
            if not listeners:
                self._listeners.pop(stream_arn, None)

        return stop

    def notify(self, stream: Stream, shard: Shard) -> None:
        """`shard` of `stream` committed new records."""
        if self._waiting.idle and not self._listeners:
            return
        arn = stream.arn
        self._waiting.wake((arn, shard.index))
        for callback in list(self._listeners.get(arn, ())):
            callback(shard.id, shard.sequence_number(shard.committed, shard.newest_arrival))

    def _shard(self, stream_arn: str, shard_id: str) -> Shard | None:
        parts = parse_stream_arn(stream_arn)
        index = shard_index(shard_id)
        if parts is None or index is None:
            return None
        region, account, name = parts
        stream = self._lookup(account, region, name)
        return stream.shard(index) if stream is not None else None
