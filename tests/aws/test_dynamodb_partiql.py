"""PartiQL through boto3: ExecuteStatement, BatchExecuteStatement, ExecuteTransaction."""

from __future__ import annotations

from typing import Any

import pytest
from dynamodb_support import create_table, dynamodb_client, error_of


@pytest.fixture
def ddb(server: Any) -> Any:
    return dynamodb_client(server)


@pytest.fixture
def table(ddb: Any) -> str:
    return create_table(ddb, range_key=("sk", "N"))


def run(ddb: Any, statement: str, *parameters: dict[str, Any], **more: Any) -> dict[str, Any]:
    params: dict[str, Any] = {"Statement": statement, **more}
    if parameters:
        params["Parameters"] = list(parameters)
    return ddb.execute_statement(**params)  # type: ignore[no-any-return]


def test_insert_select_update_delete(ddb: Any, table: str) -> None:
    for sk in (1, 2, 3):
        run(
            ddb,
            f"INSERT INTO \"{table}\" VALUE {{'pk': 'p', 'sk': {sk}, 'tags': <<'a'>>, 'n': ?}}",
            {"N": str(sk * 10)},
        )
    found = run(ddb, f'SELECT sk, n FROM "{table}" WHERE pk = ? AND sk >= 2', {"S": "p"})
    assert found["Items"] == [
        {"sk": {"N": "2"}, "n": {"N": "20"}},
        {"sk": {"N": "3"}, "n": {"N": "30"}},
    ]
    run(
        ddb,
        f"UPDATE \"{table}\" SET n = n + 1 SET tags = set_add(tags, <<'b'>>) REMOVE missing_attr"
        " WHERE pk = 'p' AND sk = 1",
    )
    item = ddb.get_item(TableName=table, Key={"pk": {"S": "p"}, "sk": {"N": "1"}})["Item"]
    assert item["n"] == {"N": "11"}
    assert sorted(item["tags"]["SS"]) == ["a", "b"]
    run(ddb, f"DELETE FROM \"{table}\" WHERE pk = 'p' AND sk = 3")
    remaining = run(ddb, f'SELECT * FROM "{table}"')["Items"]
    assert sorted(int(i["sk"]["N"]) for i in remaining) == [1, 2]


def test_insert_of_an_existing_item_is_a_duplicate(ddb: Any, table: str) -> None:
    statement = f"INSERT INTO \"{table}\" VALUE {{'pk': 'p', 'sk': 1}}"
    run(ddb, statement)
    assert error_of(ddb.execute_statement, Statement=statement) == (
        "DuplicateItemException",
        "Duplicate primary key exists in table",
    )


def test_update_needs_the_item_and_its_whole_key(ddb: Any, table: str) -> None:
    code, _ = error_of(
        ddb.execute_statement,
        Statement=f"UPDATE \"{table}\" SET n = 1 WHERE pk = 'nobody' AND sk = 1",
    )
    assert code == "ConditionalCheckFailedException"
    assert error_of(
        ddb.execute_statement, Statement=f"UPDATE \"{table}\" SET n = 1 WHERE pk = 'p'"
    ) == (
        "ValidationException",
        "Where clause does not contain a mandatory equality on all key attributes",
    )
    assert error_of(
        ddb.execute_statement,
        Statement=f'SELECT * FROM "{table}" WHERE pk = ?',
    ) == ("ValidationException", "Number of parameters in request and statement don't match.")
    code, message = error_of(ddb.execute_statement, Statement=f'SELEC * FROM "{table}"')
    assert code == "ValidationException"
    assert message.startswith("Statement wasn't well formed, can't be processed:")


def test_select_pages_with_next_token(ddb: Any, table: str) -> None:
    for sk in range(7):
        ddb.put_item(TableName=table, Item={"pk": {"S": "q"}, "sk": {"N": str(sk)}})
    seen: list[str] = []
    token = None
    while True:
        params: dict[str, Any] = {"Limit": 3}
        if token:
            params["NextToken"] = token
        page = run(ddb, f"SELECT * FROM \"{table}\" WHERE pk = 'q'", **params)
        seen.extend(item["sk"]["N"] for item in page["Items"])
        token = page.get("NextToken")
        if not token:
            break
    assert seen == [str(i) for i in range(7)]


def test_batch_execute_reports_each_statement(ddb: Any, table: str) -> None:
    ddb.put_item(TableName=table, Item={"pk": {"S": "b"}, "sk": {"N": "1"}})
    answer = ddb.batch_execute_statement(
        Statements=[
            {"Statement": f"INSERT INTO \"{table}\" VALUE {{'pk': 'b', 'sk': 2}}"},
            {"Statement": f"INSERT INTO \"{table}\" VALUE {{'pk': 'b', 'sk': 1}}"},
        ]
    )["Responses"]
    assert answer[0] == {"TableName": table}
    assert answer[1]["Error"]["Code"] == "DuplicateItem"
    reads = ddb.batch_execute_statement(
        Statements=[
            {"Statement": f"SELECT * FROM \"{table}\" WHERE pk = 'b' AND sk = 2"},
            {"Statement": f"SELECT * FROM \"{table}\" WHERE pk = 'b' AND sk = 9"},
        ]
    )["Responses"]
    assert reads[0]["Item"] == {"pk": {"S": "b"}, "sk": {"N": "2"}}
    assert "Item" not in reads[1]


def test_execute_transaction_is_all_or_nothing(ddb: Any, table: str) -> None:
    ddb.put_item(TableName=table, Item={"pk": {"S": "t"}, "sk": {"N": "1"}})
    with pytest.raises(ddb.exceptions.TransactionCanceledException) as caught:
        ddb.execute_transaction(
            TransactStatements=[
                {"Statement": f"INSERT INTO \"{table}\" VALUE {{'pk': 't', 'sk': 2}}"},
                {"Statement": f"UPDATE \"{table}\" SET v = 1 WHERE pk = 't' AND sk = 1 AND v = 5"},
            ]
        )
    reasons = caught.value.response["CancellationReasons"]
    assert [r["Code"] for r in reasons] == ["None", "ConditionalCheckFailed"]
    assert "Item" not in ddb.get_item(TableName=table, Key={"pk": {"S": "t"}, "sk": {"N": "2"}})
    ddb.execute_transaction(
        TransactStatements=[
            {"Statement": f"INSERT INTO \"{table}\" VALUE {{'pk': 't', 'sk': 2}}"},
            {"Statement": f"UPDATE \"{table}\" SET v = 1 WHERE pk = 't' AND sk = 1"},
        ]
    )
    read = ddb.execute_transaction(
        TransactStatements=[
            {"Statement": f"SELECT v FROM \"{table}\" WHERE pk = 't' AND sk = 1"},
            {"Statement": f"SELECT * FROM \"{table}\" WHERE pk = 't' AND sk = 2"},
        ]
    )
    assert read["Responses"][0]["Item"] == {"v": {"N": "1"}}
    assert read["Responses"][1]["Item"]["sk"] == {"N": "2"}
