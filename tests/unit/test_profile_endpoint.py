"""bench/profile_endpoint.py's summary of py-spy's collapsed stacks: which endpoint a
worker's sample belongs to, and what is left out (the master, the sandbox's processes),
so that the before/after profile of issue 18 cannot rot silently."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
import profile_endpoint  # noqa: E402

sys.path.pop(0)

MASTER = 'process 10:"python codekids serve --workers 2"'
WORKER = 'process 11:"python codekids serve --workers 2"'
SANDBOX = 'process 12:"python -c from sandbox.server import main"'
REQUEST = ("Thread.run (threading.py:982);ThreadWorker.handle_request "
           "(gunicorn/workers/gthread.py:282);Flask.wsgi_app (flask/app.py:1511)")
SUBMIT = (f"{REQUEST};Flask.full_dispatch_request (flask/app.py:917);"
          "Flask.dispatch_request (flask/app.py:902);decorated_view (flask_login/utils.py:290);"
          "exercise_submit (/work/main/platform/codekids/learning/api.py:80);"
          "record_submission (/work/main/platform/codekids/learning/service.py:200)")
HOOK = (f"{REQUEST};Flask.full_dispatch_request (flask/app.py:917);"
        "Flask.preprocess_request (flask/app.py:1250);"
        "_load_user (/work/main/platform/codekids/web.py:120)")


def write_raw(tmp_path, lines):
    raw = tmp_path / "p.raw"
    raw.write_text("".join(f"{stack} {n}\n" for stack, n in lines))
    return raw


def test_samples_are_counted_per_endpoint_and_only_the_workers(tmp_path):
    raw = write_raw(tmp_path, [
        (f"{MASTER};{WORKER};{SUBMIT}", 30),
        (f"{MASTER};{WORKER};{HOOK}", 10),
        (f"{MASTER};Arbiter.run (gunicorn/arbiter.py:247)", 500),
        (f"{MASTER};{WORKER};{SANDBOX};main (sandbox/server.py:10)", 500),
    ])
    svg = tmp_path / "p.svg"
    summary = profile_endpoint.summarize(raw, None, svg)
    assert "samples: 1040 in all, 40 of the workers" in summary
    assert " 75.0 %  learning/api.py:exercise_submit" in summary
    assert " 25.0 %  (Flask preprocess_request: the hooks)" in summary
    assert "record_submission (codekids/learning/service.py)" in summary
    assert svg.read_text().startswith("<svg")


def test_a_stack_outside_any_view_is_named_by_where_it_is():
    frames = [("Thread.run", "threading.py"),
              ("ThreadWorker.handle", "gunicorn/workers/gthread.py")]
    assert profile_endpoint.endpoint(frames) == "(gunicorn: parsing, writing, keep-alive)"
    assert profile_endpoint.endpoint([]).startswith("(no Python frame")
