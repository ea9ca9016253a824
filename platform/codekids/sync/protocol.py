"""The sync protocol between a club laptop (the box) and the national server.

Both sides are this same site: the box on SQLite, the national server on
PostgreSQL. This module is what both agree on, and nothing else: the shape of a
batch and of its answer, their limits, the reasons for a refusal, and the hash
that says whether two copies of an exercise are the same version.

A batch (JSON, gzip-compressed, POSTed to ``/api/v1/sync/batches`` with
``Authorization: Bearer <token>``)::

    {"protocol": 1,
     "batch": "<32 hex: made on the box, the same when the batch is sent again>",
     "sent_at": "2026-12-04T10:00:00Z",            # the box's clock: informative only
     "items": [
        {"item": "<32 hex: one per submission on the box, never reused>",
         "kind": "exercise",                        # or "project" (a playground run)
         "exercise": "intro-01", "exercise_hash": "<64 hex>",   # kind "exercise"
         "project": "<32 hex: the box's project, pseudonymous>", # kind "project"
         "child": "<32 hex: the box's pseudonym for the child>",
         "source": "print('Salut')",
         "written_at": "2026-12-01T09:30:00Z"},     # the box's clock: informative only
        ...],
     "totals": {"lines": 1234, "items": 56, "children": 14}}   # the box's own counts

The answer (200, JSON)::

    {"protocol": 1, "batch": "<the same>", "repeated": false,
     "results": [{"item": "...", "status": "accepted", "lines": 3},
                 {"item": "...", "status": "rejected", "reason": "fails_tests", "lines": 0}],
     "lines": 3,                                    # counted nationally for this batch
     "box_totals_seen": {...}}

Refusals: 401 ``{"error": "token_unknown"}`` or ``{"error": "token_revoked"}``;
400 ``{"error": "bad_batch", "detail": "..."}``; 413 ``{"error": "too_large"}``.
The national server applies a batch in one transaction; a batch whose id it has
seen answers the stored answer again (``repeated: true``) and adds nothing; an
item whose id it has seen (sent again in a new batch after a lost answer) gets
its first result again and adds nothing.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

PROTOCOL = 1
PATH = "/api/v1/sync/batches"

MAX_ITEMS = 200  # items in one batch
MAX_BATCH_BYTES = 256 * 1024  # a batch's compressed body
MAX_BODY_BYTES = 4 * 1024 * 1024  # a batch's uncompressed body
MAX_SOURCE_CHARS = 20_000  # one item's source (the site's own limit is lower)

KINDS = ("exercise", "project")

# Why the national server did not accept an item (keys; their texts for
# coordinators are in sync/texts.py and the catalogs).
UNKNOWN_EXERCISE = "unknown_exercise"  # "exercițiu necunoscut"
FAILS_TESTS = "fails_tests"  # "nu trece testele"
OTHER_VERSION = "other_version"  # "altă versiune a exercițiului"
RUN_FAILED = "run_failed"  # a playground program that does not run without an error
BAD_ITEM = "bad_item"  # malformed: wrong types, too long, unknown kind
REASONS = (UNKNOWN_EXERCISE, FAILS_TESTS, OTHER_VERSION, RUN_FAILED, BAD_ITEM)

TOKEN_UNKNOWN = "token_unknown"
TOKEN_REVOKED = "token_revoked"

_HEX32 = re.compile(r"[0-9a-f]{32}\Z")


def new_key() -> str:
    """A fresh random id: a batch's, an item's, a child's pseudonym, a project's."""
    import secrets

    return secrets.token_hex(16)


def is_key(value: Any) -> bool:
    return isinstance(value, str) and bool(_HEX32.match(value))


def exercise_hash(exercise) -> str:
    """The version of an exercise: what decides whether a program passes it.

    sha256 over the canonical JSON of its tests (kind, stdin, compare, spec,
    hidden), its compare mode and tolerance, its starter and its line cap; not
    its texts (a translation fixed on one side changes no verdict)."""
    data = {
        "id": exercise.id,
        "tests": [
            {"kind": t.kind, "stdin": t.stdin, "compare": t.compare, "hidden": t.hidden,
             "spec": t.spec}
            for t in exercise.tests
        ],
        "compare": exercise.compare,
        "tolerance": exercise.tolerance,
        "starter": exercise.starter,
        "max_lines": exercise.max_lines,
    }
    blob = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"),
                      default=str)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def token_hash(token: str) -> str:
    """How the national server keeps a box's token: a token is 32 random bytes,
    so a plain sha256 is enough (no password KDF is needed to stop guessing)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def check_item(item: Any) -> str | None:
    """None when ``item`` has the protocol's shape, else BAD_ITEM."""
    if not isinstance(item, dict):
        return BAD_ITEM
    if not (is_key(item.get("item")) and is_key(item.get("child"))):
        return BAD_ITEM
    kind = item.get("kind")
    if kind not in KINDS:
        return BAD_ITEM
    source = item.get("source")
    if not isinstance(source, str) or len(source) > MAX_SOURCE_CHARS:
        return BAD_ITEM
    if kind == "exercise":
        if not isinstance(item.get("exercise"), str) or len(item["exercise"]) > 64:
            return BAD_ITEM
        if not isinstance(item.get("exercise_hash"), str) or len(item["exercise_hash"]) != 64:
            return BAD_ITEM
    elif not is_key(item.get("project")):
        return BAD_ITEM
    written = item.get("written_at")
    if written is not None and (not isinstance(written, str) or len(written) > 40):
        return BAD_ITEM
    return None


def check_batch(batch: Any) -> str | None:
    """None when ``batch`` has the protocol's shape (items checked one by one
    later), else a short English detail for the 400 answer."""
    if not isinstance(batch, dict):
        return "not an object"
    if batch.get("protocol") != PROTOCOL:
        return "unknown protocol"
    if not is_key(batch.get("batch")):
        return "bad batch id"
    items = batch.get("items")
    if not isinstance(items, list) or len(items) > MAX_ITEMS:
        return f"items: a list of at most {MAX_ITEMS}"
    totals = batch.get("totals", {})
    if not isinstance(totals, dict) or not all(
        isinstance(v, int) and not isinstance(v, bool) for v in totals.values()
    ):
        return "totals: numbers only"
    return None
