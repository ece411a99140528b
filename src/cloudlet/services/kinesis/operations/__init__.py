"""Kinesis's operations, in groups that the provider class gathers (see `provider.py`)."""
