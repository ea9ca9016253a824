"""What coordinators read for the protocol's keys (protocol.REASONS, a box's state)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from codekids.sync import protocol

REASONS = {
    protocol.UNKNOWN_EXERCISE: _l("unknown exercise"),
    protocol.FAILS_TESTS: _l("does not pass the tests"),
    protocol.OTHER_VERSION: _l("another version of the exercise"),
    protocol.RUN_FAILED: _l("the program does not run without an error"),
    protocol.BAD_ITEM: _l("wrong data"),
}


def reason_text(reason: str | None) -> str:
    return str(REASONS.get(reason or protocol.BAD_ITEM, REASONS[protocol.BAD_ITEM]))
