"""The EventBridge pattern language: every matcher, arrays, $or, and refused patterns."""

from __future__ import annotations

import pytest

from cloudlet.delivery.patterns import Pattern, PatternError

ORDER = {
    "source": "shop.orders",
    "detail-type": "Order Placed",
    "detail": {
        "id": "o-17",
        "total": 120.5,
        "items": 3,
        "rush": True,
        "coupon": None,
        "country": "NL",
        "tags": ["gift", "fragile"],
        "file": "photos/IMG_001.PNG",
        "ip": "10.0.3.7",
        "lines": [{"sku": "a-1", "qty": 2}, {"sku": "b-9", "qty": 1}],
        "grid": [[1, 2], [3]],
        "address": {"city": "Utrecht"},
    },
}


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ({"source": ["shop.orders"]}, True),
        ({"source": ["shop.refunds", "shop.orders"]}, True),
        ({"source": ["shop.refunds"]}, False),
        ({"detail": {"items": [3]}}, True),
        ({"detail": {"items": ["3"]}}, False),  # a string never equals a number
        ({"detail": {"total": [120.5]}}, True),
        ({"detail": {"rush": [True]}}, True),
        ({"detail": {"coupon": [None]}}, True),
        ({"detail": {"tags": ["fragile"]}}, True),  # any element of an array
        ({"detail": {"lines": {"sku": ["b-9"]}}}, True),  # nested objects in an array
        ({"detail": {"lines": {"sku": ["c-1"]}}}, False),
        ({"detail-type": [{"prefix": "Order"}]}, True),
        ({"detail-type": [{"prefix": {"equals-ignore-case": "order p"}}]}, True),
        ({"detail": {"file": [{"suffix": ".png"}]}}, False),
        ({"detail": {"file": [{"suffix": {"equals-ignore-case": ".png"}}]}}, True),
        ({"detail": {"country": [{"equals-ignore-case": "nl"}]}}, True),
        ({"detail": {"file": [{"wildcard": "photos/*.PNG"}]}}, True),
        ({"detail": {"file": [{"wildcard": "*/lib/*"}]}}, False),
        ({"detail": {"country": [{"anything-but": "NL"}]}}, False),
        ({"detail": {"country": [{"anything-but": ["DE", "FR"]}]}}, True),
        ({"detail": {"items": [{"anything-but": [1, 2]}]}}, True),
        ({"detail": {"country": [{"anything-but": {"prefix": "N"}}]}}, False),
        ({"detail": {"missing": [{"anything-but": "x"}]}}, False),  # absent never matches
        ({"detail": {"total": [{"numeric": [">", 100, "<=", 200]}]}}, True),
        ({"detail": {"total": [{"numeric": ["<", 100]}]}}, False),
        ({"detail": {"items": [{"numeric": ["=", 3]}]}}, True),
        ({"detail": {"coupon": [{"exists": True}]}}, True),  # present, even if null
        ({"detail": {"voucher": [{"exists": False}]}}, True),
        ({"detail": {"voucher": [{"exists": True}]}}, False),
        ({"detail": {"country": [{"exists": False}]}}, False),
        # Only leaves exist: an object, or an array of objects, is no leaf (Ruler's rule).
        ({"detail": {"address": [{"exists": True}]}}, False),
        ({"detail": {"address": [{"exists": False}]}}, True),
        ({"detail": {"lines": [{"exists": True}]}}, False),
        ({"detail": {"tags": [{"exists": True}]}}, True),
        ({"detail": {"address": [{"anything-but": "Amsterdam"}]}}, False),
        ({"detail": {"grid": [3]}}, True),  # nested arrays are flattened
        ({"detail": {"country": [{"anything-but": {"equals-ignore-case": ["nl", "de"]}}]}}, False),
        ({"detail": {"country": [{"anything-but": {"equals-ignore-case": ["de", "fr"]}}]}}, True),
        ({"detail": {"file": [{"anything-but": {"wildcard": ["*/lib/*", "*.txt"]}}]}}, True),
        ({"detail": {"file": [{"anything-but": {"wildcard": ["photos/*"]}}]}}, False),
        ({"detail": {"file": [{"anything-but": {"wildcard": "*.PNG"}}]}}, False),
        ({"detail": {"country": [{"anything-but": {"prefix": ["X", "N"]}}]}}, False),
        ({"detail": {"country": [{"anything-but": {"suffix": ["X", "Y"]}}]}}, True),
        ({"detail": {"ip": [{"cidr": "10.0.0.0/16"}]}}, True),
        ({"detail": {"ip": [{"cidr": "10.1.0.0/16"}]}}, False),
        ({"detail": {"$or": [{"rush": [False]}, {"country": ["NL"]}]}}, True),
        ({"$or": [{"source": ["x"]}, {"detail": {"items": [{"numeric": [">", 5]}]}}]}, False),
        ({"source": ["shop.orders"], "detail": {"country": ["DE"]}}, False),  # AND of keys
    ],
)
def test_pattern_matching(pattern, expected):
    assert Pattern(pattern).matches(ORDER) is expected


@pytest.mark.parametrize(
    "pattern",
    [
        '{"source": ',
        "[1, 2]",
        {"source": "shop.orders"},  # a leaf must be a list
        {"source": []},
        {"source": [{"prefix": 3}]},
        {"source": [{"startswith": "x"}]},
        {"detail": {"total": [{"numeric": [">", "a"]}]}},
        {"detail": {"total": [{"numeric": ["!=", 1]}]}},
        {"detail": {"ip": [{"cidr": "not a network"}]}},
        {"detail": {"x": [{"exists": "yes"}]}},
        {"$or": [{"source": ["x"]}]},
        {"detail": {"file": [{"wildcard": "a**b"}]}},
        # anything-but takes text matchers only, each of strings.
        {"detail": {"total": [{"anything-but": {"numeric": [">", 1]}}]}},
        {"detail": {"ip": [{"anything-but": {"cidr": "10.0.0.0/8"}}]}},
        {"detail": {"file": [{"anything-but": {"prefix": ""}}]}},
        {"detail": {"file": [{"anything-but": {"prefix": {"equals-ignore-case": "x"}}}]}},
        {"detail": {"file": [{"anything-but": {"wildcard": [1]}}]}},
        {"detail": {"file": [{"anything-but": {"prefix": "a", "suffix": "b"}}]}},
    ],
)
def test_malformed_patterns_are_refused(pattern):
    with pytest.raises(PatternError):
        Pattern(pattern)
