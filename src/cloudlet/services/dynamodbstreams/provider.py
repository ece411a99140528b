"""The DynamoDB Streams API: ListStreams, DescribeStream, GetShardIterator, GetRecords.

Each stream has one shard, open while the stream is enabled and closed (with an ending
sequence number) once it is disabled or its table deleted; its records are kept 24 hours.
An iterator positioned before the oldest record kept (AT_ or AFTER_SEQUENCE_NUMBER of a
trimmed record, or one issued before its records were trimmed) gets
TrimmedDataAccessException; TRIM_HORIZON starts at the oldest record kept.
"""

from __future__ import annotations

import time
from typing import Any

import orjson

from cloudlet.gateway.errors import ServiceError
from cloudlet.services.base import RequestContext, Service
from cloudlet.services.dynamodb.streams import (
    numbered,
    read_records,
    sequence_number,
    shard_id,
)
from cloudlet.services.dynamodbstreams import iterators
from cloudlet.store import Tx

MAX_RECORDS = 1000
MAX_BYTES = 1024 * 1024
_STREAM_COLUMNS = "id, arn, table_name, label, view_type, key_schema, created, disabled, trimmed"


class DynamoDBStreamsService(Service):
    name = "dynamodbstreams"
    quotes_numbers = True  # as DynamoDB does: "Value '0' at 'limit'"

    def patch_model(self, model: dict[str, Any]) -> None:
        # Records are stored in wire form already (binaries as base64 text).
        model["shapes"]["AttributeValue"] = {"type": "document"}

    async def list_streams(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        limit = params.get("Limit") or 100
        sql = f"SELECT {_STREAM_COLUMNS} FROM ddb_streams WHERE account = ? AND region = ?"
        args: list[Any] = [ctx.account_id, ctx.region]
        if params.get("TableName"):
            sql += " AND table_name = ?"
            args.append(params["TableName"])
        if params.get("ExclusiveStartStreamArn"):
            sql += " AND arn > ?"
            args.append(params["ExclusiveStartStreamArn"])
        sql += " ORDER BY arn LIMIT ?"
        args.append(limit + 1)
        rows = await self.store.read(lambda tx: tx.execute(sql, args).fetchall())
        streams = [
            {"StreamArn": row[1], "TableName": row[2], "StreamLabel": row[3]}
            for row in rows[:limit]
        ]
        out: dict[str, Any] = {"Streams": streams}
        if len(rows) > limit:
            out["LastEvaluatedStreamArn"] = streams[-1]["StreamArn"]
        return out

    async def describe_stream(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        arn = params["StreamArn"]

        def read(tx: Tx) -> tuple[Any, Any]:
            row = _stream(tx, ctx, arn)
            bounds = tx.execute(
                "SELECT MIN(seq), MAX(seq) FROM ddb_stream_records WHERE stream_id = ?", (row[0],)
            ).fetchone()
            return row, bounds

        row, (first, last) = await self.store.read(read)
        stream_id, _, table_name, label, view_type, key_schema, created, disabled, _ = row
        shard: dict[str, Any] = {
            "ShardId": shard_id(stream_id, created),
            "SequenceNumberRange": {"StartingSequenceNumber": sequence_number(first or 1)},
        }
        if disabled is not None:
            shard["SequenceNumberRange"]["EndingSequenceNumber"] = sequence_number(last or 1)
        return {
            "StreamDescription": {
                "StreamArn": arn,
                "StreamLabel": label,
                "StreamStatus": "DISABLED" if disabled is not None else "ENABLED",
                "StreamViewType": view_type,
                "CreationRequestDateTime": created,
                "TableName": table_name,
                "KeySchema": orjson.loads(key_schema),
                "Shards": [shard],
            }
        }

    async def get_shard_iterator(
        self, ctx: RequestContext, params: dict[str, Any]
    ) -> dict[str, Any]:
        arn, kind = params["StreamArn"], params["ShardIteratorType"]
        sequence = params.get("SequenceNumber")
        if kind in ("AT_SEQUENCE_NUMBER", "AFTER_SEQUENCE_NUMBER"):
            if sequence is None:
                raise ServiceError(
                    "ValidationException",
                    f"Must provide SequenceNumber for ShardIteratorType {kind}",
                )
            if not sequence.isdigit():
                raise ServiceError("ValidationException", f"Invalid SequenceNumber: {sequence}")

        def read(tx: Tx) -> tuple[int, int, int]:
            row = _stream(tx, ctx, arn)
            if params["ShardId"] != shard_id(row[0], row[6]):
                raise ServiceError(
                    "ResourceNotFoundException",
                    f"Requested resource not found: Shard does not exist: {params['ShardId']}",
                )
            latest = tx.execute(
                "SELECT MAX(seq) FROM ddb_stream_records WHERE stream_id = ?", (row[0],)
            ).fetchone()[0]
            return row[0], latest or 0, row[8]

        stream_id, latest, trimmed = await self.store.read(read)
        if kind == "TRIM_HORIZON":
            after = trimmed
        elif kind == "LATEST":
            after = max(latest, trimmed)
        elif kind == "AT_SEQUENCE_NUMBER":
            after = int(sequence) - 1  # type: ignore[arg-type]
        else:
            after = int(sequence)  # type: ignore[arg-type]
        if after < trimmed:
            raise trimmed_data()
        return {"ShardIterator": iterators.issue(arn, stream_id, after)}

    async def get_records(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        now = time.time()
        position = iterators.read(params["ShardIterator"], now)
        limit = min(params.get("Limit") or MAX_RECORDS, MAX_RECORDS)

        def read(tx: Tx) -> tuple[list[tuple[int, bytes]], Any]:
            rows = read_records(tx, position.stream_id, position.after, limit)
            state = tx.execute(
                "SELECT disabled, account, region, trimmed FROM ddb_streams WHERE id = ?",
                (position.stream_id,),
            ).fetchone()
            return rows, state

        rows, state = await self.store.read(read)
        if state is None or (state[1], state[2]) != (ctx.account_id, ctx.region):
            raise ServiceError(
                "ResourceNotFoundException",
                f"Requested resource not found: Stream: {position.stream_arn} not found",
            )
        if position.after < state[3]:
            raise trimmed_data()  # records after the iterator's position are gone
        records = []
        size = 0
        after = position.after
        for seq, raw in rows:
            record = numbered(seq, raw)
            identity = record.get("userIdentity")
            if identity is not None:
                # Stored as Lambda events carry it; the Streams API capitalizes the members.
                record["userIdentity"] = {
                    "PrincipalId": identity["principalId"],
                    "Type": identity["type"],
                }
            records.append(record)
            after = seq
            size += len(raw)
            if size >= MAX_BYTES:
                break
        out: dict[str, Any] = {"Records": records}
        # A closed shard read to its end has no next iterator.
        if state[0] is None or records:
            out["NextShardIterator"] = iterators.issue(
                position.stream_arn, position.stream_id, after, now
            )
        return out


def trimmed_data() -> ServiceError:
    # The message AWS sends (the model documents it; DynamoDB Local sends the exception's
    # description instead).
    return ServiceError(
        "TrimmedDataAccessException", "The data you are trying to access has been trimmed"
    )


def _stream(tx: Tx, ctx: RequestContext, arn: str) -> Any:
    row = tx.execute(
        f"SELECT {_STREAM_COLUMNS} FROM ddb_streams WHERE arn = ? AND account = ? AND region = ?",
        (arn, ctx.account_id, ctx.region),
    ).fetchone()
    if row is None:
        raise ServiceError(
            "ResourceNotFoundException", f"Requested resource not found: Stream: {arn} not found"
        )
    return row
