"""A child's data: the export holds only that child's data and no secret; deleting a
child keeps their lines in the club, county and national totals, anonymous, and
`codekids counter verify` stays clean."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest
from sqlalchemy import func, select

from codekids import db
from codekids.accounts.models import LoginAttempt, User
from codekids.clubs.models import Club
from codekids.counter import service as counter
from codekids.counter.models import CLUB, COUNTY, NATION, NATION_KEY, CountedLine, CounterTotal
from codekids.following import service as children_data
from codekids.learning.models import (
    PLAYGROUND,
    SUBMIT,
    Draft,
    HintUse,
    Progress,
    Project,
    Submission,
)
from codekids.learning.service import count_lines, counted_programs

ANA_CODE = 'print("Bună ziua!")\nnume = "Ana"\n'
MIHAI_CODE = 'print("secretul lui Mihai")\n'


def give_data(app, world) -> None:
    """Ana: a solved exercise, a failed try, a hint, a draft, a project with a counted
    run. Mihai (same club): a solved exercise."""
    with app.app_context():
        s = db.session
        ana = s.get(User, world.children[0])
        mihai = s.get(User, world.children[1])
        for child, code in ((ana, ANA_CODE), (mihai, MIHAI_CODE)):
            sub = Submission(child_id=child.id, club_id=child.club_id, kind=SUBMIT,
                             exercise_id="hello", source=code, status="passed", solved=True,
                             passed=2, total=2, report={"tests": []})
            s.add(sub)
            count_lines(sub, starter="", cap=10)
            s.add(Progress(child_id=child.id, exercise_id="hello", attempts=1, solved=True,
                           stars=3))
        s.add(Submission(child_id=ana.id, club_id=ana.club_id, kind=SUBMIT,
                         exercise_id="two-lines", source="print(x)\n", status="failed",
                         error_kind="name_error", solved=False))
        s.add(HintUse(child_id=ana.id, exercise_id="two-lines", level=1))
        s.add(Draft(child_id=ana.id, exercise_id="two-lines", source="# ciorna Anei\n"))
        project = Project(child_id=ana.id, name="Desen", source="import turtle\n")
        s.add(project)
        s.flush()
        run = Submission(child_id=ana.id, club_id=ana.club_id, kind=PLAYGROUND,
                         project_id=project.id, source="import turtle\nturtle.forward(10)\n",
                         status="ok")
        s.add(run)
        count_lines(run, starter="", cap=None)
        s.commit()


def test_export_json_holds_the_childs_data_and_nobody_elses(app, client, world, login):
    give_data(app, world)
    with app.app_context():
        secret_enc = db.session.get(User, world.children[0]).secret_enc
        from codekids.clubs import service as clubs

        secret = clubs.card_secret(db.session.get(User, world.children[0]))
    login(world.librarian)
    resp = client.get(f"/cluburi/copil/{world.children[0]}/date.json")
    assert resp.status_code == 200
    assert "attachment" in resp.headers["Content-Disposition"]
    body = resp.get_data(as_text=True)
    data = json.loads(body)
    assert data["nickname"] == "Ana" and data["club"] == "Clubul Albinelor"
    assert data["created"]
    assert [s["code"] for s in data["submissions"]] == [
        ANA_CODE, "print(x)\n", "import turtle\nturtle.forward(10)\n"]
    assert data["submissions"][0]["solved"] is True
    assert data["submissions"][2]["project"] == "Desen"
    assert data["progress"][0]["exercise"] == "hello" and data["progress"][0]["stars"] == 3
    assert data["hints"] == [{"exercise": "two-lines", "level": 1, "at": data["hints"][0]["at"]}]
    assert data["drafts"][0]["code"] == "# ciorna Anei\n"
    assert data["projects"][0]["name"] == "Desen"
    assert data["lines_counted"] == 4  # two in "hello", two in the project
    # Never another child's code, never the secret.
    assert "secretul lui Mihai" not in body and "Mihai" not in body
    assert secret_enc not in body
    for part in (secret.value if secret.kind == "pictures" else secret.words.split()):
        assert f'"{part}"' not in body


def test_export_csv_is_one_table_of_the_childs_records(app, client, world, login):
    give_data(app, world)
    login(world.librarian)
    resp = client.get(f"/cluburi/copil/{world.children[0]}/date.csv")
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    text = resp.get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    kinds = [r["Kind of record"] for r in rows]
    assert kinds.count("submitted program") == 3 and "progress" in kinds and "hint" in kinds
    assert "project" in kinds and "draft" in kinds
    assert rows[0]["Kind of record"] == "child" and rows[0]["Lines of code"] == "4"
    assert any(r["Code"] == ANA_CODE for r in rows)
    assert "secretul lui Mihai" not in text


# The README's table of the export's columns says the same, in this order.
CHILD_CSV_HEADERS = {
    "ro": ["Tipul înregistrării", "Exercițiu", "Proiect", "Data și ora", "Cod", "Rezultat",
           "Exercițiu rezolvat", "Teste trecute", "Teste în total", "Încercări", "Stele",
           "Numărul indiciului", "Linii de cod"],
    "hu": ["A bejegyzés fajtája", "Feladat", "Projekt", "Dátum és idő", "Kód", "Eredmény",
           "Feladat megoldva", "Sikeres tesztek", "Összes teszt", "Próbálkozások", "Csillagok",
           "A tipp sorszáma", "Kódsorok"],
    "en": ["Kind of record", "Exercise", "Project", "Date and time", "Code", "Result",
           "Exercise solved", "Tests passed", "Tests in all", "Attempts", "Stars",
           "Hint number", "Lines of code"],
}
# A solved submission of "hello" under each language's header.
SOLVED_ROW = {"ro": ("program trimis", "toate testele au trecut", "da"),
              "hu": ("beküldött program", "minden teszt sikeres", "igen"),
              "en": ("submitted program", "all tests passed", "yes")}


@pytest.mark.parametrize("locale", ["ro", "hu", "en"])
def test_export_csv_header_and_words_are_in_the_readers_language(app, client, world, login,
                                                                 locale):
    give_data(app, world)
    login(world.librarian)
    with client.session_transaction() as sess:
        sess["locale"] = locale
    resp = client.get(f"/cluburi/copil/{world.children[0]}/date.csv")
    rows = list(csv.reader(io.StringIO(resp.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0] == CHILD_CSV_HEADERS[locale]
    kind, result, yes = SOLVED_ROW[locale]
    solved = next(r for r in rows if r[0] == kind and r[1] == "hello")
    # Kind · Exercise · Project · Date and time · Code · Result · Solved · passed · in all
    assert solved[2] == "" and solved[4] == ANA_CODE
    assert solved[5:9] == [result, yes, "2", "2"] and solved[9:] == ["", "", "", ""]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d", solved[3])


def _totals(app, world):
    with app.app_context():
        club = db.session.get(Club, world.club)
        return tuple(
            int(db.session.get(CounterTotal, key).lines)
            for key in ((CLUB, club.id), (COUNTY, club.county_id), (NATION, NATION_KEY))
        )


def test_delete_asks_first_and_keeps_the_lines_anonymous(app, client, world, login, runner):
    give_data(app, world)
    before = _totals(app, world)
    assert before == (5, 5, 5)
    ana = world.children[0]
    login(world.librarian)
    page = client.get(f"/cluburi/copil/{ana}/stergere").get_data(as_text=True)
    assert "Delete Ana?" in page and "stay in the club" in page
    # Without the tick nothing happens.
    assert client.post(f"/cluburi/copil/{ana}/stergere").status_code == 400
    with app.app_context():
        assert db.session.get(User, ana) is not None

    resp = client.post(f"/cluburi/copil/{ana}/stergere", data={"confirm": "yes"})
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/cluburi/{world.club}")
    with app.app_context():
        s = db.session
        assert s.get(User, ana) is None
        for model in (Progress, HintUse, Draft, Project):
            assert s.scalar(select(func.count()).select_from(model)
                            .where(model.child_id == ana)) == 0
        assert s.scalar(select(func.count()).select_from(LoginAttempt)
                        .where(LoginAttempt.user_id == ana)) == 0
        # Her submissions and counted lines stay, without her.
        anonymous = s.scalars(select(Submission).where(Submission.child_id.is_(None))).all()
        assert sorted(x.source for x in anonymous) == sorted(
            [ANA_CODE, "print(x)\n", "import turtle\nturtle.forward(10)\n"])
        assert s.scalar(select(func.count()).select_from(CountedLine)
                        .where(CountedLine.child_id.is_(None))) == 4
        assert s.get(CounterTotal, ("child", ana)) is None
        assert counter.verify(programs=counted_programs()) == []
        # Mihai is untouched.
        assert s.scalar(select(func.count()).select_from(Submission)
                        .where(Submission.child_id == world.children[1])) == 1
    assert _totals(app, world) == before
    result = runner.invoke(args=["counter", "verify"])
    assert result.exit_code == 0, result.output
    assert "OK: 5 counted lines" in result.output
    assert client.get(f"/cluburi/copil/{ana}").status_code == 403  # nobody's child now


def test_delete_service_leaves_verify_clean(app, world):
    give_data(app, world)
    with app.app_context():
        children_data.delete_child(db.session.get(User, world.children[0]))
    with app.app_context():
        assert counter.verify(programs=counted_programs()) == []


def test_another_clubs_librarian_cannot_export_or_delete(app, client, world, login):
    give_data(app, world)
    ana = world.children[0]
    login(world.other_librarian)
    for url in (f"/cluburi/copil/{ana}/date.json", f"/cluburi/copil/{ana}/date.csv",
                f"/cluburi/copil/{ana}/stergere"):
        assert client.get(url).status_code == 403, url
    assert client.post(f"/cluburi/copil/{ana}/stergere",
                       data={"confirm": "yes"}).status_code == 403
    with app.app_context():
        assert db.session.get(User, ana) is not None


def test_export_json_results_read_in_the_childs_language(app, client, world, login):
    """Reports store message keys, never words: the export a family reads renders them
    in the child's language, whatever the librarian's."""
    from codekids.bank import (
        grading,  # noqa: F401 (registers the grading keys)
        texts,
    )

    key = "grading.output_differs"
    with app.app_context():
        ana = db.session.get(User, world.children[0])
        ana.locale = "hu"
        db.session.add(Submission(
            child_id=ana.id, club_id=ana.club_id, kind=SUBMIT, exercise_id="hello",
            source="print(1)\n", status="failed", solved=False, passed=0, total=1,
            report={"locale": "hu", "tests": [{"passed": False, "message": texts.text(key)}]}))
        db.session.commit()
    login(world.librarian)
    data = client.get(f"/cluburi/copil/{world.children[0]}/date.json").get_json()
    message = data["submissions"][0]["results"]["tests"][0]["message"]
    assert message == texts.translate("hu", texts.KEYS[key])
    assert message != texts.translate("en", texts.KEYS[key]) and key not in message
