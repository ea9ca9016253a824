"""Children's secrets: generation, storage and comparison."""

from __future__ import annotations

import pytest

from codekids.accounts import secrets


def test_picture_secrets_are_three_different_pictures_of_the_grid(app):
    for _ in range(50):
        s = secrets.generate("pictures")
        assert s.kind == "pictures"
        assert len(s.value) == 3 and len(set(s.value)) == 3
        assert set(s.value) <= set(secrets.PICTURES)


def test_word_secrets_are_a_noun_and_an_adjective(app):
    s = secrets.generate("words")
    assert s.value[0] in secrets.NOUNS and s.value[1] in secrets.ADJECTIVES
    assert s.words == f"{s.value[0]} {s.value[1]}"


def test_unknown_kind_is_refused():
    with pytest.raises(ValueError):
        secrets.generate("emoji")


def test_word_lists_need_no_diacritics_to_type():
    for word in secrets.NOUNS + secrets.ADJECTIVES:
        assert word.isascii() and word.isalpha() and word == word.lower()


@pytest.mark.parametrize(
    "typed",
    ["lup verde", "LUP VERDE", "  Lup   Verde ", "lúp vérde", "lup, verde", "lup-verde"],
)
def test_words_are_matched_in_any_case_spacing_or_diacritics(typed):
    stored = secrets.ChildSecret("words", ("lup", "verde"))
    assert secrets.matches(stored, "words", (typed,))


def test_romanian_comma_below_letters_fold_to_plain_letters():
    stored = secrets.ChildSecret("words", ("castor", "grabit"))
    assert secrets.matches(stored, "words", ("Caștor grăbiț",))
    assert secrets.normalise_words("ȘȚĂÎÂ") == ("staia",)


@pytest.mark.parametrize(
    "kind,answer",
    [
        ("words", ("verde lup",)),  # order matters
        ("words", ("lup",)),
        ("words", ("lup verde mare",)),
        ("pictures", ("lup", "verde")),  # kind must match
    ],
)
def test_wrong_words_do_not_match(kind, answer):
    assert not secrets.matches(secrets.ChildSecret("words", ("lup", "verde")), kind, answer)


def test_pictures_must_come_in_order():
    stored = secrets.ChildSecret("pictures", ("sun", "cat", "ball"))
    assert secrets.matches(stored, "pictures", ("sun", "cat", "ball"))
    assert not secrets.matches(stored, "pictures", ("cat", "sun", "ball"))
    assert not secrets.matches(stored, "pictures", ("sun", "cat"))
    assert not secrets.matches(None, "pictures", ("sun", "cat", "ball"))


def test_secrets_are_stored_encrypted_and_read_back(app):
    with app.app_context():
        secret = secrets.ChildSecret("pictures", ("star", "fish", "tree"))
        token = secrets.encrypt(secret)
        assert "star" not in token
        assert secrets.decrypt(token) == secret
        assert secrets.decrypt(None) is None
        assert secrets.decrypt("not a token") is None


def test_a_new_site_key_cannot_read_old_secrets(app):
    with app.app_context():
        token = secrets.encrypt(secrets.ChildSecret("words", ("lup", "verde")))
        app.config["CODEKIDS"].secret_key = "another-key-entirely"
        assert secrets.decrypt(token) is None
