"""Imports every room's models so that the metadata (and Alembic) sees all tables."""

from codekids.accounts.models import Invitation, LoginAttempt, User  # noqa: F401
from codekids.clubs.models import (  # noqa: F401
    Attendance,
    Club,
    ClubSession,
    County,
    librarian_clubs,
)
from codekids.counter.models import (  # noqa: F401
    Adjustment,
    AuditEntry,
    ChildDay,
    CountedLine,
    CounterDay,
    CounterTotal,
)
from codekids.db import Base  # noqa: F401
from codekids.learning.models import (  # noqa: F401
    Assignment,
    Draft,
    HintUse,
    Progress,
    Project,
    Submission,
)
from codekids.sync.models import (  # noqa: F401
    SyncBatch,
    SyncBox,
    SyncChild,
    SyncItem,
    SyncOutbox,
    SyncProject,
    SyncProjectKey,
    SyncPseudonym,
    SyncSettings,
)
