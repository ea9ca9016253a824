"""bank.texts: stored texts (keys and parameters) rendered in the reader's locale."""

from __future__ import annotations

import pytest

from codekids.bank import explanations
from codekids.bank.texts import KEYS, render_text, text


def test_a_parameter_that_is_one_of_our_words_is_rendered_in_the_readers_locale():
    stored = text("grading.drawing_missing", missing=text("grading.lines_missing", 3))
    assert stored == {"key": "grading.drawing_missing",
                      "params": {"missing": {"key": "grading.lines_missing", "num": 3}}}
    assert render_text(stored, "en") == "The drawing is different: 3 lines are missing."
    assert render_text(stored, "ro") == "Desenul este diferit: lipsesc 3 linii."
    assert render_text(stored, "hu") == "A rajz más: 3 vonal hiányzik."


def test_the_childs_words_stay_as_they_were_written():
    stored = text("explanation.misspelt_builtin.default", name="prînt", suggestion="print")
    for locale in ("ro", "en", "hu"):
        shown = render_text(stored, locale)
        assert "prînt" in shown and "print" in shown


def test_a_row_that_does_not_fit_this_version_still_renders():
    # A stored string (a row from before keys): shown as it was written.
    assert render_text("Programul s-a oprit cu o eroare.", "en") == (
        "Programul s-a oprit cu o eroare.")
    # A variant this version no longer has: its kind's default message.
    gone = {"key": "explanation.misspelt_builtin.gone",
            "params": {"name": "pritn", "suggestion": "print"}}
    assert render_text(gone, "en").startswith("You wrote pritn, but Python knows print.")
    # A parameter missing from the row: a blank, not a broken page.
    assert render_text({"key": "explanation.misspelt_builtin.default"}, "en").startswith(
        "You wrote …, but Python knows ….")
    assert render_text({"key": "nothing.we.know"}, "en") == ""
    assert render_text(None, "en") == ""


def test_a_key_that_does_not_exist_is_refused_when_stored():
    with pytest.raises(KeyError):
        text("grading.no_such_message")


def test_every_explanation_variant_has_a_key():
    for kind, explanation in explanations.REGISTRY.items():
        for variant, msgid in explanation.messages.items():
            assert KEYS[f"explanation.{kind}.{variant}"] == msgid
