"""Identifiers that only need to be unique, not secret: request ids, message ids.

`uuid.uuid4()` reads the kernel's random source on every call, which costs tens of
microseconds on some virtual machines; a version-4 UUID drawn from Python's generator costs
a couple, and is as unique for these purposes.
"""

import random

# A version 4 UUID's fixed bits: the version nibble (4) and the RFC 4122 variant (10xx).
_CLEAR = ~((0xF << 76) | (0xC000 << 48))
_SET = (4 << 76) | (0x8000 << 48)


def random_uuid() -> str:
    """A version-4 UUID string, e.g. for an `x-amzn-RequestId` or an SQS MessageId."""
    h = f"{(random.getrandbits(128) & _CLEAR) | _SET:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
