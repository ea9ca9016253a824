"""The three catalogs are complete, compiled, and Romanian is written correctly."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest
from babel.messages.mofile import read_mo

ROOT = Path(__file__).resolve().parents[2]
spec = importlib.util.spec_from_file_location("i18n_script", ROOT / "scripts" / "i18n.py")
i18n_script = importlib.util.module_from_spec(spec)
spec.loader.exec_module(i18n_script)

PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


@pytest.fixture(scope="module")
def source_messages():
    catalog = i18n_script.extract()
    return [m for m in catalog if m.id]


@pytest.mark.parametrize("locale", i18n_script.LOCALES)
def test_catalog_has_every_string_translated(locale, source_messages):
    catalog = i18n_script.load(locale)
    problems = []
    for message in source_messages:
        entry = catalog.get(message.id, context=message.context)
        if entry is None:
            problems.append(f"missing: {message.id!r}")
            continue
        strings = entry.string if isinstance(entry.string, tuple) else (entry.string,)
        if not all(strings) or entry.fuzzy:
            problems.append(f"untranslated or fuzzy: {message.id!r}")
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        wanted = set(PLACEHOLDER.findall(ids[0]))
        for s in strings:
            if set(PLACEHOLDER.findall(s)) != wanted:
                problems.append(f"placeholders differ: {message.id!r} -> {s!r}")
    assert not problems, f"{locale} catalog:\n" + "\n".join(problems)


def _pair(message) -> tuple:
    """(ids, strings) as tuples: .po plurals come as tuples, .mo plurals as lists."""

    def as_tuple(value):
        return tuple(value) if isinstance(value, (list, tuple)) else (value,)

    return as_tuple(message.id), as_tuple(message.string)


@pytest.mark.parametrize("locale", i18n_script.LOCALES)
def test_compiled_catalog_matches_the_po_file(locale):
    po = i18n_script.load(locale)
    mo_path = i18n_script.po_path(locale).with_suffix(".mo")
    with open(mo_path, "rb") as fh:
        mo = read_mo(fh)
    po_pairs = {_pair(m) for m in po if m.id and not m.fuzzy}
    mo_pairs = {_pair(m) for m in mo if m.id}
    assert po_pairs == mo_pairs, "run: python scripts/i18n.py compile"


def test_romanian_uses_comma_below_not_cedilla():
    text = i18n_script.po_path("ro").read_text(encoding="utf-8")
    assert "ş" not in text and "ţ" not in text and "Ş" not in text and "Ţ" not in text
    assert "ș" in text or "ț" in text


def test_romanian_is_the_default_and_others_switch(client):
    ro = client.get("/copii").get_data(as_text=True)
    client.post("/language", data={"lang": "hu"})
    hu = client.get("/copii").get_data(as_text=True)
    client.post("/language", data={"lang": "en"})
    en = client.get("/copii").get_data(as_text=True)
    assert 'lang="ro"' in ro and 'lang="hu"' in hu and 'lang="en"' in en
    assert len({ro, hu, en}) == 3


# Words that really are the same in the language (a brand, a loanword).
SAME_IN_TRANSLATION = {"ro": {"CODE Kids", "Club"}, "hu": {"CODE Kids"}}


@pytest.mark.parametrize("locale", ["ro", "hu"])
def test_no_english_copies_left_in_a_translated_catalog(locale):
    """An entry whose translation is its English msgid was copied, not translated
    (seen more than once while several people merged catalogs)."""
    catalog = i18n_script.load(locale)
    copies = [m.id for m in catalog
              if m.id and not isinstance(m.id, tuple) and m.string == m.id
              and m.id not in SAME_IN_TRANSLATION[locale]]
    assert not copies, f"{locale}: English left untranslated: {copies}"
