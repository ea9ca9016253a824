"""Keep the message catalogs in step with the code.

    python scripts/i18n.py update    # extract strings, merge into ro/en/hu .po files
    python scripts/i18n.py compile   # .po -> .mo (the site reads the .mo files)
    python scripts/i18n.py missing   # list untranslated or fuzzy entries, exit 1 if any
    python scripts/i18n.py add FILE.json   # update, fill ro/hu from FILE, compile

FILE.json maps each English msgid to its translations, {"msgid": {"ro": "…", "hu": "…"}};
a plural entry gives lists, {"one file": {"plural": "%(num)s files", "ro": ["…", "…", "…"],
"hu": ["…", "…"]}}. ``add`` holds a lock on the catalogs while it reads and writes them,
so several people (or helpers) adding strings at the same time do not undo each other.

Translators edit platform/codekids/translations/<lang>/LC_MESSAGES/messages.po.
"""

from __future__ import annotations

import fcntl
import json
import sys
from contextlib import contextmanager
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
            "_l": None, "lazy_ngettext": (1, 2), "pgettext": ((1, "c"), 2),
            "_ln": (1, 2)}  # codekids.bank.texts: a counted message stored as a key


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


@contextmanager
def _catalog_lock():
    with open(TRANSLATIONS / ".lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def add(path: str) -> int:
    """Extract, then set the given translations, then compile: all under the catalog lock."""
    with open(path, encoding="utf-8") as fh:
        wanted = json.load(fh)
    with _catalog_lock():
        update()
        unknown = []
        for locale in ("ro", "hu"):
            catalog = load(locale)
            for msgid, entry in wanted.items():
                key = (msgid, entry["plural"]) if "plural" in entry else msgid
                message = catalog.get(key if isinstance(key, str) else key[0])
                if message is None:
                    unknown.append(msgid)
                    continue
                text = entry[locale]
                message.string = tuple(text) if isinstance(text, list) else text
                message.flags.discard("fuzzy")
            with open(po_path(locale), "wb") as fh:
                write_po(fh, catalog, width=100, omit_header=False, sort_output=False,
                         ignore_obsolete=True, include_previous=False)
        compile_all()
    for msgid in dict.fromkeys(unknown):
        print(f"not in the code (nothing extracted): {msgid!r}")
    return 1 if unknown else 0


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else ""
    if command == "update":
        update()
    elif command == "compile":
        compile_all()
    elif command == "missing":
        sys.exit(missing())
    elif command == "add" and len(sys.argv) == 3:
        sys.exit(add(sys.argv[2]))
    else:
        print(__doc__)
        sys.exit(2)
