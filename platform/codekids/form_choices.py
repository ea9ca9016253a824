"""One choice of a WTForms select or radio field, for every room's forms (a base module).

WTForms 3.3+ wants SelectChoice and deprecates (value, label) tuples; older versions
know only tuples. `option(value, label)` gives whichever the installed WTForms takes.
"""

from __future__ import annotations

try:
    from wtforms.fields.choices import SelectChoice
except ImportError:  # pragma: no cover - depends on the installed WTForms
    SelectChoice = None


def option(value: str, label) -> object:
    return SelectChoice(value, label) if SelectChoice else (value, label)
