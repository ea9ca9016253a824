"""The loader: each kind of broken file is named with its path, field and problem,
the exercise is left out whole, and the rest of the bank still loads."""

from __future__ import annotations

import pytest

from codekids.bank.models import default_max_lines

from .conftest import EXERCISE_TOML


def _valid(ex_id="hello", order=1):
    return EXERCISE_TOML.format(id=ex_id, order=order)


def test_a_valid_bank_loads_sets_in_order_with_their_exercises(bank_dir):
    bank_dir.set("02-second", "second", order=2)
    bank_dir.set("01-first", "first", order=1)
    bank_dir.exercise("02-b.toml", ex_id="bee", order=2)
    bank_dir.exercise("01-a.toml", ex_id="ant", order=1)
    bank_dir.exercise("01-c.toml", folder="02-second", ex_id="cat")
    bank = bank_dir.load()
    assert bank.problems == []
    assert [s.id for s in bank.sets] == ["first", "second"]
    assert [e.id for e in bank.sets[0].exercises] == ["ant", "bee"]
    ant = bank.get("ant")
    assert ant.set_id == "first" and ant.title["ro"] == "Salut" and ant.hints["en"] == ["Use input()."]
    assert ant.compare == "trailing_whitespace"
    assert ant.max_lines == 10 == default_max_lines(ant.solution)
    assert ant.tests[0].kind == "io" and ant.tests[0].stdin == "Ana\n" and not ant.tests[0].hidden


def test_max_lines_defaults_to_three_times_the_solution_code_lines():
    solution = "# a comment\n" + "\n".join(f"x{i} = {i}" for i in range(5)) + "\n\n"
    assert default_max_lines(solution) == 15
    assert default_max_lines("print(1)\n") == 10


BROKEN = {
    # name: (text transformation, field, words in the message)
    "not toml": (lambda t: t + "\nthis is = = not toml\n", "", "not valid TOML"),
    "missing solution": (lambda t: t.replace('solution = """\nname = input()\nprint("Salut, " + name + "!")\n"""\n', ""),
                         "solution", "missing"),
    "order as text": (lambda t: t.replace("order = 2", 'order = "2"'), "order", "whole number"),
    "bad id": (lambda t: t.replace('id = "hello"', 'id = "Hello World"'), "id", "lowercase"),
    "no english title": (lambda t: t.replace('en = "Hello"\n', ""), "title.en", "missing"),
    "unknown language": (lambda t: t.replace('en = "Hello"\n', 'en = "Hello"\nfr = "Salut"\n'),
                         "title.fr", "unknown language"),
    "empty statement": (lambda t: t.replace('ro = "Citește un nume și salută."', 'ro = ""'),
                        "statement.ro", "not empty"),
    "no hints": (lambda t: t.replace('ro = ["Folosește input()."]', "ro = []"), "hints.ro",
                 "1 to 3"),
    "four hints": (lambda t: t.replace('ro = ["Folosește input()."]',
                                       'ro = ["a", "b", "c", "d"]'), "hints.ro", "1 to 3"),
    "hint counts differ": (lambda t: t.replace('ro = ["Folosește input()."]', 'ro = ["a", "b"]'),
                           "hints", "same number"),
    "unknown kind": (lambda t: t.replace('kind = "io"', 'kind = "picture"'), "tests[1].kind",
                     "unknown"),
    "io without stdout": (lambda t: t.replace('stdout = "Salut, Ana!\\n"', ""),
                          "tests[1].stdout", "missing"),
    "misspelt test field": (lambda t: t.replace("stdout =", "output ="), "tests[1].output",
                            "unknown field"),
    "unknown compare": (lambda t: t.replace("[title]", 'compare = "fuzzy"\n[title]'), "compare",
                        "unknown mode"),
    "tolerance without numbers": (lambda t: t.replace("[title]", "tolerance = 0.1\n[title]"),
                                  "tolerance", "numbers"),
    "hidden not a bool": (lambda t: t + 'hidden = "yes"\n', "tests[1].hidden", "true or false"),
    "no tests": (lambda t: t[: t.index("[[tests]]")], "tests", "missing"),
    "unknown top field": (lambda t: t.replace("[title]", 'sollution = "x"\n[title]'),
                          "sollution", "unknown field"),
    "function test without name": (
        lambda t: t + '[[tests]]\nkind = "function"\nargs = [1]\nexpected = 2\n',
        "tests[2].function", "missing"),
    "function test without expected": (
        lambda t: t + '[[tests]]\nkind = "function"\nfunction = "f"\n',
        "tests[2].expected", "missing"),
    "turtle bad segment": (
        lambda t: t + '[[tests]]\nkind = "turtle"\nsegments = [[0, 0, 100]]\n',
        "tests[2].segments[1]", "[x1, y1, x2, y2]"),
    "turtle compare": (
        lambda t: t + '[[tests]]\nkind = "turtle"\nsegments = [[0, 0, 1, 0]]\ncompare = "exact"\n',
        "tests[2].compare", "unknown field"),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_a_broken_exercise_is_named_and_left_out_while_the_rest_loads(bank_dir, case):
    change, field, words = BROKEN[case]
    bank_dir.set()
    bank_dir.exercise("01-good.toml", ex_id="good")
    text = change(_valid("hello", 2))
    assert text != _valid("hello", 2)
    bank_dir.exercise("02-hello.toml", text)
    bank = bank_dir.load()
    assert list(bank.exercises) == ["good"]
    matching = [p for p in bank.problems if p.field == field]
    assert matching, [str(p) for p in bank.problems]
    problem = matching[0]
    assert problem.path == "exercises/01-first/02-hello.toml"
    assert words in problem.message
    assert str(problem).startswith(f"exercises/01-first/02-hello.toml: {field}" if field
                                   else "exercises/01-first/02-hello.toml: ")


def test_duplicate_ids_are_reported_for_both_files_and_both_are_left_out(bank_dir):
    bank_dir.set("01-first", "first")
    bank_dir.set("02-second", "second", order=2)
    bank_dir.exercise("01-a.toml", ex_id="twin")
    bank_dir.exercise("01-b.toml", folder="02-second", ex_id="twin")
    bank_dir.exercise("02-c.toml", ex_id="single", order=2)
    bank = bank_dir.load()
    assert list(bank.exercises) == ["single"]
    messages = {p.path: p.message for p in bank.problems}
    assert set(messages) == {"exercises/01-first/01-a.toml", "exercises/02-second/01-b.toml"}
    assert "exercises/02-second/01-b.toml" in messages["exercises/01-first/01-a.toml"]
    assert all(p.field == "id" for p in bank.problems)


def test_a_folder_without_set_toml_is_reported_and_its_exercises_left_out(bank_dir):
    bank_dir.set()
    bank_dir.exercise("01-ok.toml", ex_id="ok")
    bank_dir.exercise("01-lost.toml", folder="02-noset", ex_id="lost")
    bank = bank_dir.load()
    assert list(bank.exercises) == ["ok"]
    paths = [str(p) for p in bank.problems]
    assert any(p.startswith("exercises/02-noset/set.toml: missing") for p in paths), paths
    assert any(p.startswith("exercises/02-noset/01-lost.toml: left out") for p in paths), paths


def test_a_broken_set_toml_names_its_field(bank_dir):
    bank_dir.set("01-first", text='id = "first"\norder = 1\nlevel = 7\n[title]\nro = "Primii"\n')
    bank_dir.exercise("01-a.toml", ex_id="a")
    bank = bank_dir.load()
    assert bank.exercises == {}
    fields = {p.field for p in bank.problems if p.path == "exercises/01-first/set.toml"}
    assert fields == {"level", "title.en", "title.hu"}


def test_duplicate_set_ids_are_reported(bank_dir):
    bank_dir.set("01-first", "same")
    bank_dir.set("02-second", "same", order=2)
    bank = bank_dir.load()
    assert bank.sets == []
    assert len([p for p in bank.problems if "set id 'same'" in p.message]) == 2


def test_a_stray_file_outside_a_set_is_reported(bank_dir):
    bank_dir.set()
    (bank_dir.root / "loose.toml").write_text(_valid("loose"))
    bank = bank_dir.load()
    assert [str(p) for p in bank.problems] == [
        "exercises/loose.toml: exercise files must be inside a set folder"
    ]


def test_a_missing_bank_folder_is_one_problem(tmp_path):
    from codekids.bank import load_bank

    bank = load_bank(tmp_path / "nowhere")
    assert bank.exercises == {} and len(bank.problems) == 1
    assert "does not exist" in bank.problems[0].message


def _without_hungarian(text):
    return "".join(line for line in text.splitlines(keepends=True)
                   if not line.startswith("hu = "))


def test_a_text_missing_in_any_language_is_named_in_one_line(bank_dir):
    bank_dir.set()
    for lang in ("ro", "en", "hu"):
        text = "".join(line for line in _valid(f"no-{lang}").splitlines(keepends=True)
                       if not line.startswith(f"{lang} = "))
        bank_dir.exercise(f"01-no-{lang}.toml", text)
    bank = bank_dir.load()
    for lang in ("ro", "en", "hu"):
        lines = sorted(str(p) for p in bank.problems if f"no-{lang}" in p.path)
        assert lines == [
            f"exercises/01-first/01-no-{lang}.toml: {field}.{lang}: "
            "missing (Romanian, English and Hungarian are required)"
            for field in ("hints", "statement", "title")
        ]


def test_an_exercise_missing_only_hungarian_is_reported_but_still_shown_in_romanian(bank_dir):
    from codekids.bank.texts import localized

    bank_dir.set()
    bank_dir.exercise("01-hello.toml", _without_hungarian(_valid("hello")))
    bank_dir.exercise("02-no-en.toml", _valid("no-en", 2).replace('en = "Hello"\n', ""))
    bank = bank_dir.load()
    assert list(bank.exercises) == ["hello"]
    assert {p.field for p in bank.problems if "hello" in p.path} == {
        "title.hu", "statement.hu", "hints.hu"}
    hello = bank.get("hello")
    assert localized(hello.title, "hu") == "Salut"
    assert localized(hello.hints, "hu") == ["Folosește input()."]


def test_a_set_missing_hungarian_is_reported_and_its_description_only_when_it_has_one(bank_dir):
    bank_dir.set("01-first", text='id = "first"\norder = 1\n[title]\nro = "Primii"\nen = "First"\n'
                                  '[description]\nro = "Scrii."\nen = "You write."\n')
    bank_dir.set("02-second", text='id = "second"\norder = 2\n[title]\nro = "Al doilea"\n'
                                   'en = "Second"\nhu = "Második"\n')
    bank_dir.exercise("01-a.toml", ex_id="a")
    bank = bank_dir.load()
    assert [s.id for s in bank.sets] == ["first", "second"] and list(bank.exercises) == ["a"]
    assert sorted(str(p) for p in bank.problems) == [
        "exercises/01-first/set.toml: description.hu: "
        "missing (Romanian, English and Hungarian are required)",
        "exercises/01-first/set.toml: title.hu: "
        "missing (Romanian, English and Hungarian are required)",
    ]


def test_hungarian_hints_must_be_as_many_as_the_romanian(bank_dir):
    bank_dir.set()
    text = _valid("hello").replace('hu = ["Használd az input()-ot."]', 'hu = ["a", "b"]')
    bank_dir.exercise("01-hello.toml", text)
    bank = bank_dir.load()
    assert bank.exercises == {}
    assert [p.field for p in bank.problems] == ["hints"]
    assert "hu: 2" in bank.problems[0].message


def test_function_and_turtle_tests_keep_their_fields(bank_dir):
    bank_dir.set()
    text = _valid("multi") + (
        '[[tests]]\nkind = "function"\nfunction = "dublu"\nargs = [3]\nexpected = 6\n'
        'hidden = true\n'
        '[[tests]]\nkind = "turtle"\nsegments = [[0, 0, 100, 0]]\ntolerance = 2.5\n'
        '[[tests]]\nkind = "turtle"\ncolors = true\nsegments = [[0, 0, 10, 0, "Red"]]\n'
    )
    bank_dir.exercise("01-multi.toml", text)
    bank = bank_dir.load()
    assert bank.problems == []
    _, function, turtle, colored = bank.get("multi").tests
    assert function.spec == {"function": "dublu", "args": [3], "expected": 6} and function.hidden
    assert turtle.spec["segments"] == [(0.0, 0.0, 100.0, 0.0, None)]
    assert turtle.spec["tolerance"] == 2.5
    assert colored.spec["segments"] == [(0.0, 0.0, 10.0, 0.0, "red")]
