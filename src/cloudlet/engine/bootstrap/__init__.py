"""Code that runs inside execution environments and the zygote, not in the server.

Everything here uses the standard library only and runs on Python 3.9 and newer: it is
loaded by whichever interpreter a function's runtime needs, by path, without cloudlet
installed there.
"""
