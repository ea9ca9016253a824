"""bench/floor_app.py, the floor bench/request_cost.py measures the site against: it
answers both of its endpoints on the site's own database, so the benchmark cannot rot
silently (a renamed column, a Flask-Login change). Behaviour only: its cost is measured
by bench/request_cost.py."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
import floor_app  # noqa: E402

sys.path.pop(0)


@pytest.fixture
def floor(app_config, world):
    app = floor_app.create_app(app_config["database_url"], "floor-test-secret")
    yield app
    app.extensions["floor_engine"].dispose()


def test_hello_needs_no_user(floor):
    r = floor.test_client().get("/hello")
    assert r.status_code == 200
    assert r.get_data(as_text=True) == "Salut!"


def test_page_loads_a_real_user_of_the_site_and_renders_the_template(floor, world, app):
    from codekids import db
    from codekids.accounts.models import User

    child_id = world.children[0]
    with app.app_context():
        nickname = db.session.get(User, child_id).nickname
    client = floor.test_client()
    assert client.post(f"/login/{child_id}").status_code == 200
    r = client.get("/page")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert nickname and nickname in html
    assert html.count("<li ") == 10


def test_page_refuses_without_a_user_and_login_refuses_an_unknown_id(floor):
    client = floor.test_client()
    assert client.get("/page").status_code == 401
    assert client.post("/login/999999").status_code == 404
