"""cloudlet: the AWS serverless stack on your own machines, behind one port."""

__version__ = "0.1.0"
