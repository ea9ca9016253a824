"""The JSON API under /api/v1: JSON in, JSON out, errors included."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from codekids import db
from codekids.learning.models import Draft, HintUse, Progress, Project, Submission
from tests.unit.learning.conftest import HELLO_RIGHT, HELLO_WRONG, TURTLE_SQUARE


def _count(app, model, **where) -> int:
    with app.app_context():
        query = select(func.count()).select_from(model)
        for key, value in where.items():
            query = query.where(getattr(model, key) == value)
        return db.session.scalar(query)


def _error(resp, status: int, code: str) -> str:
    assert resp.status_code == status, resp.get_data(as_text=True)
    assert resp.is_json, resp.content_type
    body = resp.get_json()
    assert body["error"]["code"] == code
    assert body["error"]["message"]
    return body["error"]["message"]


def test_submit_returns_the_grade_report_with_stars(app, world, child_client):
    resp = child_client.post("/api/v1/exercises/hello/submit",
                             json={"source": HELLO_RIGHT, "client_key": "api-key-00001"})
    assert resp.status_code == 200
    body = resp.get_json()
    assert body["solved"] is True and (body["passed"], body["total"]) == (2, 2)
    assert body["stars"] == 3 and body["duplicate"] is False
    assert isinstance(body["submission_id"], int)
    assert body["next_exercise"] == {"id": "two-lines", "url": "/exercitii/two-lines",
                                     "title": "Two lines"} or body["next_exercise"]["id"] == "two-lines"
    # The starter's print("Bună!") never counts; the child's new line does, once.
    assert body["lines_counted"] == 1
    again = child_client.post("/api/v1/exercises/hello/submit",
                              json={"source": HELLO_RIGHT, "client_key": "api-key-00009"})
    assert again.get_json()["lines_counted"] == 0
    home = child_client.get("/acasa").get_data(as_text=True)
    assert '<p class="big-number" id="my-lines">1</p>' in home
    assert [t["status"] for t in body["tests"]] == ["passed", "passed"]


def test_a_failing_submit_hides_the_hidden_tests_data(child_client):
    body = child_client.post("/api/v1/exercises/hello/submit",
                             json={"source": HELLO_WRONG, "client_key": "api-key-00002"}).get_json()
    visible, hidden = body["tests"]
    assert visible["details"]["expected"] == "Bună ziua!↵"
    assert visible["details"]["difference"]["column"] == 4
    assert hidden["hidden"] is True and hidden["message"] == "A hidden test did not pass."
    assert "ziua" not in str(hidden)


def test_a_double_click_gives_the_first_result_as_a_duplicate(app, world, child_client):
    payload = {"source": HELLO_WRONG, "client_key": "api-double-01"}
    first = child_client.post("/api/v1/exercises/hello/submit", json=payload).get_json()
    again = child_client.post("/api/v1/exercises/hello/submit", json=payload).get_json()
    assert again["duplicate"] is True and again["submission_id"] == first["submission_id"]
    assert again["tests"] == first["tests"]
    assert _count(app, Submission) == 1
    with app.app_context():
        assert db.session.scalar(select(Progress.attempts)) == 1


def test_run_returns_output_turtle_and_explanation(child_client):
    ok = child_client.post("/api/v1/exercises/turtle-square/run",
                           json={"source": TURTLE_SQUARE, "stdin": ""}).get_json()
    assert ok["status"] == "ok" and len(ok["turtle"]) == 4 and ok["error_line"] is None
    bad = child_client.post("/api/v1/exercises/hello/run",
                            json={"source": "print(1)\nprint(nume)", "stdin": ""}).get_json()
    assert bad["status"] == "error" and bad["error_line"] == 2
    assert bad["explanation"]["line"] == 2 and bad["turtle"] is None
    assert set(bad) >= {"status", "stdout", "stdout_truncated", "turtle", "explanation",
                        "error_line"}


def test_draft_is_saved_and_restored(app, world, child_client):
    resp = child_client.post("/api/v1/exercises/hello/draft", json={"source": "print('wip')"})
    assert resp.status_code == 200 and resp.get_json()["saved_at"].endswith("Z")
    assert "print(&#39;wip&#39;)" in child_client.get("/exercitii/hello").get_data(as_text=True)
    assert _count(app, Draft) == 1


def test_hints_one_at_a_time_then_no_more(app, world, child_client):
    levels = [child_client.post("/api/v1/exercises/hello/hints", json={}).get_json()
              for _ in range(3)]
    assert [(h["level"], h["remaining"]) for h in levels] == [(1, 2), (2, 1), (3, 0)]
    assert levels[0]["text"].startswith("Look only at the text")
    resp = child_client.post("/api/v1/exercises/hello/hints", json={})
    _error(resp, 409, "no_more_hints")
    assert resp.get_json()["level"] == 3 and resp.get_json()["remaining"] == 0
    assert _count(app, HintUse) == 3


def test_playground_run_and_projects(app, world, child_client):
    created = child_client.post("/api/v1/projects", json={"name": "Stea", "source": ""})
    assert created.status_code == 201
    project_id = created.get_json()["id"]
    run = child_client.post("/api/v1/playground/run", json={
        "source": TURTLE_SQUARE, "stdin": "", "project_id": project_id}).get_json()
    assert run["status"] == "ok" and len(run["turtle"]) == 4 and "lines_counted" in run
    saved = child_client.put(f"/api/v1/projects/{project_id}",
                             json={"name": "Steaua mea", "source": TURTLE_SQUARE})
    assert saved.status_code == 200 and saved.get_json()["name"] == "Steaua mea"
    with app.app_context():
        assert db.session.get(Project, project_id).source == TURTLE_SQUARE
    _error(child_client.post("/api/v1/projects", json={"name": "Steaua mea"}), 409, "name_taken")
    free = child_client.post("/api/v1/playground/run",
                             json={"source": "print(2 + 2)", "stdin": "", "project_id": None})
    assert free.get_json()["stdout"] == "4\n"


# ---- bad input ----------------------------------------------------------------------------


@pytest.mark.parametrize(("payload", "status", "code"), [
    ({"source": "", "client_key": "bad-key-0001"}, 400, "empty_source"),
    ({"source": "\n\t \n", "client_key": "bad-key-0001"}, 400, "empty_source"),
    ({"source": "print(1)\n" * 120_000, "client_key": "bad-key-0001"}, 413, "too_large"),
    # NUL and lone surrogates are refused at the edge, before any database call
    # (bad_input.py), in every string of every JSON body.
    ({"source": "print(1)\x00", "client_key": "bad-key-0001"}, 400, "bad_text"),
    ({"source": "print('\udcff')", "client_key": "bad-key-0001"}, 400, "bad_text"),
    ({"source": HELLO_RIGHT, "client_key": "bad-key-0001", "x\x00": 1}, 400, "bad_text"),
    ({"source": ["print(1)"], "client_key": "bad-key-0001"}, 400, "bad_request"),
    ({"source": HELLO_RIGHT, "client_key": "x"}, 400, "bad_request"),
])
def test_bad_submissions_are_refused_in_json(app, world, child_client, payload, status, code):
    resp = child_client.post("/api/v1/exercises/hello/submit", json=payload)
    _error(resp, status, code)
    assert _count(app, Submission) == 0 and _count(app, Progress) == 0


@pytest.mark.parametrize(("body", "code"), [
    # What is not JSON at all is bad_json (the edge's parser, bad_input.json_body) ...
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe", "bad_json"),
    (b'{"source": "print(\xff\xfe)"}', "bad_json"),
    (b"not json at all", "bad_json"),
    (b"[" * 1000 + b"]" * 1000, "bad_json"),
    (b'{"source": NaN}', "bad_json"),
    # ... JSON that is not the object the route wants is bad_request.
    (b"[1, 2, 3]", "bad_request"),
    (b"", "bad_request"),
])
def test_binary_junk_and_broken_json_are_bad_requests(app, world, child_client, body, code):
    resp = child_client.post("/api/v1/exercises/hello/submit", data=body,
                             content_type="application/json")
    _error(resp, 400, code)
    assert _count(app, Submission) == 0


def test_a_body_over_the_site_limit_is_too_large_in_json(child_client):
    resp = child_client.post("/api/v1/exercises/hello/run", data=b"x" * (3 * 1024 * 1024),
                             content_type="application/json")
    _error(resp, 413, "too_large")


def test_an_unknown_exercise_is_not_found_in_json(app, world, child_client):
    for path in ("run", "submit", "draft", "hints"):
        resp = child_client.post(f"/api/v1/exercises/nope/{path}",
                                 json={"source": HELLO_RIGHT, "client_key": "nf-key-00001"})
        _error(resp, 404, "not_found")
    assert _count(app, Submission) == 0 and _count(app, Draft) == 0


def test_messages_are_in_the_childs_language(world, login_as):
    client = login_as(world.children[0], locale="hu")
    message = _error(client.post("/api/v1/exercises/hello/submit",
                                 json={"source": "", "client_key": "hu-key-00001"}),
                     400, "empty_source")
    assert message == "A programod üres. Előbb írj bele egy kis kódot, aztán próbáld újra."


def test_an_anonymous_caller_gets_json_not_a_login_page(client, world):
    resp = client.post("/api/v1/exercises/hello/run", json={"source": "print(1)"})
    _error(resp, 403, "forbidden")


def test_staff_cannot_use_the_childrens_api(app, world, client, auth):
    auth.staff(world.librarian)
    resp = client.post("/api/v1/exercises/hello/submit",
                       json={"source": HELLO_RIGHT, "client_key": "staff-key-001"})
    _error(resp, 403, "forbidden")
    assert _count(app, Submission) == 0


class TestCsrf:
    @pytest.fixture
    def app_config(self, app_config):
        return {**app_config, "WTF_CSRF_ENABLED": True}

    def test_the_api_needs_the_csrf_header(self, app, world, client):
        # Log in through the real form needs a token too: take it from the login page.
        import re

        page = client.get(f"/copii/{world.join_codes[world.club]}/{world.children[0]}")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True))
        assert token, "the login page carries a CSRF token"
        from tests.conftest import child_secret

        secret = child_secret(app, world.children[0])
        auth_resp = client.post(f"/copii/{world.join_codes[world.club]}/{world.children[0]}",
                                data={"sequence": ",".join(secret.value),
                                      "csrf_token": token.group(1)})
        assert auth_resp.status_code in (302, 303)
        missing = client.post("/api/v1/exercises/hello/run", json={"source": "print(1)"})
        _error(missing, 400, "bad_request")
        html = client.get("/exercitii/hello").get_data(as_text=True)
        meta = re.search(r'<meta name="csrf-token" content="([^"]+)"', html).group(1)
        ok = client.post("/api/v1/exercises/hello/run", json={"source": "print(1)"},
                         headers={"X-CSRFToken": meta})
        assert ok.status_code == 200 and ok.get_json()["stdout"] == "1\n"


def test_submit_says_why_the_stars_and_the_childs_new_total(app, world, child_client):
    wrong = child_client.post("/api/v1/exercises/hello/submit",
                              json={"source": HELLO_WRONG, "client_key": "why-key-0001"}).get_json()
    assert wrong["stars_reason"] is None and wrong["total_lines"] is None
    assert wrong["set_finished"] is False
    right = child_client.post("/api/v1/exercises/hello/submit",
                              json={"source": HELLO_RIGHT, "client_key": "why-key-0002"}).get_json()
    # One failed try before: still 3 stars (at most 2 failed, no hint), in 2 tries.
    assert right["stars"] == 3
    assert right["stars_reason"] == {"stars": 3, "code": "no_hints", "hints": 0, "tries": 2,
                                     "three_stars_tries": 3}
    assert right["lines_counted"] == 1 and right["total_lines"] == 1
    hidden = [t for t in wrong["tests"] if t["hidden"]]
    # A print-only exercise's hidden test speaks of no numbers or inputs it never typed.
    assert hidden and "numbers" not in hidden[0]["details"]["hint"]
    assert "not showing you" in hidden[0]["details"]["hint"]


def test_a_hidden_test_with_numbers_says_numbers():
    from codekids.bank.grading import _hidden_hint
    from codekids.bank.models import TestCase

    assert _hidden_hint(TestCase(1, "io", True, stdin="7\n12\n")) == "hidden_numbers"
    assert _hidden_hint(TestCase(1, "io", True, stdin="Ana\n")) == "hidden_inputs"
    assert _hidden_hint(TestCase(1, "function", True, spec={"function": "f", "args": [1]})) == (
        "hidden_values")
    assert _hidden_hint(TestCase(1, "io", True)) == "hidden_check"
