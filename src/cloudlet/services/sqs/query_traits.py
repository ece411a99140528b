"""The traits SQS's legacy query protocol needs, added to a copy of its json-era botocore model.

SQS moved its SDKs to json in 2023, and botocore's model dropped the XML names the query
protocol used; older SDKs (botocore <= 1.31, the Java v1 SDK, boto2...) still send
`Action=SendMessage&MessageAttribute.1.Name=...` and read `<SendMessageResponse>`. The json
protocol reads `locationName` too, so the traits go into the query protocol's own copy of the
model (`protocolModels`, see `cloudlet.gateway.catalog`). The names follow a few rules, with a
short table of exceptions:

- every list's items are named after the list without its `List` suffix (`QueueUrlList`
  items are `QueueUrl`, `SendMessageBatchRequestEntryList` items `SendMessageBatchRequestEntry`);
- every map is flattened with `Name`/`Value` entries (`Key`/`Value` for tags), and a
  structure member holding a map goes by its singular name (`Attributes` → `Attribute`,
  `MessageAttributes` → `MessageAttribute`, `tags` → `Tag`);
- every result is wrapped in `<OperationResult>`, in the 2012-11-05 namespace;
- a request may name its queue by posting to the queue's URL instead of `QueueUrl=`.
"""

from __future__ import annotations

import copy
from typing import Any

NAMESPACE = "http://queue.amazonaws.com/doc/2012-11-05/"

# Lists whose items do not follow the rule.
_ITEM_NAMES = {
    "StringList": "StringListValue",
    "BinaryList": "BinaryListValue",
    # Added after SQS left the query protocol; named like its predecessor `AttributeName`.
    "MessageSystemAttributeList": "MessageSystemAttributeName",
}


def add_query_traits(model: dict[str, Any]) -> None:
    """Make the raw SQS model `model` speak the query protocol as well as json."""
    query = copy.deepcopy(model)
    _name_for_xml(query)
    metadata = model["metadata"]
    protocols = metadata.setdefault("protocols", [metadata["protocol"]])
    if "query" not in protocols:
        protocols.append("query")
    model.setdefault("protocolModels", {})["query"] = query


def _name_for_xml(model: dict[str, Any]) -> None:
    metadata = model["metadata"]
    metadata["xmlNamespace"] = NAMESPACE
    metadata["queryPathMember"] = "QueueUrl"
    shapes = model["shapes"]
    for name, shape in shapes.items():
        if shape["type"] == "list":
            shape["flattened"] = True
            shape["member"]["locationName"] = _ITEM_NAMES.get(name, name.removesuffix("List"))
        elif shape["type"] == "map":
            shape["flattened"] = True
            shape["key"]["locationName"] = "Key" if name == "TagMap" else "Name"
            shape["value"]["locationName"] = "Value"
        elif shape["type"] == "structure":
            for member_name, member in shape["members"].items():
                if shapes[member["shape"]]["type"] == "map":
                    singular = member_name.removesuffix("s")
                    member["locationName"] = singular[0].upper() + singular[1:]
    for name, operation in model["operations"].items():
        if "output" in operation:
            operation["output"]["resultWrapper"] = f"{name}Result"
