"""The values of the names on the failing line (``error["values"]``): what
they show, that a child's own objects are never asked anything, that the
block stays bounded, and that the server's check rebuilds a forged one."""

from __future__ import annotations

import json
import math

from sandbox import line_values
from sandbox.bounds import check_error as _checked_error  # the server's check


def _values(sandbox, source, stdin=""):
    r = sandbox.run(source, stdin=stdin)
    assert r.status == "error", (r.status, r.error)
    values = r.error.get("values")
    assert isinstance(values, dict)
    assert line_values.block_size(values) <= line_values.BLOCK_LIMIT
    return r, values


# -- what a child's mistake shows ---------------------------------------------


def test_index_error_shows_the_list_and_the_index(sandbox):
    r, values = _values(sandbox, "numere = [4, 7, 9]\ni = 3\nprint(numere[i])\n")
    assert r.error.type == "IndexError" and r.error.line == 3
    assert values["numere"] == {
        "type": "list",
        "repr": "[4, 7, 9]",
        "len": 3,
        "items": ["4", "7", "9"],
    }
    assert values["i"] == {"type": "int", "repr": "3", "value": 3}
    assert values["print"] == {
        "type": "function",
        "repr": "print",
        "name": "print",
        "builtin": True,
    }


def test_key_error_shows_the_keys(sandbox):
    r, values = _values(
        sandbox, "note = {'Ana': 9, 'Bogdan': 10}\ncheie = 'Dan'\nprint(note[cheie])\n"
    )
    assert r.error.type == "KeyError"
    assert values["note"]["type"] == "dict"
    assert values["note"]["len"] == 2
    assert values["note"]["keys"] == ["'Ana'", "'Bogdan'"]
    assert values["cheie"] == {"type": "str", "repr": "'Dan'", "value": "Dan", "len": 3}


def test_zero_division_shows_the_divisor(sandbox):
    r, values = _values(sandbox, "a = 10\nb = a - 10\nc = a / b\n")
    assert r.error.type == "ZeroDivisionError"
    assert values == {
        "a": {"type": "int", "repr": "10", "value": 10},
        "b": {"type": "int", "repr": "0", "value": 0},
    }  # c is stored, not loaded: it is not a value of the line


def test_name_error_has_no_value_for_the_unknown_name(sandbox):
    r, values = _values(sandbox, "nume = 'Ana'\nprint(nume, varsta)\n")
    assert r.error.type == "NameError"
    assert "varsta" not in values
    assert values["nume"]["value"] == "Ana"


def test_values_in_a_function_come_from_its_own_frame(sandbox):
    source = "x = 'global'\ndef f(lista, x):\n    return lista[x]\n\nf([1, 2], 5)\n"
    r, values = _values(sandbox, source)
    assert r.error.line == 3
    assert values["x"] == {"type": "int", "repr": "5", "value": 5}  # the local, not the global
    assert values["lista"]["len"] == 2
    called = sandbox.call("def g(t):\n    return t + 1\n", "g", ["doi"])
    assert called.error["values"]["t"]["value"] == "doi"


def test_functions_say_whose_they_are(sandbox):
    source = "def salut():\n    pass\nnume = input\nprint(nume + salut + len)\n"
    _, values = _values(sandbox, source, stdin="")
    assert values["nume"] == {"type": "function", "repr": "input", "name": "input", "builtin": True}
    assert values["salut"]["builtin"] is False and values["salut"]["name"] == "salut"
    assert values["len"]["builtin"] is True


def test_syntax_error_and_success_carry_no_values(sandbox):
    bad = sandbox.run("print('a'\n")
    assert bad.error.type == "SyntaxError" and bad.error.get("values") == {}
    good = sandbox.run("print(1)\n")
    assert good.error is None


# -- the child's own objects are never asked anything ---------------------------


HOSTILE = """
armed = False
class Rau:
    def __repr__(self):
        print("REPR")
        raise RuntimeError("repr")
    def __str__(self):
        print("STR")
        return "Rau"
    def __len__(self):
        print("LEN")
        return 10**6
    def __eq__(self, other):
        print("EQ")
        raise RuntimeError("eq")
    def __hash__(self):
        if armed:
            print("HASH")
        return 1
    def __iter__(self):
        print("ITER")
        while True:
            pass
class Text(str):
    def __repr__(self):
        print("TEXT")
        return "t"
r = Rau()
lista = [r, 1]
multime = {r}
dictionar = {r: r}
text = Text("abc")
armed = True
print(r + lista + multime + dictionar + text)
"""


def test_a_childs_methods_are_never_called(sandbox):
    r, values = _values(sandbox, HOSTILE)
    assert r.stdout == ""
    failing_line = HOSTILE.splitlines().index("print(r + lista + multime + dictionar + text)") + 1
    assert r.error.type == "TypeError" and r.error.line == failing_line
    assert values["r"] == {"type": "other", "repr": "…"}
    assert values["text"] == {"type": "other", "repr": "…"}  # a str subclass is not a str
    assert values["lista"] == {"type": "list", "repr": "[…, 1]", "len": 2, "items": ["…", "1"]}
    assert values["multime"]["items"] == ["…"]
    assert values["dictionar"]["keys"] == ["…"]
    assert "Rau" not in json.dumps(values) and "Text" not in json.dumps(values)


def test_the_program_cannot_change_the_values_after_it_failed(sandbox):
    # The exception's __str__ runs when the message is read: the values were read before.
    source = (
        "numere = [1, 2, 3]\n"
        "class Eroare(Exception):\n"
        "    def __str__(self):\n"
        "        numere.append(99)\n"
        "        return 'gata'\n"
        "raise Eroare(numere)\n"
    )
    r, values = _values(sandbox, source)
    assert r.error.message == "gata"
    assert values["numere"]["len"] == 3 and values["numere"]["items"] == ["1", "2", "3"]


# -- bounds ---------------------------------------------------------------------


def test_a_huge_string_a_huge_list_and_deep_nesting_stay_bounded(sandbox):
    source = (
        "s = 'ș' * 10_000_000\n"
        "l = list(range(1_000_000))\n"
        "d = []\n"
        "for i in range(10_000):\n"
        "    d = [d, 'x' * 100]\n"
        "n = 10 ** 5000\n"
        "print(s + l + d + n)\n"
    )
    r, values = _values(sandbox, source)
    s = values["s"]
    assert s["len"] == 10_000_000 and s["cut"] is True
    assert len(s["value"]) == line_values.STR_LIMIT and len(s["repr"]) <= line_values.REPR_LIMIT
    assert values["l"]["len"] == 1_000_000
    assert values["l"]["items"] == ["0", "1", "2", "3", "4"]
    assert values["l"]["repr"] == "[0, 1, 2, 3, 4, …]"
    assert values["d"]["len"] == 2
    assert len(values["d"]["repr"]) <= line_values.REPR_LIMIT
    assert all(len(i) <= line_values.ITEM_REPR_LIMIT for i in values["d"]["items"])
    assert values["n"] == {"type": "int", "repr": "…", "value": None, "cut": True}


def test_a_hundred_names_on_one_line_give_at_most_eight(sandbox):
    names = [f"v{i}" for i in range(100)]
    source = "".join(f"{n} = '{'ă' * 200}'\n" for n in names[:-1]) + f"{names[-1]} = 1\n"
    source += "print(" + " + ".join(names) + ")\n"
    r, values = _values(sandbox, source)
    assert r.error.type == "TypeError"
    assert 1 <= len(values) < line_values.MAX_NAMES  # long texts: the bytes bound first
    assert list(values) == (["print"] + names)[: len(values)]
    short = "".join(f"{n} = 'a'\n" for n in names[:-1]) + f"{names[-1]} = 1\n"
    r, values = _values(sandbox, short + "print(" + " + ".join(names) + ")\n")
    assert list(values) == (["print"] + names)[: line_values.MAX_NAMES]


def test_nan_and_infinity_are_strings_in_standard_json(sandbox):
    source = "a = float('nan')\nb = float('inf')\nc = -b\nd = [a, b]\nprint(a + b + c + d)\n"
    r, values = _values(sandbox, source)
    assert values["a"] == {"type": "float", "repr": "nan", "value": "nan"}
    assert values["b"]["value"] == "inf" and values["c"]["value"] == "-inf"
    assert values["d"]["items"] == ["nan", "inf"]
    json.dumps(r.to_dict()["error"], allow_nan=False)  # strictly standard JSON


def test_describing_never_fails_the_run():
    class Broken:  # a traceback-less exception, and a frame-less one
        pass

    assert line_values.values_at_failure(ValueError("x"), "<program>", {}) == {}
    assert line_values.values_at_failure(Broken(), "<program>", {}) == {}


# -- the server's check ---------------------------------------------------------


def test_the_server_rebuilds_a_forged_block():
    forged = {
        "ok": {"type": "int", "repr": "3", "value": 3, "extra": "x" * 10_000},
        "not a name": {"type": "int", "repr": "3", "value": 3},
        "evil": {"type": "code", "repr": "x"},
        "long": {"type": "str", "repr": "'a'", "value": "a" * 500, "len": 500},
        "liar": {"type": "str", "repr": "'abc'", "value": "abc", "len": 1},
        "many": {"type": "list", "repr": "[]", "len": 9, "items": ["1"] * 9},
        "nan": {"type": "float", "repr": "nan", "value": math.nan},
        "boolint": {"type": "int", "repr": "True", "value": True},
        "huge": {"type": "int", "repr": "1", "value": 10**100},
        "cls": {"type": "other", "repr": "<MyClass object>"},
        "fn": {"type": "function", "repr": "x" * 50, "name": "f", "builtin": "yes"},
        "fn2": {"type": "function", "repr": "whatever", "name": "f", "builtin": False},
        "notdict": [1, 2],
    }
    checked = line_values.check_values(forged)
    assert checked == {
        "ok": {"type": "int", "repr": "3", "value": 3},
        "cls": {"type": "other", "repr": "…"},
        "fn2": {"type": "function", "repr": "f", "name": "f", "builtin": False},
    }
    assert line_values.check_values("values") == {}
    assert line_values.check_values(None) == {}


def test_the_server_cuts_an_oversized_block_and_too_many_names():
    info = {"type": "str", "repr": "'x'", "value": "ț" * 60, "len": 60}
    checked = line_values.check_values({f"n{i}": dict(info) for i in range(50)})
    assert 0 < len(checked) <= line_values.MAX_NAMES
    assert line_values.block_size(checked) <= line_values.BLOCK_LIMIT
    assert list(checked) == [f"n{i}" for i in range(len(checked))]


def test_the_servers_verdict_check_applies_to_the_error():
    error = {"type": "IndexError", "message": "m", "line": 1, "column": 1, "values": "junk"}
    assert _checked_error(error)["values"] == {}
    assert _checked_error(error)["message"] == "m"
    no_values = {"type": "TimeLimit", "message": "m", "line": None, "column": None}
    assert _checked_error(no_values) == no_values
    assert _checked_error(None) is None
