"""Identifiers that only need to be unique, not secret: request ids, message ids.

`uuid.uuid4()` reads the kernel's random source on every call, which costs tens of
microseconds on some virtual machines; a version-4 UUID drawn from Python's generator costs
a couple, and is as unique for these purposes.
"""

import random
import uuid


def random_uuid() -> str:
    """A version-4 UUID string, e.g. for an `x-amzn-RequestId`."""
    return str(uuid.UUID(int=random.getrandbits(128), version=4))
