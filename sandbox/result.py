"""The values that cross the sandbox's boundary: ``Limits`` in, ``RunResult`` out."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

STATUSES = ("ok", "error", "refused", "timeout", "memory", "output_limit")


@dataclass(frozen=True)
class Limits:
    """Per-run limits. Every field can be overridden per call."""

    cpu_seconds: float = 2.0  # soft limit (the child is told); hard kill 1 s later
    wall_seconds: float = 5.0  # the whole process group is killed
    memory_mb: int = 256  # address space
    output_bytes: int = 64 * 1024  # then status "output_limit", earlier output kept
    source_bytes: int = 64 * 1024
    max_turtle_segments: int = 50_000
    random_seed: int | None = 0  # random is seeded per run so grading repeats

    def replace(self, **changes) -> Limits:
        return replace(self, **changes)

    def to_dict(self) -> dict:
        return asdict(self)


class ErrorInfo(dict):
    """What went wrong: ``type``, ``message``, ``line``, ``column``; for a
    refusal, ``reason`` (and ``name``); for an exception, ``values`` (what the
    names on the failing line held: ``name -> info``, see README.md). Usable
    as a dict or with attributes; absent keys read as ``None``."""

    def __getattr__(self, key: str) -> Any:
        if key.startswith("__"):
            raise AttributeError(key)
        return self.get(key)


@dataclass
class RunResult:
    status: str
    stdout: str = ""
    stdout_truncated: bool = False
    error: ErrorInfo | None = None
    value: Any = None
    cpu_ms: float = 0.0
    wall_ms: float = 0.0
    turtle: list[dict] | None = field(default=None, repr=False)

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def to_dict(self) -> dict:
        d = {f.name: getattr(self, f.name) for f in fields(self)}
        d["error"] = dict(self.error) if self.error is not None else None
        return d

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False)

    @classmethod
    def from_dict(cls, d: dict) -> RunResult:
        error = d.get("error")
        return cls(
            status=d.get("status", "error"),
            stdout=d.get("stdout") or "",
            stdout_truncated=bool(d.get("stdout_truncated")),
            error=ErrorInfo(error) if isinstance(error, dict) else None,
            value=d.get("value"),
            cpu_ms=float(d.get("cpu_ms") or 0.0),
            wall_ms=float(d.get("wall_ms") or 0.0),
            turtle=d.get("turtle"),
        )
