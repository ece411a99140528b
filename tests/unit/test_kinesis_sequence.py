"""Kinesis sequence numbers, shard ids and hash keys as AWS lays them out."""

from __future__ import annotations

from cloudlet.services.kinesis import sequence
from cloudlet.services.kinesis.hashing import even_ranges, hash_key
from cloudlet.services.kinesis.names import shard_index

# Handed out by AWS: a shard's starting number, a closed shard's ending number, a record's.
AWS_STARTING = "49549167410945534708633744510750617797212193316405248018"
AWS_ENDING = "49549167410956685081233009822320176730553508082787287058"
AWS_RECORD = "49590338271490256608559692538361571095921575989136588898"


def test_numbers_aws_handed_out_decode_into_their_parts():
    start = sequence.decode(AWS_STARTING)
    end = sequence.decode(AWS_ENDING)
    assert start is not None and end is not None
    assert (start.shard, start.index, start.arrival) == (1, 0, start.shard_created)
    assert (end.shard, end.index) == (1, sequence.MAX_INDEX)
    assert end.shard_created == start.shard_created
    record = sequence.decode(AWS_RECORD)
    assert record is not None and record.shard == 6
    assert sequence.starting(start.shard_created, 1) == AWS_STARTING
    assert sequence.ending(end.shard_created, 1, end.arrival) == AWS_ENDING


def test_encoding_round_trips_and_orders_records_of_a_shard():
    numbers = [
        sequence.encode(1_700_000_000, 3, index, 1_700_000_000 + index) for index in range(1, 50)
    ]
    assert all(len(n) == 56 for n in numbers)
    assert [int(n) for n in numbers] == sorted(int(n) for n in numbers)
    assert sequence.decode(numbers[9]) == sequence.SequenceNumber(
        1_700_000_000, 3, 10, 1_700_000_010
    )


def test_numbers_kinesis_could_not_have_made_do_not_decode():
    for text in ("0", "12345", "1" * 56, str(int(AWS_RECORD) + 1), "9" * 70):
        assert sequence.decode(text) is None


def test_shard_ids_are_read_from_the_number_after_the_last_hyphen():
    assert shard_index("shardId-000000000005") == 5
    assert shard_index("shard-5") == shard_index("5") == shard_index("x-y-00005") == 5
    assert shard_index("2147483647") == 2147483647
    for unreadable in ("2147483648", "ABC", "2.14E4", "shardId-", "shardId-٣"):
        assert shard_index(unreadable) is None


def test_hash_keys_are_md5_digests_and_ranges_split_the_space_evenly():
    assert hash_key("a") == 0x0CC175B9C0F1B6A831C399E269772661
    assert even_ranges(1) == [(0, 2**128 - 1)]
    two = even_ranges(2)
    assert two == [(0, 2**127 - 1), (2**127, 2**128 - 1)]
    three = even_ranges(3)
    assert three[0][1] == 113427455640312821154458202477256070484
    assert three[2][1] == 2**128 - 1
