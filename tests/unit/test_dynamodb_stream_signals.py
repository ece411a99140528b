"""The streams' notification hook: a poller waiting on a stream wakes at its next record."""

from __future__ import annotations

import asyncio

from cloudlet.services.dynamodb.streams import StreamSignals, build_record, sequence_number


def test_a_waiting_poller_wakes_when_its_stream_gets_a_record() -> None:
    async def scenario() -> tuple[bool, bool]:
        signals = StreamSignals()
        mine = signals.changed("arn:mine")
        other = signals.changed("arn:other")
        asyncio.get_running_loop().call_later(0.01, signals.notify, {"arn:mine"})
        await asyncio.wait_for(mine.wait(), timeout=1)
        # A new wait after the wake-up waits for the next record, not the last one.
        return signals.changed("arn:mine").is_set(), other.is_set()

    assert asyncio.run(scenario()) == (False, False)


def test_records_have_aws_fields_and_images_by_view_type() -> None:
    keys = {"pk": {"S": "a"}}
    old, new = {**keys, "v": {"N": "1"}}, {**keys, "v": {"N": "2"}}
    record = build_record("eu-west-1", "KEYS_ONLY", keys, old, new, 1700000000.5)
    assert record["eventName"] == "MODIFY"
    assert record["awsRegion"] == "eu-west-1"
    assert record["dynamodb"]["ApproximateCreationDateTime"] == 1700000000
    assert "NewImage" not in record["dynamodb"] and "OldImage" not in record["dynamodb"]
    ttl = build_record("eu-west-1", "NEW_AND_OLD_IMAGES", keys, old, None, 0, ttl=True)
    assert ttl["eventName"] == "REMOVE" and ttl["dynamodb"]["OldImage"] == old
    assert ttl["userIdentity"] == {"type": "Service", "principalId": "dynamodb.amazonaws.com"}
    assert sequence_number(42) == "000000000000000000042"
