"""What services do for each other without importing each other.

A provider that others need registers an implementation of its port when it is built
(`platform.ports.queues = ...`); delivery code and other providers call through the port.
Each port is a small Protocol below: the few operations others need, in AWS terms (ARNs,
payload bytes), never a provider's internals.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Ports:
    """The registry: one slot per service that others use; None until its provider is built."""
