"""Layers through boto3: publishing, listing, and their files in the function's /opt."""

from __future__ import annotations

import json
import shutil
import urllib.request

import pytest
from lambda_support import create_function, error_of, make_zip, unique

USES_LAYER = """
import shared, which
def handler(event, context):
    return {"shared": shared.VALUE, "which": which.LAYER}
"""


def publish(lam, name, files, **kwargs):
    return lam.publish_layer_version(LayerName=name, Content={"ZipFile": make_zip(files)}, **kwargs)


def test_publish_layer_versions(lam):
    name = unique("layer")
    package = make_zip({"python/shared.py": "VALUE = 1\n"})
    first = lam.publish_layer_version(
        LayerName=name,
        Content={"ZipFile": package},
        Description="one",
        CompatibleRuntimes=["python3.12"],
        CompatibleArchitectures=["x86_64"],
        LicenseInfo="MIT",
    )
    arn = f"arn:aws:lambda:us-east-1:000000000000:layer:{name}"
    assert (first["LayerArn"], first["LayerVersionArn"], first["Version"]) == (
        arn,
        f"{arn}:1",
        1,
    )
    assert first["Content"]["CodeSize"] == len(package)
    assert first["CompatibleRuntimes"] == ["python3.12"] and first["LicenseInfo"] == "MIT"
    with urllib.request.urlopen(first["Content"]["Location"]) as response:
        assert response.read() == package
    second = publish(
        lam, name, {"python/shared.py": "VALUE = 2\n"}, CompatibleRuntimes=["nodejs22.x"]
    )
    assert second["Version"] == 2
    got = lam.get_layer_version(LayerName=name, VersionNumber=1)
    assert got["Description"] == "one"
    assert lam.get_layer_version_by_arn(Arn=f"{arn}:2")["Version"] == 2
    versions = lam.list_layer_versions(LayerName=name)["LayerVersions"]
    assert [v["Version"] for v in versions] == [2, 1]
    python_only = lam.list_layer_versions(LayerName=name, CompatibleRuntime="python3.12")
    assert [v["Version"] for v in python_only["LayerVersions"]] == [1]
    layers = {layer["LayerName"]: layer for layer in lam.list_layers()["Layers"]}
    assert layers[name]["LatestMatchingVersion"]["Version"] == 2


def test_function_imports_modules_from_its_layers_in_order(lam):
    first = publish(
        lam,
        unique("base"),
        {"python/shared.py": "VALUE = 'base'\n", "python/which.py": "LAYER = 'first'\n"},
    )
    second = publish(lam, unique("over"), {"python/which.py": "LAYER = 'second'\n"})
    name = unique("with-layers")
    create_function(
        lam, name, USES_LAYER, Layers=[first["LayerVersionArn"], second["LayerVersionArn"]]
    )
    config = lam.get_function_configuration(FunctionName=name)
    assert [layer["Arn"] for layer in config["Layers"]] == [
        first["LayerVersionArn"],
        second["LayerVersionArn"],
    ]
    result = json.loads(lam.invoke(FunctionName=name)["Payload"].read())
    assert result == {"shared": "base", "which": "second"}  # the later layer wins


def test_adding_a_layer_by_update_and_keeping_it_after_its_deletion(lam):
    layer_name = unique("kept")
    layer = publish(
        lam,
        layer_name,
        {"python/shared.py": "VALUE = 'kept'\n", "python/which.py": "LAYER = 'only'\n"},
    )
    name = unique("late-layer")
    create_function(lam, name, USES_LAYER)
    failed = lam.invoke(FunctionName=name)
    assert failed["FunctionError"] == "Unhandled"  # no module named shared, yet
    lam.update_function_configuration(FunctionName=name, Layers=[layer["LayerVersionArn"]])
    lam.get_waiter("function_updated_v2").wait(FunctionName=name)
    assert json.loads(lam.invoke(FunctionName=name)["Payload"].read())["shared"] == "kept"
    lam.delete_layer_version(LayerName=layer_name, VersionNumber=1)
    with pytest.raises(lam.exceptions.ResourceNotFoundException) as caught:
        lam.get_layer_version(LayerName=layer_name, VersionNumber=1)
    assert error_of(caught) == (
        "ResourceNotFoundException",
        404,
        "The resource you requested does not exist.",
    )
    lam.update_function_configuration(FunctionName=name, Timeout=10)  # a fresh environment
    lam.get_waiter("function_updated_v2").wait(FunctionName=name)
    assert json.loads(lam.invoke(FunctionName=name)["Payload"].read())["shared"] == "kept"


LAYER_TOOLS = """
import os, shutil, subprocess
def handler(event, context):
    tool = shutil.which("layer-hello")
    libraries = os.environ["LD_LIBRARY_PATH"].split(":")
    return {
        "output": subprocess.run([tool, "world"], capture_output=True, text=True).stdout,
        "tool": os.path.relpath(tool, os.path.dirname(os.path.dirname(tool))),
        "library": any(os.path.exists(os.path.join(d, "libnote.so")) for d in libraries),
    }
"""


def test_a_layer_s_bin_is_on_path_and_its_lib_on_ld_library_path(lam):
    package = make_zip(
        {"bin/layer-hello": '#!/bin/sh\necho "hello $1"\n', "lib/libnote.so": b"not really"},
        {"bin/layer-hello": 0o755},
    )
    layer = lam.publish_layer_version(LayerName=unique("tools"), Content={"ZipFile": package})
    name = unique("layer-tools")
    create_function(lam, name, LAYER_TOOLS, Layers=[layer["LayerVersionArn"]])
    response = lam.invoke(FunctionName=name)
    result = json.loads(response["Payload"].read())
    assert "FunctionError" not in response, result
    assert result == {"output": "hello world\n", "tool": "bin/layer-hello", "library": True}


@pytest.mark.skipif(shutil.which("node") is None, reason="Node.js is not installed")
def test_node_functions_require_modules_from_their_layers(lam):
    layer = publish(
        lam,
        unique("node-modules"),
        {
            "nodejs/node_modules/greeting/index.js": "exports.greet = (n) => `hello ${n}`;\n",
            "nodejs/node20/node_modules/versioned/index.js": "exports.node = 'node20';\n",
        },
    )
    code = make_zip(
        {
            "index.js": "const { greet } = require('greeting');\n"
            "const { node } = require('versioned');\n"
            "exports.handler = async (event) => ({ greeting: greet(event.name), node });\n"
        }
    )
    name = unique("node-layer")
    create_function(
        lam,
        name,
        code,
        runtime="nodejs20.x",
        handler="index.handler",
        Layers=[layer["LayerVersionArn"]],
    )
    response = lam.invoke(FunctionName=name, Payload=json.dumps({"name": "layers"}).encode())
    result = json.loads(response["Payload"].read())
    assert "FunctionError" not in response, result
    assert result == {"greeting": "hello layers", "node": "node20"}


def test_more_than_five_layers_are_refused(lam):
    arns = [publish(lam, unique("many"), {"python/x.py": ""})["LayerVersionArn"] for _ in range(6)]
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as caught:
        create_function(lam, unique("six-layers"), Layers=arns)
    assert error_of(caught)[2] == "Cannot reference more than 5 layers."


def test_corrupt_layer_zip_is_refused(lam):
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as caught:
        lam.publish_layer_version(LayerName=unique("bad"), Content={"ZipFile": b"nope"})
    assert error_of(caught)[2].startswith("Could not unzip uploaded file.")
