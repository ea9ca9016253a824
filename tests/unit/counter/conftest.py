"""Submissions made directly and handed to the counter the way learning does (count_lines),
so the counter's rules are tested without the sandbox."""

import pytest

from codekids import db
from codekids.accounts.models import User
from codekids.learning.models import PLAYGROUND, SUBMIT, Submission
from codekids.learning.service import count_lines


@pytest.fixture
def submit(session):
    """submit(child_id, source, exercise="ex1", solved=True, starter="", cap=10) -> lines."""

    def _submit(child_id, source, *, exercise="ex1", solved=True, starter="", cap=10,
                kind=SUBMIT, project_id=None, status=None):
        child = db.session.get(User, child_id)
        if kind == PLAYGROUND:
            status = status or "ok"
        sub = Submission(child_id=child.id, club_id=child.club_id, kind=kind,
                         exercise_id=exercise if kind != PLAYGROUND else None,
                         project_id=project_id, source=source,
                         status=status or ("passed" if solved else "failed"),
                         solved=solved)
        db.session.add(sub)
        n = count_lines(sub, starter=starter, cap=cap if kind != PLAYGROUND else None)
        db.session.commit()
        return n

    return _submit


@pytest.fixture(autouse=True)
def _app_context(request):
    """Service tests run inside an app context (view tests bring their own client)."""
    if "client" in request.fixturenames or "world" not in request.fixturenames:
        yield
        return
    request.getfixturevalue("session")
    yield
