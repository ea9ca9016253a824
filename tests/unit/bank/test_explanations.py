"""Every friendly explanation, chosen for a real program run in the sandbox, at the right line."""

from __future__ import annotations

import importlib

import pytest

from codekids.bank import explanations
from codekids.bank.explanations import Context, detect, explain
from codekids.bank.models import TestCase
from tests.unit.bank.corpus import Case

# kind: (program, stdin, line the explanation points at, a word of its English message)
PROGRAMS = {
    "misspelt_builtin": ("x = 1\npritn(x)\n", "", 2, "print"),
    "name_error": ("x = 5\nprint(y + 1)\n", "", 2, "y"),
    "unbound_local": ("c = 0\ndef f():\n    c = c + 1\nf()\n", "", 3, "c"),
    "attribute_typo": ("s = 'abc'\nprint(s.uper())\n", "", 2, "upper"),
    "not_callable": ("x = 5\nprint(x(3))\n", "", 2, "x is not a function"),
    "used_before_def": ("x = arie(2)\ndef arie(n):\n    return n * n\n", "", 1, "line 2"),
    "function_not_called": ("nume = input\nprint('Salut ' + nume)\n", "", 1, "input()"),
    "input_not_number": ("n = input()\nprint(n + 1)\n", "3\n", 2, "line 1"),
    "builtin_overwritten": ("len = 3\nprint(len('abc'))\n", "", 2, "line 1"),
    "method_of_another_kind": ("s = 'abc'\ns.append('d')\n", "", 2, "s is a text"),
    "none_value": ("l = [2]\nl = l.sort()\nprint(l[0])\n", "", 3, "line 2"),
    "not_indexable": ("n = 5\nprint(n[0])\n", "", 2, "n is a number"),
    "loop_over_number": ("for i in 3:\n    print(i)\n", "", 1, "range(3)"),
    "indentation_expected": ("if True:\nprint(1)\n", "", 2, "if True:"),
    "indentation_unexpected": ("x = 1\n    print(x)\n", "", 2, "left"),
    "indentation_mismatch": ("if True:\n        x = 1\n    y = 2\n", "", 3, "spaces"),
    "missing_colon": ("for i in range(3)\n    print(i)\n", "", 1, "colon"),
    "assign_in_condition": ("x = 5\nif x = 5:\n    print(1)\n", "", 2, "=="),
    "unclosed_bracket": ("x = 1\nprint((x + 2)\ny = 3\n", "", 2, "("),
    "mismatched_bracket": ("print([1, 2)\n", "", 1, ")"),
    "unterminated_string": ("x = 1\nprint('salut)\n", "", 2, "print('salut)"),
    "print_without_brackets": ('print "salut"\n', "", 1, "brackets"),
    "syntax_error": ("x = = 2\n", "", 1, "cannot read"),
    "text_without_quotes": ("print(Bună ziua!)\n", "", 1, 'print("Bună ziua!")'),
    "typographic_quote": ("print(„Salut”)\n", "", 1, "„"),
    "unknown_sign": ("x = 3 × 4\n", "", 1, "x = 3 * 4"),
    "misspelt_keyword": ("x = 0\nwhiel x < 3:\n    x += 1\n", "", 2, "while x < 3:"),
    "tabs_and_spaces": ("if True:\n    x = 1\n\ty = 2\n", "", 3, "Tab"),
    "else_with_condition": ("x = 1\nif x > 2:\n    x = 0\nelse x < 5:\n    x = 2\n", "", 4,
                            "elif x < 5:"),
    "else_without_if": ("x = 1\nelse:\n    x = 2\n", "", 2, "else"),
    "def_without_brackets": ("def salut:\n    print(1)\n", "", 1, "def salut():"),
    "call_without_brackets": ("for i in range 5:\n    print(i)\n", "", 1, "range(5)"),
    "assign_to_expression": ("y = 1\nx + 1 = y\n", "", 2, "y = x + 1"),
    "keyword_as_name": ('class = "5A"\n', "", 1, "class"),
    "plus_plus": ("x = 1\nx++\n", "", 2, "x += 1"),
    "missing_comma": ("x = [1 2]\n", "", 1, "[1, 2]"),
    "concat_text_number": ("age = 9\nprint('Age: ' + age)\n", "", 2, "str("),
    "add_number_text": ("a = 5\nt = ' ani'\nprint(a + t)\n", "", 3, "line 2"),
    "text_as_number": ("n = '3'\nfor i in range(n):\n    print(i)\n", "", 2, "int(n)"),
    "compare_text_number": ("n = '3'\nif n < 10:\n    print('mic')\n", "", 2, "int(n)"),
    "unsupported_operand": ("print([1] - 2)\n", "", 1, "[1] and 2"),
    "wrong_argument_count": ("def f(a, b):\n    return a\nprint(f(1))\n", "", 3, "f"),
    "number_from_text": ("x = int(input())\n", "abc\n", 1, "'abc'"),
    "index_error": ("l = [1, 2]\nprint(l[5])\n", "", 2, "0"),
    "key_error": ("d = {'a': 1}\nprint(d['b'])\n", "", 2, "'b'"),
    "zero_division": ("a = 0\nprint(10 / a)\n", "", 2, "zero"),
    "recursion_error": ("def f(n):\n    return f(n + 1)\nf(0)\n", "", 2, "itself"),
    "too_many_inputs": ("a = input()\nb = input()\n", "1\n", 2, "input()"),
    "time_limit": ("x = 0\nwhile x < 10:\n    print\n", "", 2, "never ends"),
    "memory_limit": ("x = [0] * (10 ** 10)\n", "", 1, "memory"),
    "output_limit": ("while True:\n    print('ha ha ha ha ha')\n", "", 1, "break"),
    "import_refused": ("import os\n", "", 1, "os"),
    "name_refused": ("x = 1\nopen('f.txt')\n", "", 2, "open"),
    "attribute_refused": ("print(().__class__)\n", "", 1, "underscore"),
    "other_error": ("raise RuntimeError('boom')\n", "", 1, "boom"),
}

# Explanations that need the test a run belongs to.
FUNCTION_TEST = TestCase(1, "function", spec={"function": "dublu", "args": [3], "expected": 6})
IO_TEST = TestCase(1, "io", spec={"stdout": "6\n"})
IN_CONTEXT = {
    "function_missing": ("def dubla(n):\n    return 2 * n\n", FUNCTION_TEST, 6, None, "dublu"),
    "missing_return": ("x = 1\ndef dublu(n):\n    print(2 * n)\n", FUNCTION_TEST, 6, 2,
                       "return"),
    "refused": (None, None, None, None, "allowed"),
    "input_prompt": (None, IO_TEST, None, 2, "input()"),
    "printed_method_result": ("l = [2, 1]\nprint(l.sort())\n", IO_TEST, "[1, 2]\n", 2, "l.sort()"),
}


_RUNS: dict = {}


def run(sandbox, program, stdin="", test=None):
    if test is not None and test.kind == "function":
        return sandbox.call(program, test.spec["function"], test.spec["args"])
    # The time-limit program takes its full 2 seconds: run each program once.
    if (program, stdin) not in _RUNS:
        _RUNS[program, stdin] = sandbox.run(program, stdin=stdin)
    return _RUNS[program, stdin]


@pytest.mark.parametrize("kind", sorted(PROGRAMS))
def test_the_program_gets_its_explanation_at_its_line(sandbox, kind):
    program, stdin, line, word = PROGRAMS[kind]
    result = run(sandbox, program, stdin)
    assert result.status != "ok", result
    found = detect(Context(result, program))
    assert found is not None and found.kind == kind, (result.error, found)
    assert found.line == line
    rendered = explain(result, program, "en")
    assert word in rendered["message"]
    assert rendered["where"] == f"Line {line}"


def test_a_function_the_program_never_defines(sandbox):
    program, test, expected, line, word = IN_CONTEXT["function_missing"]
    result = run(sandbox, program, test=test)
    found = detect(Context(result, program, test, expected))
    assert found.kind == "function_missing" and found.line is line
    assert "def dublu(...)" in explain(result, program, "en", test=test)["message"]


def test_a_function_without_return(sandbox):
    program, test, expected, line, word = IN_CONTEXT["missing_return"]
    result = run(sandbox, program, test=test)
    assert result.status == "ok" and result.value is None
    found = detect(Context(result, program, test, expected))
    assert (found.kind, found.line, found.variant) == ("missing_return", line, "prints")
    assert "line 3" in explain(result, program, "en", test=test, expected=expected)["message"]


def test_none_printed_by_an_io_program(sandbox):
    program = "def dublu(n):\n    n * 2\nprint(dublu(3))\n"
    result = run(sandbox, program)
    assert result.stdout == "None\n"
    found = detect(Context(result, program, IO_TEST, "6\n"))
    assert (found.kind, found.line, found.variant) == ("missing_return", 1, "printed_named")
    assert "dublu" in explain(result, program, "en", test=IO_TEST, expected="6\n")["message"]


def test_a_question_printed_by_input(sandbox):
    program = "x = 1\nn = int(input('Numarul: '))\nprint(n * 2)\n"
    result = run(sandbox, program, "3\n")
    assert result.stdout == "Numarul: 6\n"
    found = detect(Context(result, program, IO_TEST, "6\n"))
    assert (found.kind, found.line) == ("input_prompt", 2)
    assert detect(Context(result, program, IO_TEST, "Numarul: 6\n")) is None


def test_none_expected_is_not_a_missing_return(sandbox):
    result = run(sandbox, "print(None)\n")
    assert detect(Context(result, "print(None)\n", IO_TEST, "None\n")) is None


def test_a_refusal_of_another_kind_still_gets_an_explanation():
    from sandbox import RunResult
    from sandbox.result import ErrorInfo

    result = RunResult(status="refused", error=ErrorInfo(type="Refused", message="too big",
                                                         reason="source_too_large"))
    assert detect(Context(result, "x = 1\n")).kind == "refused"


def test_did_you_mean_looks_at_the_names_in_the_program(sandbox):
    program = "scor = 0\nscor = scor + 1\nprint(scorr)\n"
    found = detect(Context(run(sandbox, program), program))
    assert found.kind == "name_error" and found.params["suggestion"] == "scor"
    assert found.line == 3
    program = "total = 0\nprint(lenn('abc'))\n"
    found = detect(Context(run(sandbox, program), program))
    assert found.params["suggestion"] == "len"


def test_capital_print_is_a_misspelling(sandbox):
    program = "Print('salut')\n"
    found = detect(Context(run(sandbox, program), program))
    assert (found.kind, found.params["suggestion"]) == ("misspelt_builtin", "print")
    program = "n = imput()\n"
    found = detect(Context(run(sandbox, program), program))
    assert (found.kind, found.params["suggestion"]) == ("misspelt_builtin", "input")


def test_a_name_with_nothing_close_gets_the_plain_message(sandbox):
    program = "print(zebra + 1)\n"  # print(zebra) alone is text without quotes
    found = detect(Context(run(sandbox, program), program))
    assert found.kind == "name_error" and found.variant == "default"


def test_adding_text_and_numbers_is_caught_in_both_orders(sandbox):
    assert detect(Context(run(sandbox, "print('a' + 1)\n"), "")).kind == "concat_text_number"
    assert detect(Context(run(sandbox, "print(1 + 'a')\n"), "")).kind == "add_number_text"


def test_a_successful_run_needs_no_explanation(sandbox):
    assert detect(Context(run(sandbox, "print(1)\n"), "print(1)\n")) is None


def test_a_sorted_list_printed_as_none(sandbox):
    program, test, expected, line, word = IN_CONTEXT["printed_method_result"]
    result = run(sandbox, program)
    assert result.stdout == "None\n"
    found = detect(Context(result, program, test, expected))
    assert (found.kind, found.line) == ("printed_method_result", line)
    assert word in explain(result, program, "en", test=test, expected=expected)["message"]
    # Where None is the right answer, printing it is no mistake.
    assert detect(Context(result, program, test, "None\n")) is None


def _corpus_kinds() -> set[str]:
    """The kinds the corpora (test_corpus_*.py) check, each on real programs."""
    kinds = set()
    for name in ("test_corpus_runtime", "test_corpus_syntax"):
        try:
            module = importlib.import_module(f"tests.unit.bank.{name}")
        except ModuleNotFoundError:
            continue
        for value in vars(module).values():
            if isinstance(value, (list, tuple)):
                kinds.update(c.kind for c in value if isinstance(c, Case))
    return kinds


def test_every_registered_explanation_is_tested_here():
    tested = set(PROGRAMS) | set(IN_CONTEXT) | _corpus_kinds()
    assert tested == set(explanations.REGISTRY)
    assert len(explanations.REGISTRY) >= 25


@pytest.mark.parametrize("kind", sorted(PROGRAMS))
def test_each_explanation_is_translated_to_romanian_and_hungarian(sandbox, kind):
    program, stdin, line, _ = PROGRAMS[kind]
    result = run(sandbox, program, stdin)
    texts = {loc: explain(result, program, loc) for loc in ("ro", "en", "hu")}
    assert len({t["message"] for t in texts.values()}) == 3, texts
    assert str(line) in texts["ro"]["where"] and texts["ro"]["where"] != f"Line {line}"


def test_data_in_an_explanation_is_hidden_for_a_hidden_test(sandbox):
    program = "d = {'a': 1}\nprint(d[input()])\n"
    result = run(sandbox, program, "cheie-secreta\n")
    shown = explain(result, program, "en")
    hidden = explain(result, program, "en", hidden=True)
    assert "cheie-secreta" in shown["message"]
    assert "cheie-secreta" not in hidden["message"] and "…" in hidden["message"]


def test_nothing_to_read_in_a_free_run_speaks_of_the_input_box(sandbox):
    program = "a = input()\nb = input()\n"
    empty = explain(run(sandbox, program, ""), program, "en", stdin="")
    assert (empty["kind"], empty["line"]) == ("too_many_inputs", 1) and "empty" in empty["message"]
    short = explain(run(sandbox, program, "1\n"), program, "ro", stdin="1\n")
    assert short["line"] == 2 and "căsuța" in short["message"]
    # Graded (a test's input) or a page without the box: the plain message, no box mentioned.
    graded = explain(run(sandbox, program, "1\n"), program, "en", test=IO_TEST)
    assert "box" not in graded["message"] and "input() on line 2" in graded["message"]
    assert "box" not in explain(run(sandbox, program, ""), program, "en")["message"]
