"""Hostile programs: every one must be contained by the sandbox.

Each program is something a curious (or malicious) child could type into the
editor. A case passes only when BOTH hold:

* the verdict is the expected kind (`refused`/`error`/`timeout`/`memory`/
  `output_limit`), never a crash of the sandbox itself, and
* the canaries show that nothing escaped: the program never printed the
  escape sentinel (spelt ``"ESC" + "APED"`` in the sources, so a refusal
  message that quotes the source line cannot contain it), never printed the
  value of ``CODEKIDS_CANARY`` (set in this test process's environment before
  the sandbox starts) nor the content of a world-readable secret file, and the
  world-writable marker directory is still empty afterwards.

After every case the same sandbox must still serve ``print(1+1)`` -> ``2``.

Many programs start with the ``steal()`` prelude: given any object, it tries
the things one does with ``os``, ``sys``, ``builtins``, ``io`` or ``importlib``
(read the environment, run a shell command, read the secret file, write the
marker) and prints the sentinel for every door that opens. The prelude only
uses plain attribute and item access, so it is itself legal restricted Python;
``test_steal_prelude_is_legal_and_quiet`` proves it runs and stays quiet on
harmless objects, so no case here passes just because the prelude was refused.

Published RestrictedPython advisories covered (ids carry the advisory name):

* GHSA-wqc8-x2pr-7jqh / CVE-2023-37271 — stack frames via generators
  (``gi_frame``, ``f_back``, ``f_globals``).
* GHSA-xjw2-6jm9-rf67 / CVE-2023-41039 — ``str.format``/``format_map`` and
  ``string.Formatter`` attribute/item walks.
* GHSA-5rfv-66g4-jr8h / CVE-2024-47532 — information leak through
  ``AttributeError.obj`` and the ``string`` module.
* RestrictedPython 7.2 fix (no CVE) — ``safer_getattr`` bypass with a ``str``
  subclass as the attribute name.
* GHSA-gmj9-h825-chq2 / CVE-2025-22153 — ``try/except*`` type confusion.
* GHSA-ffg3-p8fm-mjx2 / CVE-2026-55830 — guard hooks (``_getattr_``,
  ``_write_``, ``_getitem_``, ``_print_``) shadowed by positional-only params.
* GHSA-hp3v-5vw7-fx9w / CVE-2026-76825 — ``string.Formatter`` field
  resolution (``get_field``, ``get_value``, ``vformat``, subclasses).
* RestrictedPython 8.5 (no CVE) — ``ag_frame``/``ag_code``/``ag_await`` were
  missing from the inspect attributes.
* RestrictedPython 9.0 / issue #335 (no CVE) — ``sorted``/``zip``/``tuple``
  iterate in C past ``_getiter_``.
"""

from __future__ import annotations

import dataclasses
import inspect
import os
import secrets
import shutil
import tempfile
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

import pytest

CANARY = "canary-" + secrets.token_hex(12)
# Set at import (collection) time, i.e. before any session fixture starts the
# sandbox: a fork server that inherited this process's environment would carry it.
os.environ["CODEKIDS_CANARY"] = CANARY

STATUSES = {"ok", "error", "refused", "timeout", "memory", "output_limit"}
BLOCKED = frozenset({"refused", "error"})
ANY_VERDICT = frozenset(STATUSES)
SENTINEL = "ESC" + "APED"


# --------------------------------------------------------------------------
# fixtures and helpers
# --------------------------------------------------------------------------


@dataclass
class Loot:
    """A world-readable secret and a world-writable marker directory in /tmp.

    Both are reachable by any process on the machine, so only the sandbox's
    own walls stand between a hostile program and them.
    """

    root: Path
    secret: str
    secret_path: Path
    marker_dir: Path

    @property
    def marker_path(self) -> Path:
        return self.marker_dir / "escaped"

    def fill(self, source: str) -> str:
        return (
            source.replace("@SECRET@", str(self.secret_path))
            .replace("@MARKER@", str(self.marker_path))
        )

    def marker_dir_is_empty(self) -> bool:
        return not any(self.marker_dir.iterdir())


@pytest.fixture(scope="module")
def loot():
    root = Path(tempfile.mkdtemp(prefix="codekids-hostile-", dir="/tmp"))
    root.chmod(0o755)
    secret = "secret-" + secrets.token_hex(12)
    secret_path = root / "secret.txt"
    secret_path.write_text(secret + "\n")
    secret_path.chmod(0o644)
    marker_dir = root / "markers"
    marker_dir.mkdir()
    marker_dir.chmod(0o777)
    try:
        yield Loot(root, secret, secret_path, marker_dir)
    finally:
        shutil.rmtree(root, ignore_errors=True)


_LIMIT_KEYS = {
    "cpu": ("cpu",),
    "wall": ("wall",),
    "memory": ("mem",),
    "output": ("output", "stdout"),
}


def limit_fields() -> list[str]:
    from sandbox import Limits

    if dataclasses.is_dataclass(Limits):
        return [f.name for f in dataclasses.fields(Limits)]
    return [p for p in inspect.signature(Limits).parameters if p != "self"]


def make_limits(**wanted):
    """Builds a `Limits` from canonical keys cpu/wall/memory/output.

    The implementer owns the field names; this maps onto whatever they chose
    (``cpu_seconds``, ``wall_s``, ``memory_mb``, ``output_bytes`` ...).
    """
    from sandbox import Limits

    names = limit_fields()
    kwargs = {}
    for key, value in wanted.items():
        matches = [n for n in names if any(s in n.lower() for s in _LIMIT_KEYS[key])]
        assert len(matches) == 1, f"cannot map limit {key!r} onto Limits fields {names}"
        kwargs[matches[0]] = value
    try:
        return Limits(**kwargs)
    except TypeError:
        return dataclasses.replace(Limits(), **kwargs)


def err(result, key, default=None):
    error = result.error
    if error is None:
        return default
    if isinstance(error, dict):
        return error.get(key, default)
    return getattr(error, key, default)


def describe(result) -> str:
    return (
        f"status={result.status!r} error={result.error!r} "
        f"stdout={result.stdout[:600]!r} truncated={getattr(result, 'stdout_truncated', None)!r}"
    )


def assert_nothing_escaped(result, loot: Loot) -> None:
    blob = "\n".join(
        [
            result.stdout or "",
            repr(result.error),
            repr(getattr(result, "value", None)),
            repr(getattr(result, "turtle", None)),
        ]
    )
    assert SENTINEL not in blob, "a door opened: " + describe(result)
    assert CANARY not in blob, "the server's environment leaked: " + describe(result)
    assert loot.secret not in blob, "the secret file was read: " + describe(result)
    assert loot.marker_dir_is_empty(), (
        f"the program wrote {sorted(p.name for p in loot.marker_dir.iterdir())}: "
        + describe(result)
    )


def assert_still_serves(sb) -> None:
    again = sb.run("print(1+1)")
    assert (again.status, again.stdout) == ("ok", "2\n"), describe(again)


# --------------------------------------------------------------------------
# the steal() prelude
# --------------------------------------------------------------------------

STEAL = '''\
SECRET = "@SECRET@"
MARKER = "@MARKER@"


def steal(o):
    try:
        v = o.environ
        print("ESC" + "APED environ", v.get("CODEKIDS_CANARY"))
    except BaseException:
        pass
    try:
        v = o.getenv
        print("ESC" + "APED getenv", v("CODEKIDS_CANARY"))
    except BaseException:
        pass
    try:
        v = o.system
        print("ESC" + "APED system")
        v("touch " + MARKER)
    except BaseException:
        pass
    try:
        v = o.popen
        print("ESC" + "APED popen", v("cat " + SECRET).read())
    except BaseException:
        pass
    try:
        v = o.modules
        print("ESC" + "APED modules")
        v["os"].system("touch " + MARKER)
        print(v["os"].environ.get("CODEKIDS_CANARY"))
    except BaseException:
        pass
    try:
        v = o.open
        print("ESC" + "APED open")
        print(v(SECRET).read())
        v(MARKER, "w").write("x")
    except BaseException:
        pass
    try:
        v = o["open"]
        print("ESC" + "APED open item")
        print(v(SECRET).read())
        v(MARKER, "w").write("x")
    except BaseException:
        pass
    try:
        v = o["__import__"]
        print("ESC" + "APED import item")
        v("os").system("touch " + MARKER)
    except BaseException:
        pass
    try:
        v = o.import_module
        print("ESC" + "APED import_module")
        v("os").system("touch " + MARKER)
    except BaseException:
        pass
    try:
        v = o.Popen
        print("ESC" + "APED Popen")
        v(["touch", MARKER]).wait()
    except BaseException:
        pass
    try:
        v = o.socket
        print("ESC" + "APED socket", v())
    except BaseException:
        pass
    try:
        v = o.getcwd
        print("ESC" + "APED getcwd", v())
    except BaseException:
        pass
    try:
        v = o.listdir
        print("ESC" + "APED listdir", v("/"))
    except BaseException:
        pass


'''


# --------------------------------------------------------------------------
# the corpus
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    source: str
    allowed: frozenset = BLOCKED
    reasons: tuple = ()  # acceptable `reason` keys when the verdict is `refused`
    error_types: tuple = ()  # acceptable `error.type` when the verdict is `error`
    steal: bool = False  # prepend the steal() prelude
    limits: dict = field(default_factory=dict)
    stdout_prefix: str | None = None  # output printed before the attack must be kept
    stdout_exact: str | None = None


def H(case_id, source, **kw):
    return pytest.param(Case(textwrap.dedent(source).lstrip("\n"), **kw), id=case_id)


NAME = ("name_not_allowed",)
IMPORT = ("import_not_allowed",)
ATTR = ("attribute_not_allowed",)
NAME_OR_ATTR = NAME + ATTR
FORMAT_FIELD = ("format_field_not_allowed",)
CPU = {"cpu": 1, "wall": 4}
OUT = {"output": 10_000}

CASES = [
    # ---- dunder and object-graph introspection ----------------------------
    H("dunder-class-bases-subclasses", """
        print("ESC" + "APED", ().__class__.__bases__[0].__subclasses__())
    """, reasons=NAME_OR_ATTR),
    H("dunder-subclasses-catch_warnings-walk", """
        for c in ().__class__.__base__.__subclasses__():
            if c.__name__ == "catch_warnings":
                steal(c()._module.__builtins__)
    """, steal=True, reasons=NAME_OR_ATTR),
    H("dunder-function-globals", """
        def f():
            pass
        steal(f.__globals__["__builtins__"])
    """, steal=True, reasons=NAME_OR_ATTR),
    H("dunder-builtins-name", """
        steal(__builtins__)
    """, steal=True, reasons=NAME_OR_ATTR),
    H("dunder-code-object", """
        def f():
            return 1
        c = f.__code__
        print("ESC" + "APED", c.co_consts, c.replace)
    """, reasons=NAME_OR_ATTR),
    H("dunder-builtin-self-is-builtins-module", """
        steal(len.__self__)
        steal(print.__self__)
    """, steal=True, reasons=NAME_OR_ATTR),
    H("dunder-reduce_ex-copyreg-globals", """
        r = [].__reduce_ex__(2)
        steal(r[0].__globals__["__builtins__"])
    """, steal=True, reasons=NAME_OR_ATTR),
    H("dunder-reduce-on-instance", """
        class Carte:
            pass
        print("ESC" + "APED", Carte().__reduce__())
    """, reasons=NAME_OR_ATTR),
    H("dunder-module-dict", """
        import random
        steal(random.__dict__["_os"])
    """, steal=True, reasons=NAME_OR_ATTR),
    H("dunder-closure-cell", """
        def outer():
            secret = 1
            def inner():
                return secret
            return inner
        print("ESC" + "APED", outer().__closure__[0].cell_contents)
    """, reasons=NAME_OR_ATTR),
    H("dunder-object-getattribute", """
        import random
        steal(object.__getattribute__(random, "_os"))
    """, steal=True, reasons=NAME_OR_ATTR),
    H("guard-name-rebinding", """
        _getattr_ = lambda o, n: 1
        print("ESC" + "APED")
    """, reasons=NAME),
    H("guard-name-direct-use", """
        steal(_getattr_(len, "__self__"))
    """, steal=True, reasons=NAME),
    # ---- frames: generators, coroutines, tracebacks ------------------------
    H("frame-CVE-2023-37271-GHSA-wqc8-x2pr-7jqh-gi_frame-f_back", """
        def g():
            yield 1
        gen = g()
        frame = gen.gi_frame
        while frame is not None:
            steal(frame.f_globals.get("__builtins__"))
            steal(frame.f_builtins)
            frame = frame.f_back
    """, steal=True, reasons=NAME_OR_ATTR),
    H("frame-CVE-2023-37271-genexpr-gi_frame", """
        gen = (i for i in [1, 2, 3])
        steal(gen.gi_frame.f_back.f_globals["__builtins__"])
    """, steal=True, reasons=NAME_OR_ATTR),
    H("frame-CVE-2023-37271-running-generator-yields-own-frame", """
        def g():
            yield gen.gi_frame.f_back
        gen = g()
        for fr in gen:
            steal(fr.f_globals)
    """, steal=True, reasons=NAME_OR_ATTR),
    H("frame-CVE-2023-37271-gi_frame-via-getattr-runtime", """
        def g():
            yield 1
        gen = g()
        fr = getattr(gen, "gi" + "_frame")
        back = getattr(fr, "f" + "_back")
        steal(getattr(back, "f" + "_globals"))
    """, steal=True, reasons=NAME_OR_ATTR),
    H("frame-gi_code-and-gi_yieldfrom", """
        def inner():
            yield 1
        def outer():
            yield from inner()
        gen = outer()
        for x in gen:
            print("ESC" + "APED", gen.gi_yieldfrom, gen.gi_code.co_consts)
    """, reasons=NAME_OR_ATTR),
    H("frame-coroutine-cr_frame", """
        async def c():
            return 1
        co = c()
        steal(co.cr_frame.f_globals)
    """, steal=True),
    H("frame-async-generator-ag_frame-RP-8.5", """
        async def a():
            yield 1
        ag = a()
        steal(ag.ag_frame.f_back.f_globals)
        print("ESC" + "APED", ag.ag_code, ag.ag_await)
    """, steal=True),
    H("frame-traceback-tb_frame", """
        try:
            1 / 0
        except ZeroDivisionError as e:
            tb = e.__traceback__
            steal(tb.tb_frame.f_back.f_globals["__builtins__"])
    """, steal=True, reasons=NAME_OR_ATTR),
    H("frame-traceback-via-getattr-runtime", """
        try:
            1 / 0
        except ZeroDivisionError as e:
            tb = getattr(e, "__trace" + "back__")
            fr = getattr(tb, "tb" + "_frame")
            steal(getattr(fr, "f" + "_globals"))
    """, steal=True, reasons=NAME_OR_ATTR),
    H("frame-exception-context-chain", """
        try:
            try:
                1 / 0
            except ZeroDivisionError:
                raise ValueError("x")
        except ValueError as e:
            inner = e.__context__
            steal(inner.__traceback__.tb_frame.f_globals)
    """, steal=True, reasons=NAME_OR_ATTR),
    # ---- format-string walks ----------------------------------------------
    H("format-CVE-2023-41039-GHSA-xjw2-6jm9-rf67-str.format-attr", """
        print("ESC" + "APED", "{0.__class__.__mro__}".format(1))
    """),
    H("format-CVE-2023-41039-globals-builtins-item", """
        def f():
            pass
        print("ESC" + "APED", "{0.__globals__[__builtins__]}".format(f))
    """),
    H("format-CVE-2023-41039-item-then-attr", """
        print("ESC" + "APED", "{0[0].__class__.__base__}".format([1]))
    """),
    H("format-CVE-2023-41039-unbound-str.format", """
        print("ESC" + "APED", str.format("{0.__class__}", 1))
    """),
    H("format-CVE-2023-41039-format_map", """
        print("ESC" + "APED", "{x.__class__.__base__}".format_map({"x": 1}))
    """),
    H("format-CVE-2023-41039-unbound-str.format_map", """
        print("ESC" + "APED", str.format_map("{x.__class__}", {"x": 1}))
    """),
    H("format-bound-method-kept-for-later", """
        fmt = "{0.__class__.__base__}".format
        fmt_map = "{x.__class__}".format_map
        print("ESC" + "APED", fmt(1), fmt_map({"x": 1}))
    """),
    H("format-refusal-cannot-be-swallowed", """
        try:
            s = "{0.__class__}".format(1)
        except BaseException:
            s = "prins"
        print("dupa", s)
    """, allowed=frozenset({"refused"})),
    H("format-str-subclass-as-format-string", """
        class S(str):
            def format(self, *args):
                return str.format(self, *args)
        print("ESC" + "APED", S("{0.__class__}").format(1))
        print("ESC" + "APED", str.format(S("{0.__class__}"), 1))
    """),
    H("format-called-from-C-via-map", """
        print("ESC" + "APED", list(map(str.format, ["{0.__class__}"], [1])))
    """),
    H("format-nested-field-in-format-spec", """
        print("ESC" + "APED", "{0:{1.__class__}}".format(1, 2))
    """),
    H("format-walk-to-generator-frame", """
        def g():
            yield 1
        print("ESC" + "APED", "{0.gi_frame.f_back}".format(g()))
    """),
    H("format-fstring-dunder", """
        print("ESC" + "APED", f"{(1).__class__.__base__.__subclasses__()}")
    """, reasons=NAME_OR_ATTR),
    # Item walks are refused too (the issue: format fields may not walk
    # attributes or items); a child indexes in the program instead.
    H("format-item-walk-positional-index", """
        print("ESC" + "APED", "{0[0]}".format(["x"]))
    """, allowed=frozenset({"refused"}), reasons=FORMAT_FIELD),
    H("format-item-walk-keyword-key", """
        d = {"x": "secret"}
        print("ESC" + "APED", "{p[x]}".format(p=d))
    """, allowed=frozenset({"refused"}), reasons=FORMAT_FIELD),
    H("format-item-walk-to-builtins", """
        def f():
            pass
        print("ESC" + "APED", "{0[__builtins__]}".format({"__builtins__": f}))
    """, allowed=frozenset({"refused"}), reasons=FORMAT_FIELD),
    H("format-item-walk-format_map", """
        print("ESC" + "APED", "{p[0]}".format_map({"p": ("x", "y")}))
    """, allowed=frozenset({"refused"}), reasons=FORMAT_FIELD),
    H("format-item-walk-unbound-str.format", """
        print("ESC" + "APED", str.format("{0[0]}", ["x"]))
    """, allowed=frozenset({"refused"}), reasons=FORMAT_FIELD),
    H("format-item-walk-bound-method-kept-for-later", """
        fmt = "{0[__builtins__]}".format
        print("ESC" + "APED", fmt({"__builtins__": 1}))
    """, allowed=frozenset({"refused"}), reasons=FORMAT_FIELD),
    H("format-item-walk-nested-in-format-spec", """
        print("ESC" + "APED", "{0:{1[0]}}".format(1, [5]))
    """, allowed=frozenset({"refused"}), reasons=FORMAT_FIELD),
    H("format-item-walk-string-Formatter", """
        import string
        print("ESC" + "APED", string.Formatter().format("{0[0]}", ["x"]))
    """, reasons=ATTR + NAME),
    H("format-percent-with-mapping-never-walks", """
        print("%(__class__)s %(x)s" % {"__class__": "nimic", "x": 1})
    """, allowed=frozenset({"ok"}), stdout_exact="nimic 1\n"),
    H("format-CVE-2023-41039-CVE-2026-76825-string.Formatter.format", """
        import string
        def f():
            pass
        print("ESC" + "APED", string.Formatter().format("{0.__globals__}", f))
    """),
    H("format-CVE-2026-76825-GHSA-hp3v-5vw7-fx9w-Formatter.get_field", """
        import string
        def f():
            pass
        obj, key = string.Formatter().get_field("0.__globals__", [f], {})
        steal(obj["__builtins__"])
    """, steal=True),
    H("format-CVE-2026-76825-Formatter.vformat-and-get_value", """
        import string
        fm = string.Formatter()
        print("ESC" + "APED", fm.vformat("{0.__class__}", [1], {}))
        print("ESC" + "APED", fm.get_value(0, [len], {}))
    """),
    H("format-CVE-2026-76825-Formatter-subclass", """
        import string
        class F(string.Formatter):
            pass
        def f():
            pass
        print("ESC" + "APED", F().format("{0.__globals__}", f))
    """),
    H("format-CVE-2026-76825-from-string-import-Formatter", """
        from string import Formatter
        print("ESC" + "APED", Formatter().format("{0.__class__}", 1))
    """, reasons=IMPORT + NAME_OR_ATTR),
    # ---- imports -----------------------------------------------------------
    *[
        H(f"import-{mod}", f"""
            import {mod}
            steal({mod})
        """, steal=True, reasons=IMPORT)
        for mod in (
            "os", "sys", "subprocess", "socket", "ctypes", "importlib", "builtins",
            "gc", "inspect", "pickle", "posix", "io", "shutil", "pathlib",
        )
    ],
    H("import-from-os-import-system", """
        from os import system
        system("touch @MARKER@")
    """, reasons=IMPORT),
    H("import-from-sys-import-modules", """
        from sys import modules
        steal(modules["os"])
    """, steal=True, reasons=IMPORT),
    H("import-from-subprocess-import-run", """
        from subprocess import run
        run(["touch", "@MARKER@"])
    """, reasons=IMPORT),
    H("import-from-importlib-import-import_module", """
        from importlib import import_module
        steal(import_module("os"))
    """, steal=True, reasons=IMPORT),
    H("import-dunder-import-call", """
        steal(__import__("os"))
    """, steal=True, reasons=NAME),
    H("import-importlib-without-import", """
        steal(importlib.import_module("os"))
    """, steal=True, reasons=NAME + IMPORT),
    H("import-dotted-os.path", """
        import os.path
        steal(os)
    """, steal=True, reasons=IMPORT),
    H("import-allowed-then-forbidden-in-one-statement", """
        import math, os
        steal(os)
    """, steal=True, reasons=IMPORT),
    H("import-inside-function", """
        def f():
            import os
            return os
        steal(f())
    """, steal=True, reasons=IMPORT),
    H("import-relative", """
        from . import secret
        steal(secret)
    """, steal=True, reasons=IMPORT),
    H("import-underscore-name-from-allowed-module", """
        from random import _os
        steal(_os)
    """, steal=True, reasons=IMPORT + NAME),
    H("import-star-of-forbidden-module", """
        from os import *
        steal(environ)
    """, steal=True),
    # the issue names these as open doors in 3.11 (they expose sys)
    *[
        H(f"import-open-door-{mod}", f"""
            import {mod}
            steal({mod}.sys)
            steal({mod}.sys.modules["os"])
        """, steal=True, reasons=IMPORT + ATTR)
        for mod in ("datetime", "statistics", "calendar", "enum")
    ],
    # ---- reaching sys/os through the allowed modules ----------------------
    H("module-random._os", """
        import random
        steal(random._os)
    """, steal=True, reasons=NAME_OR_ATTR),
    H("module-random._os-via-getattr", """
        import random
        steal(getattr(random, "_" + "os"))
    """, steal=True, reasons=NAME_OR_ATTR),
    H("module-math.__loader__", """
        import math
        steal(math.__loader__)
        print("ESC" + "APED", math.__loader__.load_module)
    """, steal=True, reasons=NAME_OR_ATTR),
    H("module-string.__builtins__", """
        import string
        steal(string.__builtins__)
    """, steal=True, reasons=NAME_OR_ATTR),
    H("module-turtle.sys", """
        import turtle
        steal(turtle.sys)
    """, steal=True, reasons=ATTR),
    H("module-turtle.inspect", """
        import turtle
        print("ESC" + "APED", turtle.inspect.currentframe)
    """, reasons=ATTR),
    H("module-turtle-internals-try-everything", """
        import turtle
        t = turtle.Turtle()
        things = [turtle, t, turtle.Screen(), type(t), turtle.Turtle]
        for thing in things:
            steal(thing)
            try:
                steal(thing.screen)
            except AttributeError:
                pass
            try:
                steal(thing.getscreen())
            except AttributeError:
                pass
            try:
                steal(thing.math)
            except AttributeError:
                pass
            try:
                steal(thing.time)
            except AttributeError:
                pass
            try:
                steal(thing.Screen().getcanvas())
            except AttributeError:
                pass
        steal(turtle.Turtle(**{"_recording": None}))
        steal(turtle.done())
        print("gata")
    """, steal=True, allowed=frozenset({"ok", "error", "refused"})),
    H("module-random-internals-try-everything", """
        import random
        steal(random)
        for f in [random.random, random.seed, random.randint, random.choice]:
            steal(f)
            try:
                steal(f.os)
            except AttributeError:
                pass
        try:
            r = random.Random(1)
            steal(r)
        except AttributeError:
            pass
        try:
            steal(random.SystemRandom())
        except AttributeError:
            pass
        print("gata")
    """, steal=True, allowed=frozenset({"ok", "error", "refused"})),
    # one object per program: a refusal stops a program, so each probe runs alone
    *[
        H(f"probe-{probe_id}", f"""
            import math
            import random
            import string
            import turtle
            x = {expr}
            steal(x)
            try:
                steal(x())
            except Exception:
                pass
            print("gata")
        """, steal=True, allowed=frozenset({"ok", "error", "refused"}))
        for probe_id, expr in [
            ("turtle.Screen", "turtle.Screen()"),
            ("turtle.Screen.getcanvas", "turtle.Screen().getcanvas()"),
            ("turtle.Turtle.screen", "turtle.Turtle().screen"),
            ("turtle.Turtle.getscreen", "turtle.Turtle().getscreen()"),
            ("type-of-Turtle", "type(turtle.Turtle())"),
            ("Turtle-underscore-kwarg", 'turtle.Turtle(**{"_recording": None})'),
            ("turtle.forward", "turtle.forward"),
            ("turtle.done-result", "turtle.done()"),
            ("type-of-module-wrapper", "type(math)"),
            ("module-wrapper-rebuilt-as-os", 'type(math)("os", {})'),
            ("module-public_names", "math.public_names()"),
            ("random.Random", "random.Random"),
            ("random.SystemRandom", "random.SystemRandom"),
            ("random.seed", "random.seed"),
            ("type-of-random-method", "type(random.random)"),
            ("string.Template", "string.Template"),
            ("object", "object()"),
            ("property", "property(len)"),
            ("super-of-module-wrapper", "super(type(math), math)"),
            ("type-of-print", "type(print)"),
            ("type-of-input", "type(input)"),
            ("type-of-type", "type(type)"),
            ("iter-of-generator", "iter(i for i in [1])"),
            ("exception-instance", "ValueError(1)"),
        ]
    ],
    H("module-CVE-2024-47532-GHSA-5rfv-66g4-jr8h-AttributeError.obj", """
        import math
        import random
        import string
        import turtle
        for mod in [math, random, string, turtle]:
            try:
                mod.no_such_thing_here
            except AttributeError as e:
                o = e.obj
                steal(o)
                steal(o.sys)
                steal(o.os)
                print("ESC" + "APED", o.Formatter().format("{0.__class__}", 1))
    """, steal=True),
    H("module-wrapper-type-constructs-other-modules", """
        import math
        W = type(math)
        for args in [("os",), ("sys",), ("os", "os")]:
            try:
                m = W(*args)
            except BaseException:
                continue
            steal(m)
    """, steal=True, allowed=frozenset({"ok", "error", "refused"})),
    H("module-setattr-math-pi", """
        import math
        setattr(math, "pi", 3)
        print("ESC" + "APED", math.pi)
    """),
    H("module-assign-attribute", """
        import random
        random.random = lambda: 4
        print("ESC" + "APED", random.random())
    """),
    H("module-delattr", """
        import math
        delattr(math, "sqrt")
        print("ESC" + "APED")
    """),
    # ---- dangerous builtins -----------------------------------------------
    H("builtin-exec", """
        exec("import os; os.system('touch @MARKER@')")
    """, reasons=NAME),
    H("builtin-eval", """
        steal(eval("__import__('os')"))
    """, steal=True, reasons=NAME),
    H("builtin-compile", """
        c = compile("import os", "x", "exec")
        print("ESC" + "APED", c)
    """, reasons=NAME),
    H("builtin-open-read", """
        print(open("@SECRET@").read())
    """, reasons=NAME),
    H("builtin-open-write", """
        open("@MARKER@", "w").write("x")
    """, reasons=NAME),
    H("builtin-print-to-file", """
        print("x", file=open("@MARKER@", "w"))
    """, reasons=NAME),
    H("builtin-breakpoint", """
        breakpoint()
    """, reasons=NAME),
    H("builtin-help", """
        help(len)
        print("ESC" + "APED")
    """, reasons=NAME),
    H("builtin-exit", """
        exit(0)
        print("ESC" + "APED")
    """, reasons=NAME),
    H("builtin-quit", """
        quit()
        print("ESC" + "APED")
    """, reasons=NAME),
    H("builtin-globals", """
        steal(globals()["__builtins__"])
    """, steal=True, reasons=NAME),
    H("builtin-locals-and-vars", """
        import random
        steal(locals())
        steal(vars(random)["_os"])
    """, steal=True, reasons=NAME),
    H("builtin-dir", """
        import random
        print("ESC" + "APED", dir(random))
    """, reasons=NAME),
    H("builtin-getattr-dunder-class", """
        print("ESC" + "APED", getattr(1, "__class__"))
    """, reasons=NAME_OR_ATTR),
    H("builtin-getattr-constructed-join", """
        name = "".join(["_", "_", "sel", "f", "_", "_"])
        steal(getattr(len, name))
    """, steal=True, reasons=NAME_OR_ATTR),
    H("builtin-getattr-constructed-chr", """
        def f():
            pass
        g = getattr(f, chr(95) * 2 + "glob" + "als" + chr(95) * 2)
        steal(g["__builtins__"])
    """, steal=True, reasons=NAME_OR_ATTR),
    H("builtin-getattr-default-swallows-refusal", """
        x = getattr(len, "__self__", None)
        if x is not None:
            steal(x)
            print("ESC" + "APED")
    """, steal=True, allowed=frozenset({"ok", "error", "refused"})),
    H("builtin-setattr-dunder-class", """
        class A:
            pass
        a = A()
        setattr(a, "__class__", type(len))
        print("ESC" + "APED", a)
    """, reasons=NAME_OR_ATTR),
    H("builtin-setattr-code-swap", """
        def f():
            pass
        def g():
            return 1
        setattr(f, "__code__", getattr(g, "__code__"))
        print("ESC" + "APED")
    """, reasons=NAME_OR_ATTR),
    H("builtin-delattr-dunder", """
        class A:
            pass
        delattr(A, "__init__")
        print("ESC" + "APED")
    """, reasons=NAME_OR_ATTR),
    H("builtin-memoryview-and-bytes", """
        m = memoryview(bytes(10))
        print("ESC" + "APED", m)
    """, reasons=NAME),
    H("builtin-object-subclasses", """
        print("ESC" + "APED", object.__subclasses__())
    """, reasons=NAME_OR_ATTR),
    H("builtin-RP-9.0-issue-335-sorted-zip-tuple-bypass-getiter", """
        def g():
            yield 1
        gen = g()
        # the C-level iteration of these builtins must not open frames either
        print(sorted([3, 1, 2]), tuple(zip([1], [2])))
        print("ESC" + "APED", tuple(gen.gi_frame.f_globals))
    """, reasons=NAME_OR_ATTR),
    # ---- unicode-normalised names (NFKC) ------------------------------------
    H("unicode-fullwidth-eval", """
        steal(ｅｖａｌ("__import__('os')"))
    """, steal=True, reasons=NAME),
    H("unicode-math-bold-exec", """
        𝐞𝐱𝐞𝐜("import os; os.system('touch @MARKER@')")
    """, reasons=NAME),
    H("unicode-script-e-eval", """
        steal(ℯval("__import__('os')"))
    """, steal=True, reasons=NAME),
    H("unicode-fullwidth-low-line-import", """
        steal(_＿import＿＿("os"))
    """, steal=True, reasons=NAME),
    H("unicode-fullwidth-dunder-class", """
        print("ESC" + "APED", ().__ｃｌａｓｓ__.__ｂａｓｅ__.__ｓｕｂｃｌａｓｓｅｓ__())
    """, reasons=NAME_OR_ATTR),
    H("unicode-fullwidth-gi_frame", """
        def g():
            yield 1
        steal(g().ｇｉ_ｆｒａｍｅ.ｆ_ｂａｃｋ.ｆ_ｇｌｏｂａｌｓ)
    """, steal=True, reasons=NAME_OR_ATTR),
    H("unicode-math-sans-italic-open", """
        print(𝘰𝘱𝘦𝘯("@SECRET@").read())
    """, reasons=NAME),
    H("unicode-fullwidth-import-os", """
        import ｏｓ
        steal(ｏｓ)
    """, steal=True, reasons=IMPORT),
    H("unicode-fullwidth-string-in-getattr", """
        # strings are not normalised: this must fail as a plain missing attribute
        print("ESC" + "APED", getattr(1, "__ｃｌａｓｓ__"))
    """, reasons=NAME_OR_ATTR),
    # ---- type(), metaclasses, decorators, super() -------------------------
    H("type-three-arg-defines-forbidden-dunders", """
        T = type("T", (), {"__getattr__": lambda self, n: n, "__del__": lambda self: None})
        print("ESC" + "APED", T().anything)
    """),
    H("type-metaclass-keyword", """
        class M(type):
            pass
        class A(metaclass=M):
            pass
        print("ESC" + "APED", A)
    """),
    H("type-rebind-__metaclass__", """
        __metaclass__ = type
        print("ESC" + "APED")
    """, reasons=NAME),
    H("type-mro-to-object-subclasses-runtime", """
        top = type(1).mro()[-1]
        subs = top.__subclasses__()
        print("ESC" + "APED", subs)
    """, reasons=NAME_OR_ATTR),
    H("type-metaclass-call-walks-subclasses", """
        class M(type):
            pass
        C = M("C", (), {"__getattr__": lambda self, n: n})
        print("ESC" + "APED", C().anything)
    """, reasons=NAME_OR_ATTR),
    H("decorator-returns-globals", """
        def grab(f):
            return "{0.__globals__}".format(f)
        @grab
        def g():
            pass
        print("ESC" + "APED", g)
    """),
    H("decorator-lambda-dunder", """
        @(lambda f: f.__globals__)
        def g():
            pass
        steal(g["__builtins__"])
    """, steal=True, reasons=NAME_OR_ATTR),
    H("decorator-class-subclasses", """
        def deco(cls):
            return cls.__base__.__subclasses__()
        @deco
        class A:
            pass
        print("ESC" + "APED", A)
    """, reasons=NAME_OR_ATTR),
    H("super-thisclass-and-self_class", """
        class A:
            def f(self):
                return super().__thisclass__
        print("ESC" + "APED", A().f())
    """, reasons=NAME_OR_ATTR),
    H("super-getattr-runtime", """
        class A:
            def f(self):
                return "{0.__self_class__}".format(super())
        print("ESC" + "APED", A().f())
    """),
    H("super-two-arg-on-int", """
        s = super(int, 1)
        steal(s.__self__)
        print("ESC" + "APED")
    """, steal=True, reasons=NAME_OR_ATTR),
    # ---- generator send/throw tricks ---------------------------------------
    H("generator-send-own-frame", """
        def g():
            x = yield
            steal(x)
        gen = g()
        gen.send(None)
        gen.send(gen.gi_frame)
    """, steal=True, reasons=NAME_OR_ATTR),
    H("generator-throw-KeyboardInterrupt", """
        def g():
            yield 1
            yield 2
        gen = g()
        print("inainte")
        for v in gen:
            gen.throw(KeyboardInterrupt)
        print("ESC" + "APED")
    """, stdout_prefix="inainte\n"),
    H("generator-throw-SystemExit-swallowed-loop", """
        def g():
            while True:
                try:
                    yield 1
                except BaseException:
                    pass
        gen = g()
        next_value = gen.send(None)
        for i in range(3):
            gen.throw(SystemExit)
        gen.close()
    """, allowed=frozenset({"error", "refused"})),
    # ---- advisories that are about the language policy itself -------------
    H("advisory-CVE-2025-22153-GHSA-gmj9-h825-chq2-try-except-star", """
        try:
            raise ExceptionGroup("g", [ValueError(1)])
        except* ValueError as eg:
            print("ESC" + "APED", eg.exceptions)
    """, steal=True),
    H("advisory-GHSA-ffg3-p8fm-mjx2-CVE-2026-55830-posonly-_getattr_", """
        def f(_getattr_=lambda o, n: len, /):
            return (1).anything
        print("ESC" + "APED", f())
    """, reasons=NAME),
    H("advisory-GHSA-ffg3-p8fm-mjx2-posonly-_write_", """
        import math
        def f(_write_=lambda o: o, /):
            math.pi = 3
        f()
        print("ESC" + "APED", math.pi)
    """, reasons=NAME),
    H("advisory-GHSA-ffg3-p8fm-mjx2-posonly-_print_-captures-getattr", """
        def f(_print_=lambda g: steal(g), /):
            print("x")
        f()
        print("ESC" + "APED")
    """, steal=True, reasons=NAME),
    H("advisory-RP-7.2-safer_getattr-str-subclass-name", """
        class S(str):
            def startswith(self, prefix, *rest):
                return False
            def __eq__(self, other):
                return False
            def __getitem__(self, i):
                return "x"
        steal(getattr(len, S("__self__")))
        print("ESC" + "APED", getattr(1, S("__class__")))
    """, steal=True, reasons=NAME_OR_ATTR),
    H("advisory-RP-7.2-str-subclass-name-through-format", """
        class S(str):
            def startswith(self, prefix, *rest):
                return False
            def __getitem__(self, i):
                return "x"
            def __iter__(self):
                return iter("{}")
        print("ESC" + "APED", S("{0.__class__}").format(1))
    """),
    H("advisory-guard-shadowing-via-other-binders", """
        for _getiter_ in [1]:
            pass
        with open("x") as _write_:
            pass
        print("ESC" + "APED")
    """, reasons=NAME),
    H("advisory-walrus-rebinding-guard", """
        if (_getattr_ := (lambda o, n: 1)):
            print("ESC" + "APED", (1).x)
    """, reasons=NAME),
    # ---- CPU bombs ----------------------------------------------------------
    H("cpu-while-true-pass", """
        print("inainte")
        while True:
            pass
    """, allowed=frozenset({"timeout"}), limits=CPU, stdout_prefix="inainte\n"),
    H("cpu-counting-forever", """
        x = 0
        while True:
            x += 1
    """, allowed=frozenset({"timeout"}), limits=CPU),
    H("cpu-huge-range", """
        for i in range(10 ** 12):
            pass
    """, allowed=frozenset({"timeout"}), limits=CPU),
    H("cpu-swallows-every-exception", """
        while True:
            try:
                while True:
                    pass
            except BaseException:
                pass
    """, allowed=frozenset({"timeout"}), limits=CPU),
    H("cpu-power-tower-10**10**10", """
        x = 10 ** 10 ** 10
        print("ESC" + "APED")
    """, allowed=frozenset({"timeout", "refused", "memory"}), limits=CPU),
    H("cpu-sorted-giant-range", """
        print(len(sorted(range(10 ** 9))))
    """, allowed=frozenset({"timeout", "memory"}), limits=CPU),
    # ---- memory bombs -------------------------------------------------------
    H("memory-list-times-10**10", """
        x = [0] * 10 ** 10
        print("ESC" + "APED")
    """, allowed=frozenset({"memory"}), limits=CPU),
    H("memory-str-times-10**10", """
        x = "a" * 10 ** 10
        print("ESC" + "APED")
    """, allowed=frozenset({"memory"}), limits=CPU),
    H("memory-growing-list", """
        x = []
        while True:
            x.append([0] * 100000)
    """, allowed=frozenset({"memory"}), limits={"cpu": 3, "wall": 6}),
    H("memory-bytearray", """
        b = bytearray(10 ** 10)
        print("ESC" + "APED")
    """, allowed=frozenset({"memory"}), limits=CPU),
    H("memory-doubling-string", """
        s = "ab"
        while True:
            s = s + s
    """, allowed=frozenset({"memory"}), limits=CPU),
    H("memory-dict-comprehension", """
        d = {i: str(i) for i in range(10 ** 9)}
    """, allowed=frozenset({"memory", "timeout"}), limits={"cpu": 3, "wall": 6}),
    # ---- output bombs -------------------------------------------------------
    H("output-print-loop", """
        print("start")
        while True:
            print("spam spam spam")
    """, allowed=frozenset({"output_limit"}), limits={**CPU, **OUT}, stdout_prefix="start\n"),
    H("output-limit-cannot-be-swallowed", """
        print("start")
        while True:
            try:
                print("spam spam spam")
            except BaseException:
                pass
    """, allowed=frozenset({"output_limit"}), limits={**CPU, **OUT}, stdout_prefix="start\n"),
    H("output-one-huge-print", """
        print("start")
        print("x" * 10 ** 6)
    """, allowed=frozenset({"output_limit"}), limits={**CPU, **OUT}, stdout_prefix="start\n"),
    H("output-end-empty-loop-in-function", """
        def spam():
            while True:
                print("a", end="")
        print("start")
        spam()
    """, allowed=frozenset({"output_limit"}), limits={**CPU, **OUT}, stdout_prefix="start\n"),
    H("output-star-args-huge", """
        print("start")
        print(*range(10 ** 6))
    """, allowed=frozenset({"output_limit"}), limits={**CPU, **OUT}, stdout_prefix="start\n"),
    H("output-huge-input-prompt", """
        print("start")
        input("?" * 10 ** 6)
    """, allowed=frozenset({"output_limit"}), limits={**CPU, **OUT}, stdout_prefix="start\n"),
    # ---- recursion bombs ----------------------------------------------------
    H("recursion-plain", """
        def f(n):
            return f(n + 1)
        f(0)
    """, allowed=frozenset({"error"}), error_types=("RecursionError",)),
    H("recursion-mutual", """
        def ping(n):
            return pong(n + 1)
        def pong(n):
            return ping(n + 1)
        ping(0)
    """, allowed=frozenset({"error"}), error_types=("RecursionError",)),
    H("recursion-lambda", """
        f = lambda n: f(n + 1)
        f(0)
    """, allowed=frozenset({"error"}), error_types=("RecursionError",)),
    H("recursion-init-builds-itself", """
        class Nod:
            def __init__(self):
                self.urmator = Nod()
        Nod()
    """, allowed=frozenset({"error"}), error_types=("RecursionError",)),
    H("recursion-str-calls-str", """
        class A:
            def __str__(self):
                return str(self)
        print(A())
    """, allowed=frozenset({"error"}), error_types=("RecursionError",)),
    H("recursion-yield-from-itself", """
        def g():
            yield from g()
        for x in g():
            pass
    """, allowed=frozenset({"error"}), error_types=("RecursionError",)),
    H("recursion-caught-and-program-continues", """
        def f(n):
            return f(n + 1)
        try:
            f(0)
        except RecursionError:
            print("prins")
        print("gata")
    """, allowed=frozenset({"ok"}), stdout_exact="prins\ngata\n"),
    # ---- compile-time bombs -------------------------------------------------
    H("compile-nested-parentheses", "x = " + "(" * 300 + "1" + ")" * 300 + "\n",
      allowed=frozenset({"refused", "error"})),
    H("compile-nested-lists-5000", "x = " + "[" * 5000 + "]" * 5000 + "\n",
      allowed=frozenset({"refused", "error"})),
    H("compile-nested-dicts-5000", "x = " + "{1: " * 5000 + "1" + "}" * 5000 + "\n",
      allowed=frozenset({"refused", "error"})),
    H("compile-3000-chained-plus", "x = " + " + ".join(["1"] * 3000) + "\n",
      allowed=frozenset({"refused", "error"})),
    H("compile-300-chained-plus", "x = " + " + ".join(["1"] * 300) + "\nprint(x)\n",
      allowed=frozenset({"refused", "error", "ok"})),
    H("compile-50000-unary-minus", "x = " + "-" * 50000 + "1\n",
      allowed=frozenset({"refused", "error", "memory"})),
    H("compile-10000-not", "x = " + "not " * 10000 + "1\n",
      allowed=frozenset({"refused", "error", "memory"})),
    H("compile-2000-nested-lambdas", "f = " + "lambda: " * 2000 + "1\n",
      allowed=frozenset({"refused", "error", "memory"})),
    H("compile-attribute-chain", "x = abs" + ".real" * 10000 + "\n",
      allowed=frozenset({"refused", "error", "memory"})),
    H("compile-120-levels-of-indentation",
      "".join("    " * i + "if True:\n" for i in range(120)) + "    " * 120 + "pass\n",
      allowed=frozenset({"refused", "error"})),
    H("compile-25-nested-try-blocks",
      "".join("    " * i + "try:\n" for i in range(25)) + "    " * 25 + "pass\n"
      + "".join("    " * i + "except Exception:\n" + "    " * (i + 1) + "pass\n"
                for i in reversed(range(25))),
      allowed=frozenset({"refused", "error"})),
    H("compile-huge-int-literal", "x = " + "9" * 5000 + "\n",
      allowed=frozenset({"refused", "error"})),
    H("compile-source-over-64KB", "x = 1\n" * 20000,
      allowed=frozenset({"refused", "error"})),
    H("compile-huge-string-literal-over-64KB", "x = '" + "a" * 70000 + "'\n",
      allowed=frozenset({"refused", "error"})),
    H("compile-big-list-literal-under-64KB", "x = [" + "1," * 25000 + "]\nprint(len(x))\n",
      allowed=frozenset({"ok", "refused", "error", "memory"})),
    # ---- BaseException from the child --------------------------------------
    H("baseexc-SystemExit", """
        print("inainte")
        raise SystemExit(3)
    """, allowed=frozenset({"error", "ok"}), stdout_prefix="inainte\n"),
    H("baseexc-SystemExit-subclass", """
        class Iesire(SystemExit):
            pass
        print("inainte")
        raise Iesire("pa")
    """, allowed=frozenset({"error", "ok"}), stdout_prefix="inainte\n"),
    H("baseexc-KeyboardInterrupt", """
        print("inainte")
        raise KeyboardInterrupt
    """, allowed=frozenset({"error"}), stdout_prefix="inainte\n"),
    H("baseexc-BaseException", """
        print("inainte")
        raise BaseException("nu ma prinde nimeni")
    """, allowed=frozenset({"error"}), stdout_prefix="inainte\n"),
    H("baseexc-GeneratorExit", """
        print("inainte")
        raise GeneratorExit
    """, allowed=frozenset({"error"}), stdout_prefix="inainte\n"),
    H("baseexc-MemoryError-raised-by-hand", """
        raise MemoryError("fals")
    """, allowed=frozenset({"error", "memory"})),
    H("baseexc-str-of-exception-raises-SystemExit", """
        class Rau(Exception):
            def __str__(self):
                raise SystemExit(1)
            def __repr__(self):
                raise SystemExit(1)
        raise Rau()
    """, allowed=frozenset({"error", "refused"})),
    H("baseexc-str-of-exception-never-returns", """
        class Rau(Exception):
            def __str__(self):
                while True:
                    pass
        raise Rau()
    """, allowed=frozenset({"timeout", "error", "refused"}), limits=CPU),
    H("baseexc-huge-exception-message", """
        raise ValueError("x" * 10 ** 7)
    """, allowed=frozenset({"error", "memory", "output_limit"})),
    # ---- interpreter crashes ------------------------------------------------
    H("crash-hash-of-deeply-nested-tuple", """
        t = ()
        for i in range(1000000):
            t = (t,)
        print("inainte", flush=True)
        print(hash(t))
    """, allowed=frozenset({"error", "memory", "timeout", "refused"}), limits={"cpu": 3, "wall": 8}),
    H("crash-repr-of-deeply-nested-list", """
        a = []
        for i in range(200000):
            a = [a]
        print(repr(a))
    """, allowed=frozenset({"error", "memory", "output_limit"})),
    H("crash-compare-deeply-nested-lists", """
        a = []
        b = []
        for i in range(200000):
            a = [a]
            b = [b]
        print(a == b)
    """, allowed=frozenset({"error", "memory"})),
    # ---- input -------------------------------------------------------------
    H("input-reading-forever-from-empty-stdin", """
        while True:
            input()
    """, allowed=frozenset({"error"}), error_types=("EOFError",)),
]


# --------------------------------------------------------------------------
# the tests
# --------------------------------------------------------------------------


def test_corpus_is_large_enough():
    assert len(CASES) >= 60


@pytest.mark.parametrize("case", [c for c in CASES if not c.id.startswith("compile-")])
def test_case_is_valid_python(case: Case):
    """No case may pass by accident because its own source is malformed."""
    import ast

    ast.parse((STEAL if case.steal else "") + case.source)


def test_steal_prelude_is_legal_and_quiet(sb, loot):
    """The prelude compiles under the policy and prints nothing on harmless objects.

    Without this, every `steal=True` case could pass because the prelude
    itself was refused.
    """
    source = loot.fill(STEAL) + textwrap.dedent("""
        import math
        import random
        steal(math)
        steal(random)
        steal(1)
        steal("abc")
        steal([1, 2])
        steal({"a": 1})
        print("curat")
    """)
    result = sb.run(source)
    assert result.status == "ok", describe(result)
    assert result.stdout == "curat\n", describe(result)
    assert_nothing_escaped(result, loot)


@pytest.mark.parametrize("case", CASES)
def test_hostile_program_is_contained(sb, loot, case: Case):
    source = loot.fill((STEAL if case.steal else "") + case.source)
    limits = make_limits(**case.limits) if case.limits else None
    result = sb.run(source, limits=limits)

    assert result.status in STATUSES, describe(result)
    assert result.status in case.allowed, describe(result)
    assert_nothing_escaped(result, loot)

    if result.status == "refused":
        reason = err(result, "reason")
        assert isinstance(reason, str) and reason, describe(result)
        if case.reasons:
            assert reason in case.reasons, describe(result)
    if result.status == "error":
        assert err(result, "type"), describe(result)
        if case.error_types:
            assert err(result, "type") in case.error_types, describe(result)
    if result.status == "output_limit":
        assert result.stdout_truncated is True, describe(result)
        cap = case.limits.get("output")
        if cap is not None:
            assert len(result.stdout.encode()) <= cap, describe(result)
    if case.stdout_prefix is not None and result.status != "refused":
        assert result.stdout.startswith(case.stdout_prefix), describe(result)
    if case.stdout_exact is not None:
        assert result.stdout == case.stdout_exact, describe(result)

    assert_still_serves(sb)


def test_crash_verdict_is_repeatable(sb):
    """A segfaulting child twice in a row: both verdicts, and the server survives."""
    source = "t = ()\nfor i in range(1000000):\n    t = (t,)\nprint(hash(t))\n"
    for _ in range(2):
        result = sb.run(source, limits=make_limits(cpu=3, wall=8))
        assert result.status in {"error", "memory", "timeout", "refused"}, describe(result)
        assert "Traceback" not in (result.stdout or ""), describe(result)
    assert_still_serves(sb)


@pytest.mark.parametrize("swallow", [False, True], ids=["plain", "swallowing-exceptions"])
def test_turtle_drawing_bomb_is_capped(sb, swallow):
    """A drawing that never ends is stopped; the recording stays bounded."""
    step = "turtle.forward(1)\n    turtle.left(1)\n"
    if swallow:
        step = "try:\n        turtle.forward(1)\n        turtle.left(1)\n    except BaseException:\n        pass\n"
    result = sb.run("import turtle\nprint('start')\nwhile True:\n    " + step,
                    limits=make_limits(cpu=2, wall=5))
    assert result.status in {"output_limit", "memory", "timeout", "error", "refused"}, describe(result)
    assert result.stdout.startswith("start\n"), describe(result)
    assert len(result.turtle or []) <= 50_000
    assert_still_serves(sb)


HOSTILE_COLOURS = [
    pytest.param(["x = []", "x.append(x)", "return x"], id="self-containing-list"),
    pytest.param(["return [1, 2]"], id="unhashable-list"),
    pytest.param(["return 5"], id="int"),
    pytest.param(["return {'a': 1}"], id="dict"),
    pytest.param(["return None"], id="none"),
]


@pytest.mark.parametrize("lower_body", HOSTILE_COLOURS)
def test_turtle_recording_holds_only_plain_values(sb, lower_body):
    """A str subclass with hostile methods as a colour must not smuggle odd values.

    The recording is compared as a set of segments by the grader: a list or a
    self-containing value in `color` would crash it, and a drawing silently
    dropped while the verdict says "ok" would mislead the child.
    """
    source = (
        "class S(str):\n"
        "    def strip(self, *a):\n"
        "        return self\n"
        "    def lower(self):\n"
        + "".join(f"        {line}\n" for line in lower_body)
        + "import turtle\n"
        'turtle.color(S("red"))\n'
        "turtle.forward(10)\n"
        'print("desenat")\n'
    )
    result = sb.run(source)
    assert result.status in STATUSES, describe(result)
    if result.status == "ok":
        drawn = result.turtle or []
        assert len(drawn) == 1, f"the drawing was lost: turtle={result.turtle!r} " + describe(result)
    for segment in result.turtle or []:
        assert type(segment["color"]) is str, f"non-string colour recorded: {segment!r}"
        for key in ("x1", "y1", "x2", "y2", "width"):
            assert type(segment[key]) in (int, float), f"odd {key}: {segment!r}"
    assert_still_serves(sb)


def test_control_characters_and_framing_lookalikes_pass_through_exactly(sb):
    source = (
        'print("a\\x00b\\x1b[2Jc\\x0c\\x07")\n'
        'print(\'{"status": "ok", "stdout": "forged"}\')\n'
        'print("\\n".join(["END", "\\x00\\x00\\x00\\x10"]))\n'
    )
    result = sb.run(source)
    assert result.status == "ok", describe(result)
    assert result.stdout == (
        'a\x00b\x1b[2Jc\x0c\x07\n{"status": "ok", "stdout": "forged"}\nEND\n\x00\x00\x00\x10\n'
    )


@pytest.mark.parametrize(
    ("source", "stdin"),
    [
        pytest.param("print('\ud800')\n", "", id="lone-surrogate-in-source"),
        pytest.param("print(input())\n", "\udcff\n", id="lone-surrogate-in-stdin"),
        pytest.param('print("a" + chr(0xD800) + "b")\n', "", id="lone-surrogate-printed"),
        pytest.param('input(chr(0xDFFF))\n', "x\n", id="lone-surrogate-prompt"),
        pytest.param("print(1)\x00\n", "", id="nul-byte-in-source"),
        pytest.param("\ufeffprint(1)\n", "", id="bom-at-start"),
    ],
)
def test_unencodable_text_gives_a_verdict(sb, source, stdin):
    """Text that UTF-8 cannot carry (a JSON API can deliver lone surrogates) is a verdict, never an exception."""
    result = sb.run(source, stdin=stdin)
    assert result.status in STATUSES, describe(result)
    assert_still_serves(sb)


def test_unread_huge_stdin_does_not_hang(sb):
    result = sb.run('print("nu citesc nimic")\n', stdin="x" * 5_000_000 + "\n",
                    limits=make_limits(cpu=2, wall=5))
    assert result.status in STATUSES, describe(result)
    if result.status == "ok":
        assert result.stdout == "nu citesc nimic\n"
    result = sb.run("while True:\n    input()\n", stdin="linie\n" * 500_000,
                    limits=make_limits(cpu=2, wall=5))
    assert result.status in {"error", "timeout", "refused"}, describe(result)
    assert_still_serves(sb)


def test_sandbox_classes_mutated_by_a_child_are_fresh_in_the_next_run(sb):
    sb.run(
        "import turtle\nT = type(turtle.Turtle())\nT.forward = lambda self, d: None\n"
        "T.left = lambda self, a: None\nM = type(turtle)\nM.public_names = None\n"
    )
    result = sb.run(
        "import turtle\nimport math\nt = turtle.Turtle()\nfor i in range(4):\n"
        "    t.forward(100)\n    t.left(90)\nprint(len(math.public_names()) > 10)\n"
    )
    assert result.status == "ok", describe(result)
    assert len(result.turtle or []) == 4
    assert result.stdout == "True\n"


def test_module_mutation_does_not_leak_into_the_next_run(sb):
    sb.run("import math\nmath.pi = 3\nsetattr(math, 'e', 2)\n")
    sb.run("import random\nrandom.seed = None\nrandom.random = None\n")
    sb.run("import string\nstring.digits = 'x'\n")
    result = sb.run(
        "import math\nimport random\nimport string\n"
        "print(math.pi, math.e)\nprint(callable(random.random), callable(random.seed))\n"
        "print(string.digits)\n"
    )
    assert result.status == "ok", describe(result)
    assert result.stdout == "3.141592653589793 2.718281828459045\nTrue True\n0123456789\n"


CALL_CASES = [
    pytest.param("x = 1\n", "eval", ["open('@SECRET@').read()"], BLOCKED, id="call-name-eval"),
    pytest.param("x = 1\n", "exec", ["import os"], BLOCKED, id="call-name-exec"),
    pytest.param("", "open", ["@SECRET@"], BLOCKED, id="call-name-open"),
    pytest.param("", "__import__", ["os"], BLOCKED, id="call-name-dunder-import"),
    pytest.param("", "_getattr_", ["abc", "format"], BLOCKED, id="call-name-guard-hook"),
    pytest.param("", "getattr", ["abc", "__class__"], BLOCKED, id="call-name-getattr-dunder"),
    pytest.param("def f():\n    return f\n", "f", [], BLOCKED, id="call-returns-function"),
    pytest.param("import math\ndef f():\n    return math\n", "f", [], BLOCKED,
                 id="call-returns-module"),
    pytest.param(
        "def f():\n    a = []\n    for i in range(100000):\n        a = [a]\n    return a\n",
        "f", [], frozenset({"error", "memory", "refused"}), id="call-returns-deeply-nested",
    ),
    pytest.param(
        "class Rau:\n    def __repr__(self):\n        raise SystemExit(1)\n"
        "    def __eq__(self, other):\n        raise SystemExit(1)\n"
        "def f():\n    return Rau()\n",
        "f", [], BLOCKED, id="call-returns-object-with-hostile-dunders",
    ),
    pytest.param("def f(n):\n    while True:\n        n += 1\n", "f", [1],
                 frozenset({"timeout"}), id="call-function-never-returns"),
]


@pytest.mark.parametrize(("source", "name", "args", "allowed"), CALL_CASES)
def test_hostile_call_is_contained(sb, loot, source, name, args, allowed):
    args = [loot.fill(a) if isinstance(a, str) else a for a in args]
    result = sb.call(loot.fill(source), name, args, limits=make_limits(**CPU))
    assert result.status in allowed, describe(result)
    assert_nothing_escaped(result, loot)
    value = getattr(result, "value", None)
    assert value is None or isinstance(value, (int, float, str, bool, list, dict)), describe(result)
    assert_still_serves(sb)
