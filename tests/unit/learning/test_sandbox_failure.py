"""The sandbox failing is never the child's fault (issue 15, point 4).

A run lost to the sandbox (its fork server killed mid-run, a full queue) is sent
once more; lost twice, the child reads "try again in a minute" where the
feedback appears, the program stays in the editor, and nothing is recorded: no
submission, no attempt, no "stuck" streak, no stars lost, no counted lines.

The fork server is really killed (SIGKILL through ``Sandbox.kill_server``) while
the child's program runs in it, from a thread, during a real request; the busy
queue is a real one (a pool of one slot, a queue of one). Fakes appear only
where a test is about which tests ``Retrying`` sends again.
"""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import func, select

from codekids import db, sandbox_client
from codekids.counter.models import CountedLine, CounterTotal
from codekids.learning import service
from codekids.learning.models import PLAYGROUND, RUN, SUBMIT, Draft, Progress, Submission
from codekids.learning.service import LearningError
from codekids.sandbox_client import BUSY_PAUSE, Retrying
from sandbox import Limits, RunResult, Sandbox
from sandbox.result import ErrorInfo
from tests.unit.learning.conftest import HELLO, HELLO_WRONG, bank, child

# Right for `hello`, and slow enough (about 0.5 s of CPU here, a quarter of the 2 s
# limit) to be seen running, and killed, before it ends.
SLOW_RIGHT = 'n = 0\nfor i in range(4000000):\n    n = n + i\nprint("Bună ziua!")\n'
ENDLESS = "while True:\n    pass\n"
MESSAGE_EN = "It is not your fault. Try again in a minute."
MESSAGE_RO = "Nu e vina ta. Încearcă din nou peste un minut."


def _cpu_ticks(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return int(fields[11]) + int(fields[12])  # utime + stime


def _descendants(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        parent = todo.pop()
        try:
            with open(f"/proc/{parent}/task/{parent}/children") as fh:
                kids = [int(k) for k in fh.read().split()]
        except OSError:
            kids = []
        found += kids
        todo += kids
    return found


def program_running(server_pid: int, timeout: float = 10.0) -> bool:
    """Wait until a process under the fork server spends CPU: the child's program runs
    (warm children waiting for a job spend none)."""
    seen: dict[int, int] = {}
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for pid in _descendants(server_pid):
            ticks = _cpu_ticks(pid)
            if ticks is not None and pid in seen and ticks > seen[pid]:
                return True
            if ticks is not None:
                seen[pid] = ticks
        time.sleep(0.02)
    return False


class ServerKiller:
    """Put on the site's own sandbox in place of its ``grade``: the first ``kills``
    calls have the fork server killed (SIGKILL) as soon as the program is seen
    running in it. A call after a kill first waits for the server the client
    restarts, so each kill hits the server running that call."""

    def __init__(self, sandbox: Sandbox, kills: int):
        self.sandbox = sandbox
        self.kills = kills
        self.real = sandbox.grade
        self.calls: list[int] = []  # how many tests each call sent
        self.killed: list[int] = []  # the server pids killed
        self.threads: list[threading.Thread] = []
        self.running: list[bool] = []  # whether each kill found the program running

    def grade(self, source, tests, limits=None):
        self.calls.append(len(tests))
        if len(self.calls) <= self.kills:
            thread = threading.Thread(target=self._kill_soon, args=(list(self.killed),))
            thread.start()
            self.threads.append(thread)
        return self.real(source, tests) if limits is None else self.real(source, tests, limits)

    def _kill_soon(self, killed_before: list[int]) -> None:
        deadline = time.monotonic() + 20
        while self.sandbox.server_pid in killed_before and time.monotonic() < deadline:
            time.sleep(0.01)  # the retry's new server is still starting
        pid = self.sandbox.server_pid
        self.running.append(program_running(pid))  # killed anyway: the run is lost either way
        self.killed.append(pid)
        self.sandbox.kill_server()

    def join(self) -> None:
        for thread in self.threads:
            thread.join(30)
        assert len(self.killed) == self.kills and len(set(self.killed)) == self.kills
        assert all(self.running), "a kill that did not find the program running"


@pytest.fixture
def killer(real_sandbox, monkeypatch):
    """``killer(n)``: the next n grade calls of the site's sandbox are killed mid-run."""
    made = []

    def _make(kills: int) -> ServerKiller:
        assert real_sandbox.run("print(1)").stdout == "1\n"  # a live server to kill
        spy = ServerKiller(real_sandbox, kills)
        monkeypatch.setattr(real_sandbox, "grade", spy.grade)
        made.append(spy)
        return spy

    yield _make
    for spy in made:
        spy.join()


def snapshot(app, child_id: int) -> dict:
    """Everything a run could have recorded for the child: submissions, attempts and the
    "stuck" streak, stars, drafts, counted lines and every counter total."""
    with app.app_context():
        s = db.session
        return {
            "submissions": s.scalars(select(Submission.id).order_by(Submission.id)).all(),
            "progress": [
                (
                    p.child_id,
                    p.exercise_id,
                    p.attempts,
                    p.failed_streak,
                    p.solved,
                    p.stars,
                    p.hints_used,
                    p.first_attempt_at,
                    p.last_attempt_at,
                )
                for p in s.scalars(select(Progress).order_by(Progress.id))
            ],
            "counted_lines": s.scalar(select(func.count()).select_from(CountedLine)),
            "totals": s.execute(
                select(
                    CounterTotal.scope,
                    CounterTotal.key,
                    CounterTotal.lines,
                    CounterTotal.adjusted,
                    CounterTotal.last_activity_at,
                ).order_by(CounterTotal.scope, CounterTotal.key)
            ).all(),
            "child_total": service.child_total_lines(child(child_id)),
        }


def progress_of(app, child_id: int, exercise_id: str = HELLO):
    with app.app_context():
        p = service.get_progress(child_id, exercise_id)
        return None if p is None else (p.attempts, p.failed_streak, p.solved, p.stars)


# ---- a server killed mid-Submit ------------------------------------------------------------


def test_a_server_killed_twice_mid_submit_records_nothing(app, world, login_as, killer):
    kid = world.children[0]
    client = login_as(kid, "ro")
    for n in range(2):  # two wrong tries first: a third one would cost the third star
        resp = client.post(
            "/api/v1/exercises/hello/submit",
            json={"source": HELLO_WRONG, "client_key": f"wrong-try-{n:04d}"},
        )
        assert resp.status_code == 200 and resp.get_json()["solved"] is False
    assert progress_of(app, kid) == (2, 2, False, 0)
    before = snapshot(app, kid)

    spy = killer(2)
    started = time.monotonic()
    resp = client.post(
        "/exercitii/hello",
        data={"action": "submit", "source": SLOW_RIGHT, "client_key": "killed-submit-01"},
    )
    spy.join()
    page = resp.get_data(as_text=True)

    assert resp.status_code == 503
    # hello's two tests read the same (no) input, so they share one run; it was lost
    # whole, and went again whole.
    assert spy.calls == [1, 1]
    assert time.monotonic() - started < 20
    # Where the feedback appears, in the child's language; the program stays in the editor.
    results = page[page.index('<section id="results"') :]
    results = results[: results.index("</section>")]
    assert 'data-error-code="sandbox_unavailable"' in results and MESSAGE_RO in results
    assert "for i in range(4000000):" in page[page.index('id="code"') :]
    # Nothing recorded: the same submissions, attempts, streak, stars and counter.
    assert snapshot(app, kid) == before
    with app.app_context():
        assert db.session.scalar(select(Draft.source).where(Draft.child_id == kid)) == (
            SLOW_RIGHT
        )  # the no-JavaScript post keeps the draft

    # The third star is still there to earn: the lost try was never counted as a try.
    resp = client.post(
        "/api/v1/exercises/hello/submit",
        json={"source": SLOW_RIGHT, "client_key": "after-the-crash"},
    )
    body = resp.get_json()
    assert body["solved"] is True and body["stars"] == 3
    assert body["stars_reason"]["tries"] == 3
    assert progress_of(app, kid) == (3, 0, True, 3)


def test_one_crash_then_success_records_the_attempt_normally(
    app, world, login_as, killer, real_sandbox
):
    kid = world.children[1]
    client = login_as(kid)
    spy = killer(1)
    restarts = real_sandbox.restarts
    resp = client.post(
        "/api/v1/exercises/hello/submit",
        json={"source": SLOW_RIGHT, "client_key": "crash-then-ok-01"},
    )
    spy.join()
    body = resp.get_json()
    assert resp.status_code == 200, body
    assert spy.calls == [1, 1] and real_sandbox.restarts == restarts + 1
    assert body["solved"] is True and body["stars"] == 3 and body["duplicate"] is False
    assert progress_of(app, kid) == (1, 0, True, 3)  # one attempt, not two
    with app.app_context():
        subs = db.session.scalars(select(Submission).where(Submission.child_id == kid)).all()
        assert [(s.kind, s.status, s.solved) for s in subs] == [(SUBMIT, "passed", True)]
        counted = db.session.scalar(
            select(func.count()).select_from(CountedLine).where(CountedLine.child_id == kid)
        )
        assert body["lines_counted"] == counted > 0
        assert service.child_total_lines(child(kid)) == counted


def test_a_killed_run_and_playground_run_record_nothing(app, world, login_as, killer):
    kid = world.children[2]
    client = login_as(kid)
    before = snapshot(app, kid)

    killer(2)
    resp = client.post(
        "/exercitii/hello",
        data={"action": "run", "source": ENDLESS},
        headers={"X-CodeKids-Fragment": "1"},
    )
    fragment = resp.get_data(as_text=True)
    assert resp.status_code == 503 and resp.headers["X-CodeKids-Fragment"] == "1"
    assert 'data-error-code="sandbox_unavailable"' in fragment and MESSAGE_EN in fragment

    killer(2)
    resp = client.post("/api/v1/playground/run", json={"source": SLOW_RIGHT, "stdin": ""})
    assert resp.status_code == 503 and resp.headers["Retry-After"] == "60"
    error = resp.get_json()["error"]
    assert error["code"] == "sandbox_unavailable" and MESSAGE_EN in error["message"]

    after = snapshot(app, kid)
    assert after == before
    with app.app_context():
        kinds = db.session.scalars(select(Submission.kind).where(Submission.child_id == kid))
        assert not {RUN, PLAYGROUND} & set(kinds)


# ---- a full queue ----------------------------------------------------------------------------


def test_a_full_queue_is_tried_once_more_after_a_pause_then_nothing_is_recorded(world, ctx):
    kid = child(world.children[0])
    before = snapshot(ctx, kid.id)
    busy = Sandbox(pool_size=1, limits=Limits(cpu_seconds=8, wall_seconds=10))
    busy._server_options["queue"] = 1  # one run waiting: the next hears "busy"
    calls = []
    with busy:
        real = busy.grade

        def counting(source, tests, limits=None):
            calls.append(time.monotonic())
            return real(source, tests, limits)

        # One endless program runs, one waits: the queue is full for the next 8 s.
        fillers = [threading.Thread(target=busy.run, args=(ENDLESS,)) for _ in range(2)]
        for thread in fillers:
            thread.start()
            time.sleep(0.3)
        assert busy.run("print(1)").error.type == "SandboxBusy"
        busy.grade = counting
        with pytest.raises(LearningError) as raised:
            service.record_submission(
                kid,
                service.get_exercise(bank(ctx), HELLO),
                SLOW_RIGHT,
                "busy-queue-0001",
                "en",
                bank=bank(ctx),
                sandbox=busy,
            )
        busy.kill_server()  # the fillers' endless programs go with it
        for thread in fillers:
            thread.join(15)
    assert raised.value.code == "sandbox_unavailable" and raised.value.status == 503
    assert len(calls) == 2  # one retry, no storm
    assert calls[1] - calls[0] >= BUSY_PAUSE
    db.session.rollback()
    assert snapshot(ctx, kid.id) == before


# ---- what Retrying sends again ------------------------------------------------------------


def test_only_the_lost_tests_are_sent_again_and_answered_in_order():
    lost = RunResult(
        status="error",
        error=ErrorInfo(type="SandboxError", message="gone", line=None, column=None),
    )

    class HalfLost:
        def __init__(self):
            self.sent = []

        def grade(self, source, tests):
            self.sent.append([t["stdin"] for t in tests])
            if len(self.sent) == 1:
                return [
                    RunResult(status="ok", stdout="a"),
                    lost,
                    RunResult(status="ok", stdout="c"),
                ]
            return [RunResult(status="ok", stdout=t["stdin"].upper()) for t in tests]

    fake = HalfLost()
    results = Retrying(fake).grade("print()", [{"stdin": "a"}, {"stdin": "b"}, {"stdin": "c"}])
    assert fake.sent == [["a", "b", "c"], ["b"]]
    assert [r.stdout for r in results] == ["a", "B", "c"]


def test_a_crash_that_happens_again_is_the_programs_own_verdict():
    crash = RunResult(
        status="error",
        error=ErrorInfo(type="Crash", signal="SIGSEGV", message="crashed", line=None, column=None),
    )

    class AlwaysCrashes:
        calls = 0

        def grade(self, source, tests):
            self.calls += 1
            return [crash for _ in tests]

    fake = AlwaysCrashes()
    assert Retrying(fake).run("x").error.type == "Crash" and fake.calls == 2


def test_a_sandbox_that_cannot_start_is_lost_not_a_crash_of_the_site():
    class WillNotStart:
        def grade(self, source, tests):
            raise RuntimeError("the sandbox fork server failed to start")

    with pytest.raises(sandbox_client.SandboxUnavailable):
        Retrying(WillNotStart()).run("print(1)")


def test_the_programs_own_timeout_is_recorded_and_never_retried(
    app, world, login_as, real_sandbox, monkeypatch
):
    kid = world.children[0]
    client = login_as(kid)
    calls = []
    real = real_sandbox.grade

    def counting(source, tests, limits=None):
        calls.append(len(tests))
        return real(source, tests) if limits is None else real(source, tests, limits)

    monkeypatch.setattr(real_sandbox, "grade", counting)
    body = client.post(
        "/api/v1/exercises/hello/submit", json={"source": ENDLESS, "client_key": "endless-loop-1"}
    ).get_json()
    assert calls == [1]  # one run (both tests read no input), sent once
    assert [t["status"] for t in body["tests"]] == ["timeout", "timeout"]
    assert progress_of(app, kid) == (1, 1, False, 0)
