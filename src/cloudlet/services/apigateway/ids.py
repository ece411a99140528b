"""Identifiers as API Gateway makes them: lower-case letters and digits, 10 for an API,
fewer for what lives inside one; and the timestamps its answers carry."""

from __future__ import annotations

import random
import string
from datetime import UTC, datetime

_ALPHABET = string.ascii_lowercase + string.digits


def new_id(length: int = 10) -> str:
    return "".join(random.choices(_ALPHABET, k=length))


def now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)
