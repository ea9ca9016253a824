"""Beginner programs that fail while they run (or answer wrongly in a typical way), each with
the explanation a child must get, at its line, naming the child's own names and values."""

from __future__ import annotations

import pytest

from codekids.bank.explanations import Context, detect, explain
from codekids.bank.models import TestCase
from sandbox.result import ErrorInfo
from tests.unit.bank.corpus import UNCHECKED, Case, check, run_case

DOUBLE = TestCase(1, "function", spec={"function": "dublu", "args": [3], "expected": 6})
SUM = TestCase(1, "function", spec={"function": "suma", "args": [2, 3], "expected": 5})
IO = TestCase(1, "io", spec={"stdout": "6\n"})
SORTED = TestCase(1, "io", spec={"stdout": "[1, 2, 3]\n"})

CASES = [
    # 1. a function used before its def
    Case("call-before-def", 'salut("Ana")\n\ndef salut(nume):\n    print("Salut, " + nume)\n',
         "used_before_def", 1, ("salut", "3")),
    Case("call-before-def-in-print",
         'x = 4\nprint(dublu(x))\ndef dublu(n):\n    return 2 * n\n',
         "used_before_def", 2, ("dublu", "3")),
    Case("call-before-def-word-in-text",
         'print("Calculam aria")\nrezultat = aria(3, 4)\ndef aria(a, b):\n    return a * b\n',
         "used_before_def", 2, ("aria", "3")),
    Case("variable-given-later", 'print("Scorul este", scor)\nscor = 10\n',
         "used_before_def", 1, ("scor", "2")),
    # 2. a function named but not called
    Case("input-without-brackets", 'nume = input\nprint("Salut " + nume)\n',
         "function_not_called", 1, ("nume", "input()"), cpython_line=2),
    Case("input-without-brackets-int", 'varsta = input\nani = int(varsta)\n',
         "function_not_called", 1, ("varsta", "input()"), cpython_line=2),
    Case("len-without-brackets", 'lista = [1, 2, 3]\nprint("Lungimea: " + len)\n',
         "function_not_called", 2, ("len()",)),
    # 3. input used as a number
    Case("input-plus-one", 'n = input()\nprint(n + 1)\n', "input_not_number", 2,
         ("n", "1", "int(input())"), stdin="3\n"),
    Case("input-minus", 'varsta = input()\nprint(varsta - 1)\n', "input_not_number", 2,
         ("varsta", "int(input())"), stdin="9\n"),
    Case("input-range", 'n = input()\nfor i in range(n):\n    print("Bravo")\n',
         "input_not_number", 2, ("n", "1"), stdin="3\n"),
    Case("input-compare", 'nota = input()\nif nota > 5:\n    print("Ai trecut!")\n',
         "input_not_number", 2, ("nota", "1"), stdin="7\n"),
    Case("input-modulo", 'n = input()\nif n % 2 == 0:\n    print("par")\n',
         "input_not_number", 2, ("n", "int(input())"), stdin="4\n"),
    Case("two-inputs-subtracted", 'a = input()\nb = input()\nprint(a - b)\n',
         "input_not_number", 3, ("a", "1", "int(input())"), stdin="9\n4\n"),
    Case("two-inputs-divided", 'total = input()\ncopii = input()\nprint(total / copii)\n',
         "input_not_number", 3, ("total", "int(input())"), stdin="10\n2\n"),
    Case("input-number-plus-text", 'a = input()\nb = 10 + a\nprint(b)\n', "input_not_number",
         2, ("a", "1"), stdin="5\n"),
    Case("input-times-two", 'n = input()\nprint(n * 2)\n', "input_not_number", 2,
         ("n", "1", "int(input())"), stdin="3\n", cpython_line=None, test=IO, expected="6\n"),
    Case("text-plus-number-named", 'varsta = 10\nprint("Am " + varsta + " ani")\n',
         "concat_text_number", 2, ("varsta", "1", '"Am "')),
    Case("text-plus-len", 'nume = "Ana"\nprint("Lungimea: " + len(nume))\n',
         "concat_text_number", 2, ("len(nume)", '"Lungimea: "')),
    Case("number-plus-text", 'ani = 9\ntext = " ani"\nprint(ani + text)\n',
         "add_number_text", 3, ("ani", "text", "2")),
    Case("text-plus-list", 'numere = [1, 2]\nprint("Numere: " + numere)\n',
         "concat_text_number", 2, ("numere", '"Numere: "')),
    # 4. int() of a text that is not a whole number
    Case("int-of-decimal", 'x = int("3.5")\n', "number_from_text", 1, ("3.5", "float")),
    Case("int-of-decimal-input", 'n = int(input())\nprint(n * 2)\n', "number_from_text", 1,
         ("2.5", "float"), stdin="2.5\n"),
    Case("int-of-empty", 'n = int(input())\n', "number_from_text", 1, ('""',), stdin="\n"),
    Case("int-of-word", 'varsta = int(input())\n', "number_from_text", 1, ("'noua'",),
         stdin="noua\n"),
    Case("int-of-two-numbers", 'n = int(input())\n', "number_from_text", 1, ("'3 4'", "split"),
         stdin="3 4\n"),
    Case("float-of-comma", 'pret = float(input())\n', "number_from_text", 1, ("'2,5'",),
         stdin="2,5\n"),
    # 5. looping over a number
    Case("for-in-number", 'for i in 5:\n    print(i)\n', "loop_over_number", 1,
         ("range(5)",)),
    Case("for-in-len", 'lista = [4, 8]\nfor i in len(lista):\n    print(lista[i])\n',
         "loop_over_number", 2, ("range(len(lista))",)),
    Case("for-in-variable", 'n = 3\nfor pas in n:\n    print(pas)\n', "loop_over_number", 2,
         ("range(n)", "pas")),
    # 6. what append/sort give back; a method of another kind
    Case("append-result-kept", 'lista = [1, 2]\nlista = lista.append(3)\nlista.append(4)\n',
         "none_value", 3, ("lista", "2", "append")),
    Case("sort-result-kept", 'note = [9, 7]\nnote = note.sort()\nprint(note[0])\n',
         "none_value", 3, ("note", "2", "sort")),
    Case("function-without-return-used",
         'def dublu(n):\n    print(n * 2)\nx = dublu(3)\nprint(x + 1)\n',
         "none_value", 4, ("x", "3", "dublu")),
    Case("print-sort", 'numere = [3, 1, 2]\nprint(numere.sort())\n', "printed_method_result",
         2, ("numere", "sort()"), cpython_line=None, test=SORTED, expected="[1, 2, 3]\n"),
    Case("append-on-text", 'nume = "Ana"\nnume.append("!")\n', "method_of_another_kind", 2,
         ("nume", "append")),
    Case("literal-text-append", '"abc".append("d")\n', "method_of_another_kind", 1,
         ('"abc"', "append")),
    Case("sort-text", 'nume = input()\nnume.sort()\n', "method_of_another_kind", 2,
         ("nume", "sorted(nume)"), stdin="Maria\n"),
    Case("upper-on-list", 'nume = ["ana", "ion"]\nprint(nume.upper())\n',
         "method_of_another_kind", 2, ("nume", "upper")),
    Case("split-on-list", 'cuvinte = ["a", "b"]\nparti = cuvinte.split()\n',
         "method_of_another_kind", 2, ("cuvinte", "split")),
    Case("method-typo", 'nume = "ana"\nprint(nume.uper())\n', "attribute_typo", 2,
         ("nume", "uper", "upper")),
    # 7. positions and keys
    Case("index-past-end", 'numere = [1, 2, 3]\nprint(numere[3])\n', "index_error", 2,
         ("numere", "3", "0, 1, 2")),
    Case("index-variable", 'culori = ["rosu", "verde"]\ni = 2\nprint(culori[i])\n',
         "index_error", 3, ("culori", "2", "0, 1")),
    Case("index-of-text", 'cuvant = "mar"\nprint(cuvant[5])\n', "index_error", 2,
         ("cuvant", "5", "0, 1, 2")),
    Case("index-of-empty", 'lista = []\nprint(lista[0])\n', "index_error", 2, ("lista",)),
    Case("index-loop-len", 'l = [5, 6, 7]\nfor i in range(len(l) + 1):\n    print(l[i])\n',
         "index_error", 3, ("l", "3")),
    Case("missing-key", 'note = {"ana": 9, "ion": 7}\nprint(note["maria"])\n', "key_error", 2,
         ("note", "'maria'", "'ana'", "'ion'")),
    Case("missing-key-capital", 'varste = {"Ana": 9}\nnume = "ana"\nprint(varste[nume])\n',
         "key_error", 3, ("varste", "'ana'", "'Ana'")),
    # 8. dividing by zero
    Case("divide-by-variable", 'total = 10\nnumar = 0\nprint(total / numar)\n',
         "zero_division", 3, ("numar",)),
    Case("average-of-empty", 'note = []\nmedia = sum(note) / len(note)\n', "zero_division", 2,
         ("len(note)",)),
    Case("modulo-zero", 'a = 7\nb = 0\nprint(a % b)\n', "zero_division", 3, ("b",)),
    # 9. UnboundLocalError
    Case("unbound-counter", 'scor = 0\ndef creste():\n    scor = scor + 1\ncreste()\n',
         "unbound_local", 3, ("scor", "creste")),
    Case("unbound-print-first", 'def arata():\n    print(x)\n    x = 5\narata()\n',
         "unbound_local", 2, ("x", "arata")),
    # 10. printing instead of returning
    Case("prints-not-returns", 'def dublu(n):\n    print(n * 2)\n', "missing_return", 1,
         ("dublu", "2"), cpython_line=None, test=DOUBLE, expected=6),
    Case("prints-sum", 'def suma(a, b):\n    s = a + b\n    print(s)\n', "missing_return", 1,
         ("suma", "3"), cpython_line=None, test=SUM, expected=5),
    Case("none-printed", 'def dublu(n):\n    n * 2\nprint(dublu(3))\n', "missing_return", 1,
         ("dublu",), cpython_line=None, test=IO, expected="6\n"),
    # 11. a loop that never ends
    Case("loop-never-changes", 'i = 0\nwhile i < 10:\n    print("Salut")\n', "output_limit",
         2, ("i", "2"), cpython_line=UNCHECKED),
    Case("loop-silent", 'i = 1\nsuma = 0\nwhile i <= 5:\n    suma = suma + i\nprint(suma)\n',
         "time_limit", 3, ("i", "3"), cpython_line=UNCHECKED),
    Case("loop-true", 'x = 0\nwhile True:\n    x = x + 1\n', "time_limit", 2, ("True",),
         cpython_line=UNCHECKED),
    # 12. a builtin's name given a value
    Case("print-assigned", 'print = "salut"\nprint("x")\n', "builtin_overwritten", 1,
         ("print",), cpython_line=2),
    Case("input-assigned", 'input = 5\nx = input()\n', "builtin_overwritten", 2,
         ("input", "1")),
    Case("len-assigned", 'len = 3\nlista = [1, 2]\nprint(len(lista))\n',
         "builtin_overwritten", 3, ("len", "1")),
    Case("str-assigned", 'str = "Ana"\nvarsta = 9\nprint(str(varsta))\n',
         "builtin_overwritten", 3, ("str", "1")),
    Case("list-assigned", 'list = [1, 2]\nx = list("abc")\n', "builtin_overwritten", 2,
         ("list", "1")),
    # 13. other common ones
    Case("too-few-values", 'def aria(a, b):\n    return a * b\nprint(aria(3))\n',
         "wrong_argument_count", 3, ("aria", "2", "1", "a, b")),
    Case("too-many-values", 'def salut(nume):\n    print(nume)\nsalut("Ana", "Ion")\n',
         "wrong_argument_count", 3, ("salut", "1", "2")),
    Case("input-two-values", 'nume = "Ana"\nx = input("Salut", nume)\n',
         "wrong_argument_count", 2, ("input", "1", "2")),
    Case("number-subscript", 'n = 1234\nprint(n[0])\n', "not_indexable", 2, ("n", "n[")),
    Case("len-of-number", 'n = 5\nprint(len(n))\n', "not_indexable", 2, ("n", "len")),
    Case("function-subscript", 'def f(x):\n    return x\nprint(f[2])\n', "not_indexable", 3,
         ("f(", "f")),
    Case("none-attribute", 'x = None\nx.append(1)\n', "none_value", 2, ("x", "None")),
    Case("range-of-list", 'numere = [3, 5]\nfor i in range(numere):\n    print(i)\n',
         "text_as_number", 2, ("numere", "range(len(numere))")),
    Case("loop-len-unchanged",
         'lista = [1, 2, 3]\ni = 0\nwhile i < len(lista):\n    print(lista[i])\n',
         "output_limit", 3, ("i", "3"), cpython_line=UNCHECKED),
    Case("text-plus-nothing",
         'def salut():\n    print("Salut")\nmesaj = salut()\nprint("Am spus: " + mesaj)\n',
         "none_value", 4, ("mesaj", "3", "salut")),
    Case("append-on-number", 'n = 5\nn.append(3)\n', "method_of_another_kind", 2,
         ("n", "append")),
    Case("unbound-plus-equals", 'total = 0\ndef adauga(x):\n    total += x\nadauga(3)\n',
         "unbound_local", 3, ("total", "adauga")),
    Case("dict-plus-dict", 'a = {"x": 1}\nb = {"y": 2}\nc = a + b\n', "unsupported_operand", 3,
         ("a", "b", "+")),
    Case("one-input-too-many", 'a = int(input())\nb = int(input())\nprint(a + b)\n',
         "too_many_inputs", 2, ("2", "input()"), stdin="3\n"),
    Case("count-in-empty-dict", 'numar = {}\nfor litera in "mama":\n    numar[litera] += 1\n',
         "key_error", 3, ("numar", "'m'", "numar['m'] = 0")),
    Case("change-a-letter", 'cuvant = "masa"\ncuvant[0] = "c"\n', "cannot_change", 2,
         ("cuvant", "cuvant[1:]")),
    Case("change-a-tuple", 'puncte = (3, 5)\npuncte[1] = 7\n', "cannot_change", 2,
         ("puncte", "[1, 2]")),
    Case("randint-one-value", 'import random\nzar = random.randint(6)\n', "wrong_argument_count",
         2, ("randint", "'b'")),
    Case("list-add", 'fructe = ["mar"]\nfructe.add("para")\n', "attribute_typo", 2,
         ("fructe", "append")),
    Case("text-plus-len-of-input", 'nume = input()\nprint("Ai " + len(nume) + " litere")\n',
         "concat_text_number", 2, ("len(nume)", "str(len(nume))"), stdin="Ana\n"),
    # 14. the fallback
    Case("fallback-sqrt", 'import math\nprint(math.sqrt(-1))\n', "other_error", 2, ("2",)),
    Case("fallback-raise", 'raise ValueError("nu merge")\n', "other_error", 1, ("nu merge",)),
    Case("fallback-overflow", 'x = 2.0 ** 5000\n', "other_error", 1, ("1",)),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_a_beginner_program_gets_its_explanation(sandbox, case):
    check(case, sandbox)


def test_the_corpus_is_large_and_its_ids_unique():
    assert len(CASES) >= 45
    assert len({c.id for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", [c for c in CASES if c.cpython_line != UNCHECKED],
                         ids=lambda c: c.id)
def test_without_the_values_at_the_line_the_same_mistake_is_named(sandbox, case):
    """An older sandbox, or values it could not show: the program's own code still says
    what went wrong (perhaps with fewer details), never another mistake."""
    result = run_case(case, sandbox)
    if result.error is not None:
        result.error = ErrorInfo({k: v for k, v in result.error.items() if k != "values"})
    found = detect(Context(result, case.source, case.test, case.expected))
    assert (found.kind, found.line) == (case.kind, case.line), found
    for locale in ("ro", "en", "hu"):
        assert explain(result, case.source, locale, test=case.test, expected=case.expected)


@pytest.mark.parametrize("source, stdin, secrets", [
    ("numere = [int(x) for x in input().split()]\nprint(numere[5])\n", "4 8 15\n",
     ("3", "0, 1, 2")),
    ("note = {'ana': 9}\nprint(note[input()])\n", "Zamolxe\n", ("Zamolxe",)),
    ("n = int(input())\n", "3.75\n", ("3.75",)),
    ("d = {}\nd[input()] += 1\n", "Zamolxe\n", ("Zamolxe",)),
])
def test_a_hidden_test_s_data_stays_hidden(sandbox, source, stdin, secrets):
    result = sandbox.run(source, stdin=stdin)
    for locale in ("ro", "en", "hu"):
        shown = explain(result, source, locale)["message"]
        hidden = explain(result, source, locale, hidden=True)["message"]
        assert all(secret in shown for secret in secrets), shown
        assert not any(secret in hidden for secret in secrets), hidden
