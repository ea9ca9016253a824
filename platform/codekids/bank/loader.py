"""Loading the bank from its folder: parse and validate TOML, run nothing.

Every problem names the file, the field and what is wrong. An exercise with
any problem is left out whole (never half-loaded); the rest still load, so the
site starts with the valid exercises. A set whose ``set.toml`` is broken or
missing leaves out its folder's exercises, each named in one problem. The one
exception: a text missing only in Hungarian is a problem (the check fails) but
its file still loads, shown in Romanian (see ``models.LOADING_LOCALES``).
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from codekids.bank.compare import DEFAULT_TOLERANCE, MODES
from codekids.bank.kinds import COMMON_FIELDS, KINDS, FieldErrors
from codekids.bank.models import (
    LOADING_LOCALES,
    LOCALES,
    Bank,
    Exercise,
    ExerciseSet,
    Problem,
    TestCase,
    default_max_lines,
)

MISSING_LANGUAGE = "missing (Romanian, English and Hungarian are required)"
ID_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
SET_FOLDER = re.compile(r"^\d+-")
MAX_HINTS = 3

SET_FIELDS = {"id", "order", "level", "title", "description"}
EXERCISE_FIELDS = {
    "id", "order", "tags", "compare", "tolerance", "max_lines", "starter", "solution",
    "title", "statement", "hints", "tests",
}


class _Checker:
    """Problems of one file: ``problems`` leave it out, ``gaps`` (texts missing
    only in Hungarian) are reported with them but let it load."""

    def __init__(self, path: Path, root: Path):
        try:
            self.path = str(path.relative_to(root.parent))
        except ValueError:
            self.path = str(path)
        self.problems: list[Problem] = []
        self.gaps: list[Problem] = []

    def add(self, field: str, message: str) -> None:
        self.problems.append(Problem(self.path, field, message))

    def missing_language(self, field: str, lang: str) -> None:
        problem = Problem(self.path, f"{field}.{lang}", MISSING_LANGUAGE)
        (self.problems if lang in LOADING_LOCALES else self.gaps).append(problem)

    def result(self, loaded):
        """What a ``load_*`` function returns: the object unless a problem leaves
        it out, and every problem and gap of the file."""
        return (None if self.problems else loaded), self.problems + self.gaps

    def unknown(self, data: dict, allowed: set[str], prefix: str = "") -> None:
        for key in data:
            if key not in allowed:
                self.add(prefix + key, f"unknown field (allowed: {', '.join(sorted(allowed))})")

    def typed(self, data: dict, key: str, kind, what: str, *, required=False, default=None):
        if key not in data:
            if required:
                self.add(key, f"missing ({what})")
            return default
        value = data[key]
        if isinstance(value, bool) and kind is not bool:
            self.add(key, f"must be {what}, not true/false")
            return default
        if not isinstance(value, kind):
            self.add(key, f"must be {what}, not {value!r}")
            return default
        return value

    def texts(self, data: dict, key: str, *, required=True) -> dict[str, str]:
        """A table of one text per language: ro, en and hu."""
        value = data.get(key)
        if value is None:
            if required:
                self.add(key, "missing (a table with ro, en and hu texts)")
            return {}
        if not isinstance(value, dict):
            self.add(key, f"must be a table of texts per language: "
                          f"[{key}] ro = \"…\" en = \"…\" hu = \"…\"")
            return {}
        result = {}
        for lang, text in value.items():
            if lang not in LOCALES:
                self.add(f"{key}.{lang}", f"unknown language (use {', '.join(LOCALES)})")
            elif not isinstance(text, str) or not text.strip():
                self.add(f"{key}.{lang}", "must be a text that is not empty")
            else:
                result[lang] = text
        for lang in LOCALES:
            if lang not in value:
                self.missing_language(key, lang)
        return result


def _read_toml(path: Path, checker: _Checker) -> dict | None:
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        checker.add("", f"not valid TOML: {exc}")
    except (OSError, UnicodeDecodeError) as exc:
        checker.add("", f"cannot be read: {exc}")
    return None


def load_set(folder: Path, root: Path) -> tuple[ExerciseSet | None, list[Problem]]:
    path = folder / "set.toml"
    c = _Checker(path, root)
    if not path.is_file():
        c.add("", "missing: every set folder needs a set.toml (id, order, level, title)")
        return None, c.problems
    data = _read_toml(path, c)
    if data is None:
        return None, c.problems
    c.unknown(data, SET_FIELDS)
    set_id = c.typed(data, "id", str, "a slug like \"first-steps\"", required=True)
    if set_id is not None and not ID_PATTERN.match(set_id):
        c.add("id", f"{set_id!r} must use lowercase letters, digits and dashes")
    order = c.typed(data, "order", int, "a whole number", required=True)
    level = c.typed(data, "level", int, "a whole number from 1 to 3", default=1)
    if level is not None and not 1 <= level <= 3:
        c.add("level", f"must be from 1 to 3, not {level}")
    title = c.texts(data, "title")
    description = c.texts(data, "description", required=False)
    if c.problems:
        return c.result(None)
    return c.result(ExerciseSet(set_id, order, level, title, description, folder))


def load_exercise(path: Path, set_id: str, root: Path) -> tuple[Exercise | None, list[Problem]]:
    c = _Checker(path, root)
    data = _read_toml(path, c)
    if data is None:
        return None, c.problems
    c.unknown(data, EXERCISE_FIELDS)
    ex_id = c.typed(data, "id", str, "a slug like \"hello\"", required=True)
    if ex_id is not None and not ID_PATTERN.match(ex_id):
        c.add("id", f"{ex_id!r} must use lowercase letters, digits and dashes (like \"hello-2\")")
    order = c.typed(data, "order", int, "a whole number", required=True)
    tags = c.typed(data, "tags", list, "a list of words, like [\"print\"]", default=[])
    if tags and not all(isinstance(t, str) for t in tags):
        c.add("tags", "must be a list of words in quotes")
    compare = c.typed(data, "compare", str, "a comparison mode", default="trailing_whitespace")
    if compare is not None and compare not in MODES:
        c.add("compare", f"unknown mode {compare!r} (use one of: {', '.join(MODES)})")
    tolerance = data.get("tolerance", DEFAULT_TOLERANCE)
    if isinstance(tolerance, bool) or not isinstance(tolerance, int | float) or tolerance < 0:
        c.add("tolerance", "must be a number, 0 or more")
        tolerance = DEFAULT_TOLERANCE
    starter = c.typed(data, "starter", str, "program text in quotes", default="")
    solution = c.typed(data, "solution", str, "program text in quotes", required=True)
    if solution is not None and not solution.strip():
        c.add("solution", "must not be empty")
    max_lines = c.typed(data, "max_lines", int, "a whole number", default=None)
    if max_lines is not None and max_lines < 1:
        c.add("max_lines", "must be at least 1")
    title = c.texts(data, "title")
    statement = c.texts(data, "statement")
    hints = _hints(data, c)
    tests = _tests(data, c)
    uses_numbers = compare == "numbers" or any(t.compare == "numbers" for t in tests)
    if "tolerance" in data and not uses_numbers:
        c.add("tolerance", "only used with compare = \"numbers\"")
    if c.problems:
        return c.result(None)
    return c.result(Exercise(
        id=ex_id, set_id=set_id, order=order, title=title, statement=statement, hints=hints,
        solution=solution, tests=tests, starter=starter or "", tags=list(tags or []),
        compare=compare, tolerance=float(tolerance),
        max_lines=max_lines or default_max_lines(solution), path=path,
    ))


def _hints(data: dict, c: _Checker) -> dict[str, list[str]]:
    value = data.get("hints")
    if value is None:
        c.add("hints", "missing (1 to 3 hints per language)")
        return {}
    if not isinstance(value, dict):
        c.add("hints", "must be a table: [hints] ro = [\"…\"] en = [\"…\"] hu = [\"…\"]")
        return {}
    hints: dict[str, list[str]] = {}
    for lang, items in value.items():
        if lang not in LOCALES:
            c.add(f"hints.{lang}", f"unknown language (use {', '.join(LOCALES)})")
        elif not isinstance(items, list) or not all(
            isinstance(h, str) and h.strip() for h in items
        ):
            c.add(f"hints.{lang}", "must be a list of texts that are not empty")
        elif not 1 <= len(items) <= MAX_HINTS:
            c.add(f"hints.{lang}", f"must have 1 to {MAX_HINTS} hints, not {len(items)}")
        else:
            hints[lang] = items
    for lang in LOCALES:
        if lang not in value:
            c.missing_language("hints", lang)
    counts = {lang: len(items) for lang, items in hints.items()}
    if len(set(counts.values())) > 1:
        shown = ", ".join(f"{lang}: {n}" for lang, n in counts.items())
        c.add("hints", f"every language must have the same number of hints ({shown})")
    return hints


def _tests(data: dict, c: _Checker) -> list[TestCase]:
    raw_tests = data.get("tests")
    if raw_tests is None:
        c.add("tests", "missing (at least one [[tests]])")
        return []
    if not isinstance(raw_tests, list) or not raw_tests:
        c.add("tests", "must be one or more [[tests]] tables")
        return []
    tests = []
    for index, raw in enumerate(raw_tests, 1):
        prefix = f"tests[{index}]"
        if not isinstance(raw, dict):
            c.add(prefix, "must be a [[tests]] table")
            continue
        kind_name = raw.get("kind")
        kind = KINDS.get(kind_name) if isinstance(kind_name, str) else None
        if kind is None:
            c.add(f"{prefix}.kind",
                  f"unknown or missing kind {kind_name!r} (use one of: {', '.join(KINDS)})")
            continue
        errors = FieldErrors(c.path, prefix)
        allowed = COMMON_FIELDS | kind.fields
        if not kind.compares:
            allowed = allowed - {"compare"}
        for key in raw:
            if key not in allowed:
                errors.add(key, f"unknown field for a {kind_name} test "
                                f"(allowed: {', '.join(sorted(allowed))})")
        hidden = raw.get("hidden", False)
        if not isinstance(hidden, bool):
            errors.add("hidden", "must be true or false")
        stdin = raw.get("stdin", "")
        if not isinstance(stdin, str):
            errors.add("stdin", "must be text in quotes")
            stdin = ""
        compare = raw.get("compare")
        if compare is not None and compare not in MODES:
            errors.add("compare", f"unknown mode {compare!r} (use one of: {', '.join(MODES)})")
        spec = kind.parse(raw, errors)
        c.problems.extend(errors.problems)
        tests.append(TestCase(index, kind_name, hidden is True, stdin, compare, spec))
    return tests


def load_bank(root: Path | str) -> Bank:
    """Every valid set and exercise under ``root``, and the problems of the rest."""
    root = Path(root)
    bank = Bank(root=root)
    if not root.is_dir():
        bank.problems.append(Problem(str(root), "", "the exercises folder does not exist"))
        return bank
    for stray in sorted(root.glob("*.toml")):
        bank.problems.append(Problem(_Checker(stray, root).path, "",
                                     "exercise files must be inside a set folder"))
    loaded: list[tuple[ExerciseSet, list[Exercise]]] = []
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        files = sorted(p for p in folder.glob("*.toml") if p.name != "set.toml")
        exercise_set, problems = load_set(folder, root)
        bank.problems.extend(problems)
        if exercise_set is None:
            for path in files:
                bank.problems.append(Problem(_Checker(path, root).path, "",
                                             "left out because its set.toml is broken"))
            continue
        exercises = []
        for path in files:
            exercise, problems = load_exercise(path, exercise_set.id, root)
            bank.problems.extend(problems)
            if exercise is not None:
                exercises.append(exercise)
        loaded.append((exercise_set, exercises))

    _unique(bank, [(s.id, s.folder / "set.toml", s) for s, _ in loaded], "set")
    by_id: dict[str, list[Exercise]] = {}
    for _, exercises in loaded:
        for ex in exercises:
            by_id.setdefault(ex.id, []).append(ex)
    duplicated = {i for i, found in by_id.items() if len(found) > 1}
    for ex_id in sorted(duplicated):
        paths = [_Checker(e.path, root).path for e in by_id[ex_id]]
        for path in paths:
            others = ", ".join(p for p in paths if p != path)
            bank.problems.append(Problem(path, "id", f"{ex_id!r} is also used by {others}"))

    duplicated_sets = {s.id for s, _ in loaded if sum(o.id == s.id for o, _ in loaded) > 1}
    for exercise_set, exercises in sorted(loaded, key=lambda item: (item[0].order, item[0].id)):
        if exercise_set.id in duplicated_sets:
            continue
        exercise_set.exercises = sorted(
            (e for e in exercises if e.id not in duplicated),
            key=lambda e: (e.order, e.path.name if e.path else ""),
        )
        bank.sets.append(exercise_set)
        for ex in exercise_set.exercises:
            bank.exercises[ex.id] = ex
    return bank


def _unique(bank: Bank, items, what: str) -> None:
    seen: dict[str, list[Path]] = {}
    for ident, path, _ in items:
        seen.setdefault(ident, []).append(path)
    for ident, paths in seen.items():
        if len(paths) > 1:
            for path in paths:
                others = ", ".join(_Checker(p, bank.root).path for p in paths if p != path)
                bank.problems.append(Problem(_Checker(path, bank.root).path, "id",
                                             f"{what} id {ident!r} is also used by {others}"))
