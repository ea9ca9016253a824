"""Warnings after Run for programs that run but surely do not do what was meant."""

from __future__ import annotations

import pytest

from codekids.bank.advice import CODE_LIMIT, MAX_WARNINGS, advice_for
from tests.unit.bank.corpus import JARGON

# (program, kind, line, the thing from the program each language's text names,
#  a word of the Romanian text, a word of the Hungarian text)
FOUND = {
    "uncalled": (
        "def salut():\n    print('Bună!')\n\nprint('gata')\n",
        "uncalled_function", 1, "salut()", "funcția", "függvény",
    ),
    "uncalled_with_args": (
        "def aduna(a, b):\n    return a + b\n", "uncalled_function", 1, "aduna(...)",
        "funcția", "függvény",
    ),
    "only_calls_itself": (
        "def numara(n):\n    if n > 0:\n        numara(n - 1)\n", "uncalled_function", 1,
        "numara", "funcția", "függvény",
    ),
    "sum_alone": ("x = 3\nx + 1\nprint(x)\n", "value_thrown_away", 2, "x + 1", "valoare",
                  "értéket"),
    "compare_alone": ("x = 3\nx == 5\nprint(x)\n", "value_thrown_away", 2, "x = 5", "semn",
                      "jelet"),
    "upper_alone": ("nume = 'ana'\nnume.upper()\nprint(nume)\n", "value_thrown_away", 2,
                    "nume = nume.upper()", "rămâne", "marad"),
    "strip_alone": ("t = ' a '\nt.strip()\n", "value_thrown_away", 2, "t.strip()", "rămâne",
                    "marad"),
    "replace_alone": ("s = 'pisica'\ns.replace('i', 'o')\nprint(s)\n", "value_thrown_away", 2,
                      "s.replace('i', 'o')", "rămâne", "marad"),
    "sorted_alone": ("l = [3, 1]\nsorted(l)\nprint(l)\n", "value_thrown_away", 2, "sorted(l)",
                     "valoare", "értéket"),
    "print_alone": ("x = 1\nprint\n", "value_thrown_away", 2, "print(...)", "paranteze",
                    "zárójellel"),
    "input_alone": ("input\n", "value_thrown_away", 1, "input()", "paranteze", "zárójellel"),
    "own_function_alone": ("def salut():\n    print('Bună!')\nsalut\n", "value_thrown_away", 3,
                           "salut()", "paranteze", "zárójellel"),
    "method_alone": ("l = [2, 1]\nl.sort\nprint(l)\n", "value_thrown_away", 2, "l.sort(...)",
                     "paranteze", "zárójellel"),
    "variable_alone": ("scor = 10\nscor\n", "value_thrown_away", 2, "print(scor)", "nimic",
                       "semmit"),
    "forgot_return": ("def dublu(n):\n    n * 2\n\nprint(dublu(3))\n", "value_thrown_away", 2,
                      "return n * 2", "funcția", "függvény"),
    "is_number": ("x = 3\nif x is 3:\n    print('trei')\n", "is_literal", 2, "x == 3",
                  "compară", "hasonlít"),
    "is_not_text": ("nume = 'Ana'\nif nume is not 'Ana':\n    print('nu')\n", "is_literal", 2,
                    "nume != 'Ana'", "compară", "hasonlít"),
}


@pytest.mark.parametrize("case", FOUND)
def test_each_kind_is_found_with_its_line_and_names_the_thing(case):
    source, kind, line, thing, ro_word, hu_word = FOUND[case]
    texts = {}
    for locale in ("ro", "en", "hu"):
        warnings = advice_for(source, locale)
        assert [(w["kind"], w["line"]) for w in warnings] == [(kind, line)], (locale, warnings)
        texts[locale] = warnings[0]["message"]
        assert thing in texts[locale], (locale, texts[locale])
    assert ro_word in texts["ro"] and hu_word in texts["hu"]
    assert len({texts["ro"], texts["en"], texts["hu"]}) == 3  # each language its own
    assert "ş" not in texts["ro"] and "ţ" not in texts["ro"]
    for text in texts.values():  # words a 9-year-old knows, as in the explanations
        assert not [word for word in JARGON if word in text], text


def test_print_alone_says_it_needs_brackets():
    (warning,) = advice_for("print\n", "en")
    assert warning["message"] == "print needs brackets to do something: print(...)"


NEAR_MISSES = {
    "called": "def salut():\n    print('Bună!')\n\nsalut()\n",
    "passed_as_a_value": "def cheie(x):\n    return -x\nprint(sorted([1, 2], key=cheie))\n",
    "method": "class Pisica:\n    def miauna(self):\n        print('miau')\n",
    "assignment": "x = 1\nx = x + 1\nprint(x)\n",
    "print_called": "print()\nprint('a')\n",
    "kept": "nume = 'ana'\nnume = nume.upper()\nprint(nume)\n",
    "is_none": "x = None\nif x is None:\n    print('nimic')\nif x is not True:\n    pass\n",
    "docstring": '"""Programul meu."""\ndef f():\n    """Ce face."""\n    return 1\nprint(f())\n',
    "text_as_comment": "'aici încep'\nprint(1)\n",
    "calls_with_effects": "l = []\nl.append(1)\nl.sort()\ninput()\nprint(l)\n",
    "placeholder": "def mai_tarziu():\n    ...\nmai_tarziu()\n",
    "own_len": "def len(x):\n    print(x)\nlen(3)\n",
}


@pytest.mark.parametrize("case", NEAR_MISSES)
def test_near_misses_do_not_warn(case):
    assert advice_for(NEAR_MISSES[case], "ro") == []


def test_a_function_exercise_does_not_warn_about_its_uncalled_function():
    source = "def aduna(a, b):\n    return a + b\n"
    assert advice_for(source, "ro", function_tests=True) == []
    # ...but what it throws away is still worth saying.
    lost = "def dublu(n):\n    n * 2\n"
    assert [w["kind"] for w in advice_for(lost, "ro", function_tests=True)] == [
        "value_thrown_away"
    ]


def test_at_most_three_in_line_order_one_a_line():
    source = "x = 1\nx is 5\nx + 1\nprint\nx == 2\ninput\n"
    warnings = advice_for(source, "en")
    assert len(warnings) == MAX_WARNINGS
    assert [w["line"] for w in warnings] == [2, 3, 4]
    assert warnings[0]["kind"] == "is_literal"  # not also "thrown away" for the same line


def test_long_code_is_cut():
    source = "x = 1\nx + " + " + ".join(["x"] * 60) + "\n"
    (warning,) = advice_for(source, "en")
    code = warning["message"].split(" works out")[0]
    assert len(code) <= CODE_LIMIT and code.endswith("…")


@pytest.mark.parametrize("source", ["print(\n", "x = = 1\n", "a\x00b\n", "(" * 300 + ")" * 300])
def test_a_program_that_does_not_parse_gets_nothing(source):
    assert advice_for(source, "ro") == []
