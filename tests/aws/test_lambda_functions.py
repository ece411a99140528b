"""Lambda's control plane through boto3: functions, their code, configuration, tags, states."""

from __future__ import annotations

import base64
import hashlib
import io
import os
import urllib.request
import zipfile

import boto3
import pytest
from botocore.config import Config as BotoConfig
from lambda_support import COUNTER, ROLE, create_function, error_of, make_zip, unique


@pytest.fixture
def unchecked(server):
    """A client that sends what botocore would refuse itself (a Timeout of 0...)."""
    return boto3.client(
        "lambda",
        endpoint_url=server.endpoint,
        region_name="us-east-1",
        config=BotoConfig(parameter_validation=False, retries={"max_attempts": 1}),
    )


def test_create_function_answers_as_lambda_does(lam):
    name = unique("create")
    package = make_zip({"app.py": COUNTER})
    created = lam.create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=ROLE,
        Handler="app.handler",
        Code={"ZipFile": package},
        Description="first",
        Environment={"Variables": {"STAGE": "test"}},
        Tags={"team": "core"},
    )
    assert created["FunctionName"] == name
    assert created["FunctionArn"] == f"arn:aws:lambda:us-east-1:000000000000:function:{name}"
    assert created["CodeSha256"] == base64.b64encode(hashlib.sha256(package).digest()).decode()
    assert created["CodeSize"] == len(package)
    assert (created["Timeout"], created["MemorySize"]) == (3, 128)
    assert created["Version"] == "$LATEST"
    assert created["State"] == "Pending" and created["StateReasonCode"] == "Creating"
    assert created["Environment"] == {"Variables": {"STAGE": "test"}}
    assert created["PackageType"] == "Zip" and created["Architectures"] == ["x86_64"]
    assert created["EphemeralStorage"] == {"Size": 512}
    lam.get_waiter("function_active_v2").wait(FunctionName=name)
    got = lam.get_function(FunctionName=name)
    assert got["Configuration"]["State"] == "Active"
    assert got["Configuration"]["LastUpdateStatus"] == "Successful"
    assert got["Tags"] == {"team": "core"}
    # Code.Location serves the package as uploaded.
    with urllib.request.urlopen(got["Code"]["Location"]) as response:
        assert response.read() == package


def test_function_names_resolve_in_every_form(lam):
    name = unique("forms")
    create_function(lam, name)
    arn = f"arn:aws:lambda:us-east-1:000000000000:function:{name}"
    for form in (name, arn, f"000000000000:function:{name}", f"{name}:$LATEST"):
        assert lam.get_function_configuration(FunctionName=form)["FunctionName"] == name


def test_creating_a_function_twice_conflicts(lam):
    name = unique("twice")
    create_function(lam, name)
    with pytest.raises(lam.exceptions.ResourceConflictException) as caught:
        create_function(lam, name)
    assert error_of(caught) == ("ResourceConflictException", 409, f"Function already exist: {name}")


def test_missing_function_is_not_found(lam):
    with pytest.raises(lam.exceptions.ResourceNotFoundException) as caught:
        lam.get_function(FunctionName="no-such-function")
    assert error_of(caught) == (
        "ResourceNotFoundException",
        404,
        "Function not found: arn:aws:lambda:us-east-1:000000000000:function:no-such-function",
    )


def test_update_code_changes_the_hash_and_the_code(lam):
    name = unique("update-code")
    create_function(lam, name)
    package = make_zip({"app.py": "def handler(e, c):\n    return 'v2'\n"})
    updated = lam.update_function_code(FunctionName=name, ZipFile=package)
    assert updated["CodeSha256"] == base64.b64encode(hashlib.sha256(package).digest()).decode()
    assert updated["LastUpdateStatus"] == "InProgress"
    lam.get_waiter("function_updated_v2").wait(FunctionName=name)
    assert lam.invoke(FunctionName=name)["Payload"].read() == b'"v2"'


def test_update_configuration_applies_settings(lam):
    name = unique("update-config")
    create_function(lam, name)
    updated = lam.update_function_configuration(
        FunctionName=name,
        Timeout=30,
        MemorySize=512,
        Description="changed",
        Environment={"Variables": {"AB": "1"}},
        EphemeralStorage={"Size": 1024},
        Handler="app.other",
        Runtime="python3.13",
    )
    lam.get_waiter("function_updated_v2").wait(FunctionName=name)
    config = lam.get_function_configuration(FunctionName=name)
    assert (config["Timeout"], config["MemorySize"], config["Description"]) == (30, 512, "changed")
    assert config["Environment"] == {"Variables": {"AB": "1"}}
    assert config["EphemeralStorage"] == {"Size": 1024}
    assert (config["Handler"], config["Runtime"]) == ("app.other", "python3.13")
    assert config["RevisionId"] != updated["RevisionId"] or config["RevisionId"]


def test_stale_revision_id_is_refused(lam):
    name = unique("revision")
    create_function(lam, name)
    with pytest.raises(lam.exceptions.PreconditionFailedException) as caught:
        lam.update_function_configuration(FunctionName=name, Timeout=5, RevisionId="stale")
    code, status, _ = error_of(caught)
    assert (code, status) == ("PreconditionFailedException", 412)
    current = lam.get_function_configuration(FunctionName=name)["RevisionId"]
    lam.update_function_configuration(FunctionName=name, Timeout=5, RevisionId=current)


def test_updating_a_version_other_than_latest_is_refused(lam):
    name = unique("qualified-update")
    create_function(lam, name)
    with pytest.raises(lam.exceptions.InvalidParameterValueException):
        lam.update_function_configuration(FunctionName=f"{name}:1", Timeout=5)


def test_list_functions_pages_with_markers(lam):
    prefix = unique("page")
    names = sorted(f"{prefix}-{i}" for i in range(5))
    for name in names:
        create_function(lam, name)
    seen, marker = [], None
    while True:
        page = lam.list_functions(MaxItems=2, **({"Marker": marker} if marker else {}))
        seen += [f["FunctionName"] for f in page["Functions"]]
        assert "State" not in page["Functions"][0]  # ListFunctions leaves the state out
        marker = page.get("NextMarker")
        if not marker:
            break
    assert [n for n in seen if n.startswith(prefix)] == names
    everything = lam.get_paginator("list_functions").paginate().build_full_result()
    assert {n for n in names} <= {f["FunctionName"] for f in everything["Functions"]}


def test_list_functions_with_every_version(lam):
    name = unique("all-versions")
    create_function(lam, name, Publish=True)
    listed = lam.list_functions(FunctionVersion="ALL")["Functions"]
    assert {f["Version"] for f in listed if f["FunctionName"] == name} == {"$LATEST", "1"}


def test_delete_function_removes_it(lam):
    name = unique("delete")
    create_function(lam, name)
    lam.delete_function(FunctionName=name)
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.get_function(FunctionName=name)
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.delete_function(FunctionName=name)


def test_tags_are_added_listed_and_removed(lam):
    name = unique("tags")
    arn = create_function(lam, name, Tags={"a": "1"})["FunctionArn"]
    lam.tag_resource(Resource=arn, Tags={"b": "2"})
    assert lam.list_tags(Resource=arn)["Tags"] == {"a": "1", "b": "2"}
    lam.untag_resource(Resource=arn, TagKeys=["a"])
    assert lam.list_tags(Resource=arn)["Tags"] == {"b": "2"}


def test_account_settings_count_functions_and_code(lam):
    before = lam.get_account_settings()
    create_function(lam, unique("account"))
    after = lam.get_account_settings()
    assert after["AccountUsage"]["FunctionCount"] == before["AccountUsage"]["FunctionCount"] + 1
    assert after["AccountUsage"]["TotalCodeSize"] > before["AccountUsage"]["TotalCodeSize"]
    limits = after["AccountLimit"]
    assert limits["CodeSizeZipped"] == 52428800 and limits["CodeSizeUnzipped"] == 262144000
    assert limits["ConcurrentExecutions"] == 1000


def test_file_modes_survive_unpacking(lam):
    # A bootstrap must stay executable: the function runs `ls -l`-like checks on itself.
    code = "import os\ndef handler(e, c):\n    return os.access('tool.sh', os.X_OK)\n"
    package = make_zip({"app.py": code, "tool.sh": "#!/bin/sh\n"}, {"tool.sh": 0o755})
    name = unique("modes")
    create_function(lam, name, package)
    assert lam.invoke(FunctionName=name)["Payload"].read() == b"true"


# -- bad input ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("settings", "code", "message"),
    [
        (
            {"Runtime": "python9.9"},
            "ValidationException",
            "1 validation error detected: Value 'python9.9' at 'runtime' failed to satisfy"
            " constraint: Member must satisfy enum value set: [",
        ),
        (
            {"Runtime": "python2.7"},
            "InvalidParameterValueException",
            "The runtime parameter of python2.7 is no longer supported for creating or updating"
            " AWS Lambda functions.",
        ),
        (
            {"Role": "not-a-role"},
            "ValidationException",
            "1 validation error detected: Value 'not-a-role' at 'role' failed to satisfy"
            " constraint: Member must satisfy regular expression pattern:",
        ),
        (
            {"Handler": "has space"},
            "ValidationException",
            "1 validation error detected: Value 'has space' at 'handler' failed to satisfy",
        ),
        (
            {"Timeout": 901},
            "ValidationException",
            "1 validation error detected: Value 901 at 'timeout' failed to satisfy constraint:"
            " Member must have value less than or equal to 900",
        ),
        (
            {"Timeout": 0},
            "ValidationException",
            "1 validation error detected: Value 0 at 'timeout' failed to satisfy constraint:"
            " Member must have value greater than or equal to 1",
        ),
        (
            {"MemorySize": 64},
            "ValidationException",
            "1 validation error detected: Value 64 at 'memorySize' failed to satisfy constraint:"
            " Member must have value greater than or equal to 128",
        ),
        (
            {"MemorySize": 10241},
            "ValidationException",
            "1 validation error detected: Value 10241 at 'memorySize' failed to satisfy"
            " constraint: Member must have value less than or equal to 10240",
        ),
        (
            {"EphemeralStorage": {"Size": 10241}},
            "ValidationException",
            "1 validation error detected: Value 10241 at 'ephemeralStorage.size' failed",
        ),
        (
            {"Environment": {"Variables": {"AWS_REGION": "x"}}},
            "InvalidParameterValueException",
            "Lambda was unable to configure your environment variables because the environment"
            " variables you have provided contains reserved keys that are currently not"
            " supported for modification. Reserved keys used in this request: AWS_REGION",
        ),
        (
            {"Environment": {"Variables": {"BIG": "x" * 4100}}},
            "InvalidParameterValueException",
            "Lambda was unable to configure your environment variables because the environment"
            " variables you have provided exceeded the 4KB limit. String measured: ",
        ),
        (
            {"Layers": ["arn:aws:lambda:us-east-1:000000000000:layer:none:1"]},
            "InvalidParameterValueException",
            "Layer version arn:aws:lambda:us-east-1:000000000000:layer:none:1 does not exist.",
        ),
    ],
)
def test_bad_settings_get_lambdas_errors(lam, unchecked, settings, code, message):
    name = unique("bad")
    request = {
        "FunctionName": name,
        "Runtime": "python3.12",
        "Role": ROLE,
        "Handler": "app.handler",
        "Code": {"ZipFile": make_zip({"app.py": COUNTER})},
        **settings,
    }
    with pytest.raises(unchecked.exceptions.ClientError) as caught:
        unchecked.create_function(**request)
    got_code, status, got_message = error_of(caught)
    assert (got_code, status) == (code, 400)
    assert got_message.startswith(message)
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.get_function(FunctionName=name)  # nothing half-created


def test_bad_update_leaves_the_function_as_it_was(lam):
    name = unique("bad-update")
    before = create_function(lam, name, Timeout=7)
    with pytest.raises(lam.exceptions.ClientError):
        lam.update_function_configuration(FunctionName=name, Timeout=1000)
    with pytest.raises(lam.exceptions.InvalidParameterValueException):
        lam.update_function_code(FunctionName=name, ZipFile=b"not a zip")
    after = lam.get_function_configuration(FunctionName=name)
    assert (after["Timeout"], after["CodeSha256"]) == (7, before["CodeSha256"])


def test_corrupt_zip_is_refused(lam):
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as caught:
        create_function(lam, unique("corrupt"), b"PK\x03\x04 this is not really a zip")
    assert error_of(caught) == (
        "InvalidParameterValueException",
        400,
        "Could not unzip uploaded file. Please check your file, then try to upload again.",
    )


def test_zip_entries_outside_the_directory_are_refused(lam):
    package = make_zip({"app.py": COUNTER, "../escape.py": "x = 1\n"})
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as caught:
        create_function(lam, unique("escape"), package)
    assert "would unpack outside" in error_of(caught)[2]


def test_zip_over_50_mb_is_too_large(lam):
    package = make_zip({"app.py": COUNTER, "blob.bin": os.urandom(52_500_000)})
    with pytest.raises(lam.exceptions.ClientError) as caught:
        create_function(lam, unique("huge"), package)
    assert error_of(caught) == (
        "RequestEntityTooLargeException",
        413,
        "Request must be smaller than 69905067 bytes for the CreateFunction operation",
    )


def test_zip_unpacking_over_250_mb_is_refused(lam):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("app.py", COUNTER)
        with archive.open("zeros.bin", "w", force_zip64=True) as sink:
            chunk = bytes(1 << 20)
            for _ in range(251):
                sink.write(chunk)
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as caught:
        create_function(lam, unique("bomb"), buffer.getvalue())
    assert error_of(caught)[2] == "Unzipped size must be smaller than 262144000 bytes"


def test_code_from_a_missing_bucket_is_refused_as_aws_does(lam):
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as caught:
        lam.create_function(
            FunctionName=unique("s3"),
            Runtime="python3.12",
            Role=ROLE,
            Handler="app.handler",
            Code={"S3Bucket": "no-such-bucket", "S3Key": "code.zip"},
        )
    assert error_of(caught)[2] == (
        "Error occurred while GetObject. S3 Error Code: NoSuchBucket. S3 Error Message: The"
        " specified bucket does not exist"
    )


def test_runtime_and_handler_are_required_for_zips(lam):
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as caught:
        lam.create_function(
            FunctionName=unique("no-handler"),
            Role=ROLE,
            Code={"ZipFile": make_zip({"app.py": COUNTER})},
        )
    assert error_of(caught)[2] == (
        "Runtime and Handler are mandatory parameters for functions created with deployment"
        " packages."
    )
