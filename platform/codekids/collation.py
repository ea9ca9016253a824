"""Lists in the reader's alphabet: CLDR collation through ICU (DESIGN.md §6).

Romanian puts Ă and Â after A, Î after I, Ș after S and Ț after T; Hungarian has
cs, dz, gy, ly, ny, sz, ty and zs as letters of their own ("Csaba" after "Cecília",
"Zsolt" after "Zoltán"). Neither ``lower()`` nor the database's ORDER BY knows this
(SQLite compares code points; PostgreSQL uses whatever collation the server was
created with), so names that a person reads are fetched unordered, or in an order
that does not matter, and sorted here in Python with the collator of the language the
page is shown in. No list of names is paginated in the database, so sorting after the
query shows every row in the right place.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import TypeVar

import icu
from flask import has_request_context
from flask_babel import get_locale

T = TypeVar("T")

# ICU collators are cheap to share for reading, but ICU does not promise that one object
# may serve two threads at the same moment; gunicorn's threads each keep their own.
_per_thread = threading.local()


def _collator(locale: str) -> icu.Collator:
    cache = getattr(_per_thread, "collators", None)
    if cache is None:
        cache = _per_thread.collators = {}
    found = cache.get(locale)
    if found is None:
        found = cache[locale] = icu.Collator.createInstance(icu.Locale(locale))
    return found


def reader_locale() -> str:
    """The language of the page being shown (Romanian outside a request: the CLI)."""
    if has_request_context():
        chosen = get_locale()
        if chosen is not None:
            return str(chosen)
    return "ro"


def sort_key(locale: str | None = None) -> Callable[[str | None], bytes]:
    """A key function ordering strings as the language's alphabet does."""
    collator = _collator(locale or reader_locale())
    return lambda text: collator.getSortKey(text or "")


def sorted_by(items: Iterable[T], key: Callable[[T], str | None | tuple[str | None, ...]],
              locale: str | None = None) -> list[T]:
    """`items` in the alphabetical order of `key(item)` for the reader (or `locale`);
    a key may be a tuple of names (county, then club), compared one after the other."""
    by = sort_key(locale)

    def order(item: T):
        value = key(item)
        return tuple(map(by, value)) if isinstance(value, tuple) else by(value)

    return sorted(items, key=order)


def alphabetical(items: Iterable[T], attribute: str = "") -> list[T]:
    """The template filter: ``clubs|alphabetical("name")``."""
    if not attribute:
        return sorted_by(items, lambda item: item)
    return sorted_by(items, lambda item: getattr(item, attribute))
