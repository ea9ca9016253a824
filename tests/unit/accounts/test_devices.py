"""The device cookie itself (accounts/devices.py) and the guessing settings.

The cookie is what lets one prankster's browser be locked without locking the
library: these tests check it cannot be made up, borrowed across sites, read by a
script or kept past a year, and that every login page hands it out.
"""

from __future__ import annotations

import time

import pytest
from itsdangerous import URLSafeTimedSerializer

from codekids.accounts import devices
from codekids.settings import Settings, SettingsError

from .conftest import secret_url


def device_cookie_header(response) -> str:
    headers = [
        h for h in response.headers.getlist("Set-Cookie") if h.startswith(devices.COOKIE_NAME + "=")
    ]
    assert len(headers) == 1, response.headers.getlist("Set-Cookie")
    return headers[0]


def cookie_value(header: str) -> str:
    return header.split(";", 1)[0].split("=", 1)[1]


@pytest.mark.parametrize("path", ["/copii", "/autentificare"])
def test_a_login_page_gives_a_signed_long_lived_httponly_lax_cookie(app, client, path):
    header = device_cookie_header(client.get(path))
    assert "Max-Age=31536000" in header and "Path=/" in header
    assert "HttpOnly" in header and "SameSite=Lax" in header
    assert "Secure" not in header  # plain HTTP here: the session cookie is not Secure either
    with app.app_context():
        device = devices.read(cookie_value(header))
    assert devices.is_device_id(device)
    # The browser keeps it: the next page sends it and gets no new one.
    assert devices.COOKIE_NAME not in (client.get(path).headers.get("Set-Cookie") or "")


def test_the_cookie_is_secure_over_https(client):
    header = device_cookie_header(client.get("/copii", base_url="https://localhost"))
    assert "Secure" in header


def test_the_secret_pages_and_nickname_list_give_it_too(app, client, world):
    assert devices.COOKIE_NAME in client.get(f"/copii/{world.join_codes[world.club]}").headers.get(
        "Set-Cookie", ""
    )
    other = app.test_client()
    assert devices.COOKIE_NAME in other.get(secret_url(app, world.children[0])).headers.get(
        "Set-Cookie", ""
    )


def test_ids_are_random_and_labels_are_read_aloud_easily(app):
    ids = {devices.new_device_id() for _ in range(200)}
    assert len(ids) == 200
    for device in ids:
        assert devices.is_device_id(device)
        assert not set(devices.label(device)) & set("0O1I")
        assert len(devices.label(device)) == 4


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "K7QFABCDEFGHJKLMNPQR",  # a bare id, unsigned: anyone could choose one
        "x" * 500,
        "\x00K7QF.abc.def",
        "a.b",
    ],
)
def test_a_made_up_cookie_is_no_device(app, raw):
    with app.app_context():
        assert devices.read(raw) is None


def test_a_cookie_signed_with_another_key_or_for_another_purpose_is_no_device(app):
    device = devices.new_device_id()
    other_site = URLSafeTimedSerializer("another-site-key", salt="codekids.device-cookie")
    session_like = URLSafeTimedSerializer(app.secret_key, salt="cookie-session")
    with app.app_context():
        assert devices.read(devices.sign(device)) == device
        assert devices.read(other_site.dumps(device)) is None
        assert devices.read(session_like.dumps(device)) is None
        # A signed value that is not a device id (another signed thing of this site).
        assert devices.read(devices._serializer(app).dumps({"user": 1})) is None


def test_a_cookie_older_than_a_year_is_no_device(app, monkeypatch):
    device = devices.new_device_id()
    real = time.time
    with app.app_context():
        monkeypatch.setattr(time, "time", lambda: real() - 366 * 86400)
        old = devices.sign(device)
        monkeypatch.setattr(time, "time", lambda: real() - 364 * 86400)
        recent = devices.sign(device)
        monkeypatch.setattr(time, "time", real)
        assert devices.read(old) is None
        assert devices.read(recent) == device


def test_a_forged_cookie_is_replaced_by_a_real_one(app, client):
    client.set_cookie(devices.COOKIE_NAME, "K7QFABCDEFGHJKLMNPQR")
    header = device_cookie_header(client.get("/copii"))
    with app.app_context():
        assert devices.read(cookie_value(header)) not in (None, "K7QFABCDEFGHJKLMNPQR")


def test_a_successful_login_renews_the_cookie_for_the_same_device(app, client, world, auth):
    first = cookie_value(device_cookie_header(client.get("/autentificare")))
    r = auth.staff(world.librarian)
    assert r.status_code == 302
    renewed = cookie_value(device_cookie_header(r))
    with app.app_context():
        assert devices.read(renewed) == devices.read(first)


def test_a_failed_login_does_not_resend_the_cookie(client, world, auth):
    client.get("/autentificare")
    r = auth.staff(world.librarian, password="not the password")
    assert devices.COOKIE_NAME not in (r.headers.get("Set-Cookie") or "")


# ---- settings -------------------------------------------------------------------------


GUESSING = {
    "CODEKIDS_ACCOUNT_DEVICE_MAX_FAILURES": ("account_device_max_failures", 5),
    "CODEKIDS_DEVICE_MAX_FAILURES": ("device_max_failures", 10),
    "CODEKIDS_CHILD_MAX_FAILURES": ("child_max_failures", 50),
    "CODEKIDS_ANONYMOUS_MAX_FAILURES": ("anonymous_max_failures", 5),
    "CODEKIDS_DEVICE_SLOW_AFTER": ("device_slow_after", 3),
    "CODEKIDS_DEVICE_SLOW_SECONDS": ("device_slow_seconds", 5),
    "CODEKIDS_STAFF_MAX_FAILURES": ("staff_max_failures", 20),
    "CODEKIDS_STAFF_ADDRESS_MAX_FAILURES": ("staff_address_max_failures", 30),
    "CODEKIDS_CLUB_CODE_DEVICE_MAX_FAILURES": ("club_code_device_max_failures", 10),
    "CODEKIDS_CLUB_CODE_MAX_FAILURES": ("club_code_max_failures", 20),
    "CODEKIDS_CLUB_CODE_MINUTES": ("club_code_minutes", 10),
    "CODEKIDS_LOCKOUT_MINUTES": ("lockout_minutes", 15),
}


@pytest.fixture
def no_codekids_environment(monkeypatch):
    import os

    for name in list(os.environ):
        if name.startswith("CODEKIDS_") and not name.startswith("CODEKIDS_TEST_"):
            monkeypatch.delenv(name)


@pytest.mark.parametrize("variable", sorted(GUESSING))
def test_guessing_limits_have_defaults_and_follow_the_environment(
    monkeypatch, no_codekids_environment, variable
):
    name, default = GUESSING[variable]
    assert getattr(Settings.from_env(), name) == default
    monkeypatch.setenv(variable, "7")
    assert getattr(Settings.from_env(), name) == 7


@pytest.mark.parametrize("variable", sorted(set(GUESSING) - {"CODEKIDS_DEVICE_SLOW_SECONDS"}))
def test_a_guessing_limit_below_one_is_refused(
    monkeypatch, no_codekids_environment, tmp_path, variable
):
    monkeypatch.setenv(variable, "0")
    settings = Settings.from_env()
    with pytest.raises(SettingsError, match=variable):
        settings.resolve(tmp_path)


def test_slowing_down_can_be_turned_off_but_not_negative(
    monkeypatch, no_codekids_environment, tmp_path
):
    monkeypatch.setenv("CODEKIDS_DEVICE_SLOW_SECONDS", "0")
    Settings.from_env().resolve(tmp_path)
    monkeypatch.setenv("CODEKIDS_DEVICE_SLOW_SECONDS", "-1")
    with pytest.raises(SettingsError, match="CODEKIDS_DEVICE_SLOW_SECONDS"):
        Settings.from_env().resolve(tmp_path)


# ---- the migration (0006) -------------------------------------------------------------


def test_migration_0006_keeps_the_attempts_it_finds_and_drops_only_club_codes(database_url):
    from sqlalchemy import text

    from codekids import migrate
    from codekids.db import make_engine

    engine = make_engine(database_url)
    migrate.downgrade(engine, "0005")
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO login_attempts (user_id, club_id, address, succeeded, at) "
                "VALUES (NULL, NULL, '10.0.0.1', false, '2026-01-01 10:00:00')"
            )
        )
    migrate.upgrade(engine, "0006")
    with engine.begin() as conn:
        row = conn.execute(text("SELECT kind, device_id, trusted, lifted_at FROM login_attempts"))
        assert [tuple(r) for r in row] == [("staff", None, False, None)]
        conn.execute(
            text(
                "INSERT INTO login_attempts (address, succeeded, at, kind) "
                "VALUES ('10.0.0.2', false, '2026-01-01 10:01:00', 'club_code')"
            )
        )
    migrate.downgrade(engine, "0005")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT address FROM login_attempts")).scalars().all() == [
            "10.0.0.1"
        ]
    migrate.upgrade(engine)
    engine.dispose()
