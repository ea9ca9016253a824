"""Keep the message catalogs in step with the code.

    python scripts/i18n.py update    # extract strings, merge into ro/en/hu .po files
    python scripts/i18n.py compile   # .po -> .mo (the site reads the .mo files)
    python scripts/i18n.py missing   # list untranslated or fuzzy entries, exit 1 if any

Translators edit platform/codekids/translations/<lang>/LC_MESSAGES/messages.po.
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[1]
TRANSLATIONS = ROOT / "platform" / "codekids" / "translations"
LOCALES = ("ro", "en", "hu")
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None,
            "_l": None, "lazy_ngettext": (1, 2), "pgettext": ((1, "c"), 2)}


def extract() -> Catalog:
    with open(ROOT / "babel.cfg") as fh:
        method_map, options_map = parse_mapping_cfg(fh)
    catalog = Catalog(project="codekids", charset="utf-8")
    for filename, lineno, message, comments, context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=KEYWORDS, comment_tags=("TRANSLATORS:",)
    ):
        catalog.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return catalog


def po_path(locale: str) -> Path:
    return TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po"


def load(locale: str) -> Catalog:
    path = po_path(locale)
    if not path.exists():
        return Catalog(locale=locale, project="codekids", charset="utf-8")
    with open(path, "rb") as fh:
        return read_po(fh, locale=locale)


def update() -> None:
    template = extract()
    for locale in LOCALES:
        catalog = load(locale)
        catalog.update(template, no_fuzzy_matching=True)
        if locale == "en":
            # The msgids are English: the English catalog is filled from them.
            for message in catalog:
                if not message.id:
                    continue
                if isinstance(message.id, tuple):  # plural: (singular, plural)
                    if not all(message.string or ()):
                        message.string = tuple(message.id)
                elif not message.string:
                    message.string = message.id
        path = po_path(locale)
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "wb") as fh:
            write_po(fh, catalog, width=100, omit_header=False, sort_output=False,
                     ignore_obsolete=True, include_previous=False)
        print(f"{path.relative_to(ROOT)}: {len(catalog)} messages")


def compile_all() -> None:
    for locale in LOCALES:
        catalog = load(locale)
        with open(po_path(locale).with_suffix(".mo"), "wb") as fh:
            write_mo(fh, catalog, use_fuzzy=False)


def missing() -> int:
    template = extract()
    problems = 0
    for locale in LOCALES:
        catalog = load(locale)
        for message in template:
            if not message.id:
                continue
            entry = catalog.get(message.id, context=message.context)
            strings = entry.string if entry is not None else None
            if isinstance(strings, tuple):
                empty = not all(strings)
            else:
                empty = not strings
            if entry is None or empty or entry.fuzzy:
                problems += 1
                print(f"{locale}: {message.id!r}")
    return 1 if problems else 0


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else ""
    if command == "update":
        update()
    elif command == "compile":
        compile_all()
    elif command == "missing":
        sys.exit(missing())
    else:
        print(__doc__)
        sys.exit(2)
