"""The site under gunicorn with cProfile around some requests: bench/load.py --profile.

    .venv/bin/python bench/load_profile.py --bind 127.0.0.1:PORT --workers W --threads T \\
        --prefix /api/v1/exercises/ --out DIR

Bench-only: the app is the one ``codekids serve`` runs (``create_app()``, settings
from CODEKIDS_* variables), wrapped here in a WSGI middleware; nothing in the
app knows about it. Each request whose path starts with ``--prefix`` runs under
a cProfile.Profile of its own thread; when a worker exits, its profiles are
merged and written to ``DIR/<pid>.prof`` for bench/load.py to print.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import sys
import threading
from pathlib import Path

if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
    sys.path.pop(0)  # bench/sandbox.py would shadow the sandbox package

from gunicorn.app.base import BaseApplication  # noqa: E402


class ProfileMiddleware:
    def __init__(self, app, prefix: str):
        self.app = app
        self.prefix = prefix
        self.local = threading.local()
        self.profiles: list[cProfile.Profile] = []
        self.lock = threading.Lock()

    def _profile(self) -> cProfile.Profile:
        prof = getattr(self.local, "profile", None)
        if prof is None:
            prof = self.local.profile = cProfile.Profile()
            with self.lock:
                self.profiles.append(prof)
        return prof

    def __call__(self, environ, start_response):
        if not environ.get("PATH_INFO", "").startswith(self.prefix):
            return self.app(environ, start_response)
        prof = self._profile()
        prof.enable()
        try:
            # The body is read inside the profile too (Flask answers with a list).
            return list(self.app(environ, start_response))
        finally:
            prof.disable()

    def dump(self, folder: str) -> None:
        import pstats

        with self.lock:
            profiles = [p for p in self.profiles if p.getstats()]
        if not profiles:
            return
        stats = pstats.Stats(profiles[0])
        for prof in profiles[1:]:
            stats.add(prof)
        stats.dump_stats(os.path.join(folder, f"{os.getpid()}.prof"))


class ProfiledApp(BaseApplication):
    def __init__(self, options: dict, prefix: str, out: str):
        self.options = options
        self.prefix = prefix
        self.out = out
        self.wrapped: ProfileMiddleware | None = None
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)
        self.cfg.set("worker_exit", self._worker_exit)

    def _worker_exit(self, _server, _worker) -> None:
        if self.wrapped is not None:
            self.wrapped.dump(self.out)

    def load(self):
        from codekids import create_app

        self.wrapped = ProfileMiddleware(create_app(), self.prefix)
        return self.wrapped


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--bind", required=True)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--threads", type=int, default=8)
    p.add_argument("--prefix", required=True)
    p.add_argument("--out", required=True)
    args = p.parse_args()
    if not args.bind.startswith("127.0.0.1:"):
        raise SystemExit("bench/load_profile.py serves on 127.0.0.1 only")
    options = {"bind": args.bind, "workers": args.workers, "worker_class": "gthread",
               "threads": args.threads, "accesslog": "-", "errorlog": "-",
               "control_socket_disable": True}
    ProfiledApp(options, args.prefix, args.out).run()


if __name__ == "__main__":
    main()
