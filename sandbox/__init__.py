"""sandbox: run children's Python programs safely, kindly and fast.

A standalone package (it imports nothing from ``codekids``)::

    from sandbox import Sandbox, Limits, RunResult

    with Sandbox() as sb:
        result = sb.run('print("Salut", input())', stdin="Ana\n")

See README.md in this folder for the layers, the refusal reasons and the
turtle recording format.
"""

__all__ = ["Sandbox", "Limits", "RunResult", "ErrorInfo", "RANDOM_SEED"]

# Every run's ``random`` starts as CPython's does after ``random.seed(0)``
# (``Limits.random_seed`` changes it per call), so grading is repeatable.
RANDOM_SEED = 0


def __getattr__(name):
    # Lazy, so that the fork server (which imports sandbox.server) never loads
    # the client side (subprocess, threading, tempfile): a slimmer server
    # forks faster.
    if name == "Sandbox":
        from .client import Sandbox

        return Sandbox
    if name in ("Limits", "RunResult", "ErrorInfo"):
        from . import result

        return getattr(result, name)
    raise AttributeError(f"module 'sandbox' has no attribute {name!r}")
