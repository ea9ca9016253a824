"""The one-way rooms (ARCHITECTURE.md), checked by the walker of scripts/rooms.py.

The first test reads the real package; the others build small fake packages in
tmp_path to show the walker catches what it must (a lazy import inside a
function, a relative import, a circle inside one room) and lets pass what it
must (an import under TYPE_CHECKING, an import of a lower room).
"""

from pathlib import Path

from scripts import rooms


def test_the_real_package_has_no_import_against_the_rooms():
    walker = rooms.Walker()
    found = rooms.violations(walker, walker.imports())
    assert not found, "Imports against the order of rooms (python scripts/rooms.py):\n" + "\n".join(
        found
    )


def test_every_module_of_the_real_package_has_a_place():
    walker = rooms.Walker()
    assert len(walker.modules) > 50
    unknown = [m for m in walker.modules if walker.place(m)[0] == "unknown"]
    assert not unknown, f"not a room, base module or assembler: {unknown}"


def _package(tmp_path: Path, files: dict[str, str]) -> rooms.Walker:
    root = tmp_path / "codekids"
    for rel, text in {"__init__.py": "", **files}.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        for parent in path.relative_to(root).parents:
            (root / parent / "__init__.py").touch()
        path.write_text(text, encoding="utf-8")
    return rooms.Walker(root)


def _violations(walker: rooms.Walker) -> list[str]:
    return rooms.violations(walker, walker.imports())


def test_a_lower_room_and_a_base_module_may_be_imported(tmp_path):
    walker = _package(
        tmp_path,
        {
            "db.py": "",
            "accounts/models.py": "",
            "clubs/models.py": "from codekids import db\nfrom codekids.accounts.models import User\n",
        },
    )
    assert _violations(walker) == []
    assert rooms.edges(walker, walker.imports()) == {("clubs", "base"): 1, ("clubs", "accounts"): 1}


def test_a_higher_room_imported_inside_a_function_is_caught(tmp_path):
    walker = _package(
        tmp_path,
        {
            "learning/models.py": "",
            "clubs/views.py": (
                "def grid():\n"
                "    if True:\n"
                "        from codekids.learning.models import Submission\n"
                "    return Submission\n"
            ),
        },
    )
    assert _violations(walker) == [
        "codekids/clubs/views.py:3: codekids.clubs.views imports codekids.learning.models:"
        " learning is a higher room than clubs"
    ]


def test_an_import_under_type_checking_does_not_count(tmp_path):
    walker = _package(
        tmp_path,
        {
            "clubs/models.py": "",
            "accounts/models.py": (
                "import typing\n"
                "from typing import TYPE_CHECKING\n"
                "if TYPE_CHECKING:\n"
                "    from codekids.clubs.models import Club\n"
                "if typing.TYPE_CHECKING:\n"
                "    import codekids.clubs.models\n"
                "else:\n"
                "    from codekids.clubs import models\n"
            ),
        },
    )
    # The two TYPE_CHECKING imports never run; the else branch does, and is caught.
    assert _violations(walker) == [
        "codekids/accounts/models.py:8: codekids.accounts.models imports codekids.clubs.models:"
        " clubs is a higher room than accounts"
    ]


def test_relative_imports_are_resolved(tmp_path):
    walker = _package(
        tmp_path,
        {
            "db.py": "",
            "coordination/forms.py": "",
            "counter/service.py": "",
            "counter/forms.py": "from ..coordination.forms import CountyField\nfrom .. import db\n",
            "counter/__init__.py": "from . import service\nfrom .forms import X\n",
        },
    )
    imports = walker.imports()
    assert {(i.source, i.target) for i in imports} == {
        ("codekids.counter.forms", "codekids.coordination.forms"),
        ("codekids.counter.forms", "codekids.db"),
        ("codekids.counter", "codekids.counter.service"),
        ("codekids.counter", "codekids.counter.forms"),
    }
    assert _violations(walker) == [
        "codekids/counter/forms.py:1: codekids.counter.forms imports codekids.coordination.forms:"
        " coordination is a higher room than counter"
    ]


def test_two_files_of_one_room_importing_each_other_are_caught(tmp_path):
    walker = _package(
        tmp_path,
        {
            "clubs/views.py": "from codekids.clubs import progress\nbp = None\n",
            "clubs/progress.py": "def f():\n    from codekids.clubs.views import bp\n",
        },
    )
    assert _violations(walker) == [
        "clubs: files of one room import each other in a circle:"
        " codekids.clubs.progress -> codekids.clubs.views -> codekids.clubs.progress"
    ]


def test_a_longer_circle_inside_one_room_is_printed_whole(tmp_path):
    walker = _package(
        tmp_path,
        {
            "clubs/a.py": "from codekids.clubs import b\n",
            "clubs/b.py": "from codekids.clubs import c\n",
            "clubs/c.py": "from codekids.clubs.a import x\n",
            "clubs/d.py": "from codekids.clubs import a\n",  # leans on the circle, not in it
        },
    )
    assert _violations(walker) == [
        "clubs: files of one room import each other in a circle:"
        " codekids.clubs.a -> codekids.clubs.b -> codekids.clubs.c -> codekids.clubs.a"
    ]


def test_assemblers_base_modules_and_unknown_modules(tmp_path):
    walker = _package(
        tmp_path,
        {
            "web.py": "from codekids.clubs.models import Club\n",  # an assembler may
            "clubs/models.py": "",
            "clubs/views.py": "from codekids import web\n",
            "i18n.py": "from codekids.clubs.models import Club\n",
            "gadgets.py": "",
            "accounts/views.py": "from codekids.clubs.gone import x\n",
        },
    )
    assert _violations(walker) == [
        "codekids/gadgets.py: gadgets is neither a room nor a base module nor an assembler"
        " (add it to ROOMS, BASE or ASSEMBLERS in scripts/rooms.py)",
        "codekids/accounts/views.py:1: codekids.accounts.views imports codekids.clubs.gone,"
        " which does not exist",
        "codekids/clubs/views.py:1: codekids.clubs.views imports codekids.web:"
        " a room imports an assembler (web)",
        "codekids/i18n.py:1: codekids.i18n imports codekids.clubs.models:"
        " a base module imports room clubs",
    ]


def test_the_script_prints_the_graph_and_fails_on_a_violation(tmp_path, capsys):
    _package(tmp_path, {"clubs/a.py": "from codekids.learning import b\n", "learning/b.py": ""})
    assert rooms.main(["--root", str(tmp_path / "codekids")]) == 1
    out = capsys.readouterr().out
    assert "  clubs -> learning (1 import)   <-- wrong way\n" in out
    assert "1 violation:\n" in out
    assert rooms.main(["--root", str(tmp_path / "codekids"), "--dot"]) == 0
    assert '"clubs" -> "learning" [label="1", color=red' in capsys.readouterr().out


def test_migration_scripts_are_not_walked(tmp_path):
    walker = _package(
        tmp_path,
        {"migrations/env.py": "", "migrations/versions/0001_x.py": "from codekids.web import x\n"},
    )
    assert "codekids.migrations.versions.0001_x" not in walker.modules
    assert _violations(walker) == []
