"""Children's secrets: three pictures in order out of nine, or a pair of words.

Secrets are small by design (an 8-year-old must remember one), so the real
protection is the lockout in accounts.service. They are stored encrypted with a
key derived from the site's secret key, so the librarian can reprint a login card
but a copy of the database alone reveals nothing.
"""

from __future__ import annotations

import base64
import functools
import hmac
import secrets as _random
import unicodedata
from dataclasses import dataclass

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app
from flask_babel import lazy_gettext as _l

# The order is the order of the grid on screen; files live in static/pictures/.
PICTURES = ("sun", "tree", "cat", "fish", "house", "star", "apple", "ball", "flower")
PICTURE_COUNT = 3
# Said under each picture (login grid, printed cards) so a grey print or a colour-blind
# child still knows it; also the pictures' alt text.
PICTURE_LABELS = {
    "sun": _l("sun"),
    "tree": _l("tree"),
    "cat": _l("cat"),
    "fish": _l("fish"),
    "house": _l("house"),
    "star": _l("star"),
    "apple": _l("apple"),
    "ball": _l("ball"),
    "flower": _l("flower"),
}
assert set(PICTURE_LABELS) == set(PICTURES), "a new picture needs a label"

# Romanian words with no diacritics (easy to type on any keyboard), masculine
# nouns and adjectives so every pair is grammatical: "lup verde", "robot vesel".
NOUNS = (
    "lup", "urs", "iepure", "cal", "melc", "arici", "delfin", "leu", "tigru",
    "porumbel", "papagal", "fluture", "elefant", "pinguin", "castor", "ponei",
    "dinozaur", "dragon", "robot", "pirat", "balaur", "motan", "hamster", "cangur",
    "crocodil", "vultur", "corb", "pelican",
)
ADJECTIVES = (
    "verde", "albastru", "galben", "mov", "alb", "negru", "portocaliu", "roz",
    "auriu", "argintiu", "vesel", "iute", "mic", "mare", "bun", "curajos", "harnic",
    "voinic", "cuminte", "zglobiu", "fermecat", "celebru", "misterios", "rapid",
    "pufos", "vioi", "pitic", "grabit",
)


@dataclass(frozen=True)
class ChildSecret:
    kind: str  # "pictures" or "words"
    value: tuple[str, ...]

    def serialise(self) -> str:
        return f"{self.kind}:{','.join(self.value)}"

    @classmethod
    def parse(cls, raw: str) -> ChildSecret:
        kind, _, rest = raw.partition(":")
        return cls(kind, tuple(rest.split(",")))

    @property
    def words(self) -> str:
        return " ".join(self.value)


def generate(kind: str) -> ChildSecret:
    rng = _random.SystemRandom()
    if kind == "pictures":
        return ChildSecret("pictures", tuple(rng.sample(PICTURES, PICTURE_COUNT)))
    if kind == "words":
        return ChildSecret("words", (rng.choice(NOUNS), rng.choice(ADJECTIVES)))
    raise ValueError(f"unknown secret kind {kind!r}")


def _fernet() -> Fernet:
    return _fernet_for(current_app.config["CODEKIDS"].secret_key)


@functools.lru_cache(maxsize=8)
def _fernet_for(secret_key: str) -> Fernet:
    """The key is derived once per site key, not on every login (the tests' apps each
    have their own site key: a few are remembered)."""
    derived = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=b"codekids", info=b"child secrets"
    ).derive(secret_key.encode())
    return Fernet(base64.urlsafe_b64encode(derived))


def encrypt(secret: ChildSecret) -> str:
    return _fernet().encrypt(secret.serialise().encode()).decode()


def decrypt(token: str | None) -> ChildSecret | None:
    """None when absent or unreadable (e.g. the site's secret key was replaced)."""
    if not token:
        return None
    try:
        return ChildSecret.parse(_fernet().decrypt(token.encode()).decode())
    except (InvalidToken, ValueError):
        return None


def normalise_words(text: str) -> tuple[str, ...]:
    """What a child types: any case, extra spaces, with or without diacritics."""
    stripped = "".join(
        c for c in unicodedata.normalize("NFKD", text.lower()) if not unicodedata.combining(c)
    )
    return tuple(stripped.replace(",", " ").replace("-", " ").split())


def matches(stored: ChildSecret | None, kind: str, answer: tuple[str, ...]) -> bool:
    if stored is None or stored.kind != kind:
        return False
    if kind == "words":
        answer = normalise_words(" ".join(answer))
    # Constant-time, so the comparison leaks nothing about how close a guess was.
    return hmac.compare_digest(",".join(stored.value).encode(), ",".join(answer).encode())
