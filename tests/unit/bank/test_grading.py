"""Grading end to end through the real sandbox: statuses, feedback, secrecy, JSON."""

from __future__ import annotations

import json

import pytest

from codekids.bank import grade
from codekids.bank.explanations import REGISTRY
from codekids.bank.grading import render_report
from codekids.bank.texts import render_text, translate

from .conftest import TEXTS, make_exercise

GREET = '''
id = "greet"
order = 1
solution = """
name = input()
print("Salut, " + name + "!")
"""
''' + TEXTS + '''
[[tests]]
kind = "io"
stdin = "Ana\\n"
stdout = "Salut, Ana!\\n"
[[tests]]
kind = "io"
stdin = "Zamolxe-Secret\\n"
stdout = "Salut, Zamolxe-Secret!\\n"
hidden = true
'''

DOUBLE = '''
id = "double"
order = 1
solution = """
def dublu(n):
    return n * 2
"""
''' + TEXTS + '''
[[tests]]
kind = "function"
function = "dublu"
args = [3]
expected = 6
[[tests]]
kind = "function"
function = "dublu"
args = [2.5]
expected = 5.0
[[tests]]
kind = "function"
function = "dublu"
args = [1234567]
expected = 2469134
hidden = true
'''

SQUARE = '''
id = "square"
order = 1
solution = """
import turtle
for i in range(4):
    turtle.forward(100)
    turtle.left(90)
"""
''' + TEXTS + '''
[[tests]]
kind = "turtle"
segments = [[0, 0, 100, 0], [100, 0, 100, 100], [100, 100, 0, 100], [0, 100, 0, 0]]
'''


@pytest.fixture
def greet(tmp_path):
    return make_exercise(tmp_path, GREET)


@pytest.fixture
def double(tmp_path):
    return make_exercise(tmp_path, DOUBLE)


@pytest.fixture
def square(tmp_path):
    return make_exercise(tmp_path, SQUARE)


def test_the_solution_passes_every_test(sandbox, greet, double, square):
    for exercise in (greet, double, square):
        report = grade(exercise, exercise.solution, "en", sandbox=sandbox)
        assert report.solved and report.passed == report.total == len(exercise.tests)
        assert all(t.status == "passed" for t in report.tests)
        assert report.explanation is None


def test_a_failed_visible_io_test_shows_input_expected_printed_and_the_first_difference(
    sandbox, greet
):
    report = grade(greet, 'name = input()\nprint("Salut " + name + "! ")\n', "en",
                   sandbox=sandbox)
    assert not report.solved and report.passed == 0 and report.total == 2
    first = report.tests[0]
    assert first.status == "failed" and not first.hidden
    assert first.details["input"] == "Ana↵"
    assert first.details["expected"] == "Salut, Ana!↵"
    assert first.details["actual"] == "Salut Ana!␣↵"
    diff = first.details["difference"]
    assert (diff["line"], diff["column"]) == (1, 6)
    assert diff["marker"] == "     ^"
    assert first.details["difference_text"] == {"key": "grading.difference_at",
                                                 "params": {"line": 1, "column": 6}}
    shown = report.rendered("en")["tests"][0]["details"]
    assert shown["difference_text"] == "First difference: line 1, column 6."


def test_a_hidden_test_never_shows_its_data(sandbox, greet):
    # Passes the visible test, fails the hidden one, and prints what it read.
    source = 'name = input()\nif name == "Ana":\n    print("Salut, Ana!")\nelse:\n    print(name)\n'
    report = grade(greet, source, "en", sandbox=sandbox)
    assert [t.status for t in report.tests] == ["passed", "failed"]
    hidden = report.tests[1]
    assert hidden.message == {"key": "grading.hidden"}
    assert set(hidden.details) == {"hint"}
    shown = report.rendered("en")["tests"][1]
    assert shown["message"] == "A hidden test did not pass."
    assert shown["details"]["hint"].startswith("I also tried your program with other answers")
    assert "Zamolxe" not in report.to_json() and "Zamolxe" not in repr(report)


def test_a_hidden_test_error_hides_the_data_in_the_error_message(sandbox, greet):
    report = grade(greet, 'name = input()\nif name != "Ana":\n    int(name)\nprint("Salut, Ana!")\n',
                   "en", sandbox=sandbox)
    assert report.tests[1].status == "error"
    assert report.tests[1].error == {"type": "ValueError", "line": 3}
    assert report.explanation["kind"] == "number_from_text"
    text = report.to_json()
    assert "Zamolxe" not in text and "Secret" not in text


def test_a_hidden_function_test_never_shows_its_arguments_or_value(sandbox, double):
    report = grade(double, "def dublu(n):\n    if n > 1000:\n        return 0\n    return n * 2\n",
                   "en", sandbox=sandbox)
    assert [t.status for t in report.tests] == ["passed", "passed", "failed"]
    text = report.to_json()
    assert "1234567" not in text and "2469134" not in text


def test_a_function_test_shows_the_call_expected_and_returned(sandbox, double):
    report = grade(double, "def dublu(n):\n    return n + 2\n", "en", sandbox=sandbox)
    first = report.tests[0]
    assert first.status == "failed"
    assert first.details["call"] == "dublu(3)"
    assert first.details["expected"] == "6" and first.details["actual"] == "5"


def test_a_function_that_prints_instead_of_returning(sandbox, double):
    report = grade(double, "def dublu(n):\n    print(n * 2)\n", "ro", sandbox=sandbox)
    assert report.passed == 0
    assert report.explanation["kind"] == "missing_return"
    assert report.explanation["line"] == 1
    assert report.explanation["message"]["key"] == "explanation.missing_return.prints"
    assert "return" in report.rendered("ro")["explanation"]["message"]


def test_a_missing_function(sandbox, double):
    report = grade(double, "def dubla(n):\n    return n * 2\n", "en", sandbox=sandbox)
    assert {t.status for t in report.tests} == {"error"}
    assert report.explanation["kind"] == "function_missing"


def test_turtle_drawn_another_way_passes_and_a_wrong_one_counts_lines(sandbox, square):
    other_way = ("import turtle\nt = turtle.Turtle()\nt.left(90)\nfor i in range(4):\n"
                 "    t.forward(50)\n    t.forward(50)\n    t.right(90)\n")
    assert grade(square, other_way, "en", sandbox=sandbox).solved
    three_sides = "import turtle\nfor i in range(3):\n    turtle.forward(100)\n    turtle.left(90)\n"
    report = grade(square, three_sides, "en", sandbox=sandbox)
    result = report.tests[0]
    assert result.status == "failed"
    assert (result.details["missing"], result.details["extra"]) == (1, 0)
    assert report.rendered("en")["tests"][0]["message"] == "The drawing is different: 1 line is missing."


@pytest.mark.parametrize(
    ("source", "status", "kind"),
    [
        ("name = input()\nprint(nme)\n", "error", "name_error"),
        ("while True:\n    pass\n", "timeout", "time_limit"),
        ("x = [1] * (10 ** 10)\n", "memory", "memory_limit"),
        ("while True:\n    print('Salut, Ana!')\n", "output_limit", "output_limit"),
        ("import os\n", "error", "import_refused"),
    ],
)
def test_each_run_status_is_reported_with_its_explanation(sandbox, greet, source, status, kind):
    report = grade(greet, source, "en", sandbox=sandbox)
    assert {t.status for t in report.tests} == {status}
    assert report.explanation["kind"] == kind


def test_the_report_json_has_what_the_api_returns(sandbox, greet):
    report = grade(greet, "print(1)\n", "hu", sandbox=sandbox)
    data = json.loads(report.to_json())
    assert set(data) == {"exercise", "locale", "solved", "passed", "total", "explanation",
                         "tests"}
    assert (data["exercise"], data["locale"], data["solved"], data["passed"], data["total"]) == (
        "greet", "hu", False, 0, 2)
    assert set(data["tests"][0]) == {"index", "kind", "hidden", "status", "message", "details",
                                     "error", "explanation"}


def test_the_report_is_language_free_and_renders_in_the_readers_locale(sandbox, greet):
    reports = {loc: grade(greet, "print(1)\n", loc, sandbox=sandbox).to_dict()
               for loc in ("ro", "en", "hu")}
    # Only the language the child had is recorded; every message is a key.
    assert reports["ro"] == {**reports["hu"], "locale": "ro"} == {**reports["en"], "locale": "ro"}
    assert reports["hu"]["tests"][0]["message"] == {"key": "grading.output_differs"}
    shown = {loc: render_report(reports["hu"], loc)["tests"][0]["message"]
             for loc in ("ro", "en", "hu")}
    assert shown == {"ro": "Programul a afișat altceva decât se aștepta.",
                     "en": "The program printed something different from what was expected.",
                     "hu": "A program mást írt ki, mint amit vártunk."}


def test_an_old_report_of_stored_words_renders_as_it_was_written():
    old = {"exercise": "greet", "locale": "en", "solved": False, "passed": 0, "total": 1,
           "explanation": {"kind": "name_error", "line": 2, "where": "Line 2",
                           "message": "Python does not know the name nme."},
           "tests": [{"index": 1, "kind": "io", "hidden": False, "status": "error",
                      "message": "The program stopped with an error.",
                      "details": {"difference_text": "First difference: line 1, column 1."},
                      "error": None, "explanation": None}]}
    english = render_report(old, "en")
    assert english["tests"][0]["message"] == "The program stopped with an error."
    assert english["tests"][0]["details"]["difference_text"] == (
        "First difference: line 1, column 1.")
    assert english["explanation"]["message"] == "Python does not know the name nme."
    # Another reader: the kind's message in their language, the child's word a blank.
    romanian = render_report(old, "ro")["explanation"]
    assert romanian["where"] == "Rândul 2"
    assert "…" in romanian["message"] and "nme" not in romanian["message"]
    assert romanian["message"] == translate("ro", REGISTRY["name_error"].messages["default"],
                                            name="…")


@pytest.mark.parametrize(("missing", "extra", "ro", "hu"), [
    (1, 0, "Desenul este diferit: lipsește 1 linie.", "A rajz más: 1 vonal hiányzik."),
    (0, 2, "Desenul este diferit: 2 linii sunt în plus.", "A rajz más: 2 vonal fölösleges."),
    (20, 1, "Desenul este diferit: lipsesc 20 de linii și 1 linie este în plus.",
     "A rajz más: 20 vonal hiányzik, és 1 vonal fölösleges."),
])
def test_a_drawings_differences_are_counted_in_each_languages_plural(missing, extra, ro, hu):
    from codekids.bank.kinds import Verdict, get_kind

    said = get_kind("turtle").say(Verdict(False, {"missing": missing, "extra": extra},
                                          "drawing_differs"))
    assert (render_text(said, "ro"), render_text(said, "hu")) == (ro, hu)


def test_tests_with_the_same_input_share_one_run(tmp_path, greet):
    class CountingSandbox:
        def __init__(self):
            self.stdins = []

        def grade(self, source, tests):
            from sandbox import RunResult

            self.stdins.append([t["stdin"] for t in tests])
            return [RunResult(status="ok", stdout="") for _ in tests]

    twice = GREET + '[[tests]]\nkind = "io"\nstdin = "Ana\\n"\nstdout = "Salut, Ana!\\n"\n'
    exercise = make_exercise(tmp_path, twice, "twice.toml")
    fake = CountingSandbox()
    report = grade(exercise, "x", "en", sandbox=fake)
    assert fake.stdins == [["Ana\n", "Zamolxe-Secret\n"]] and report.total == 3


def test_a_function_test_with_input(sandbox, tmp_path):
    text = '''
id = "ask"
order = 1
solution = """
def intreaba():
    return input() + "!"
"""
''' + TEXTS + '''
[[tests]]
kind = "function"
function = "intreaba"
args = []
stdin = "da\\n"
expected = "da!"
'''
    exercise = make_exercise(tmp_path, text)
    assert grade(exercise, exercise.solution, "en", sandbox=sandbox).solved


def test_nothing_starts_a_sandbox_at_import_or_app_creation(tmp_path):
    """In a fresh interpreter: importing codekids and building the app start no
    sandbox (no work at import time; a fork server only when a program must run)."""
    import subprocess
    import sys

    code = (
        "from codekids import create_app, sandbox_client\n"
        f"create_app({{'INSTANCE_PATH': {str(tmp_path)!r}}})\n"
        "print(sandbox_client._sandbox is None)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "True"


def test_the_web_process_sandbox_starts_lazily_and_once():
    from codekids import sandbox_client

    sandbox_client.stop()  # other tests in this process may have started it
    assert sandbox_client._sandbox is None
    try:
        first = sandbox_client.get_sandbox()
        assert sandbox_client.get_sandbox() is first
        assert first.run("print(2 + 2)\n").stdout == "4\n"
    finally:
        sandbox_client.stop()
    assert sandbox_client._sandbox is None
