"""Fixtures for the bank's tests: one sandbox for the session, and tiny banks on disk."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from codekids.bank.loader import load_bank, load_exercise
from sandbox import Sandbox

SET_TOML = """\
id = "{id}"
order = {order}
level = 1
[title]
ro = "Setul {id}"
en = "Set {id}"
hu = "{id} feladatsor"
"""

EXERCISE_TOML = '''\
id = "{id}"
order = {order}
solution = """
name = input()
print("Salut, " + name + "!")
"""
[title]
ro = "Salut"
en = "Hello"
hu = "Szia"
[statement]
ro = "Citește un nume și salută."
en = "Read a name and greet."
hu = "Olvass be egy nevet, és köszönj."
[hints]
ro = ["Folosește input()."]
en = ["Use input()."]
hu = ["Használd az input()-ot."]
[[tests]]
kind = "io"
stdin = "Ana\\n"
stdout = "Salut, Ana!\\n"
'''


@pytest.fixture(scope="session")
def sandbox():
    with Sandbox() as sb:
        yield sb


class BankDir:
    """Writes sets and exercises into a temporary exercises/ folder."""

    def __init__(self, root: Path):
        self.root = root
        root.mkdir(parents=True, exist_ok=True)

    def set(self, folder: str = "01-first", set_id: str = "first", order: int = 1,
            text: str | None = None) -> Path:
        path = self.root / folder
        path.mkdir(exist_ok=True)
        (path / "set.toml").write_text(text if text is not None else SET_TOML.format(
            id=set_id, order=order), encoding="utf-8")
        return path

    def exercise(self, name: str, text: str | None = None, folder: str = "01-first", *,
                 ex_id: str | None = None, order: int = 1) -> Path:
        path = self.root / folder / name
        path.parent.mkdir(exist_ok=True)
        if text is None:
            text = EXERCISE_TOML.format(id=ex_id or Path(name).stem.split("-", 1)[-1],
                                        order=order)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path

    def load(self):
        return load_bank(self.root)


@pytest.fixture
def bank_dir(tmp_path) -> BankDir:
    return BankDir(tmp_path / "exercises")


def make_exercise(tmp_path: Path, text: str, name: str = "ex.toml"):
    """An Exercise from TOML text, or fail with its problems."""
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    exercise, problems = load_exercise(path, "test", tmp_path)
    assert exercise is not None, [str(p) for p in problems]
    return exercise


TEXTS = """
[title]
ro = "T"
en = "T"
hu = "T"
[statement]
ro = "S"
en = "S"
hu = "S"
[hints]
ro = ["h"]
en = ["h"]
hu = ["h"]
"""
