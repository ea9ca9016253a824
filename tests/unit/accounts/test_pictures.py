"""The nine secret pictures: present, small, self-contained, labelled in the grid."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from codekids.accounts.secrets import PICTURES

PICTURE_DIR = Path(__file__).resolve().parents[3] / "static" / "pictures"


@pytest.mark.parametrize("name", PICTURES)
def test_picture_is_a_small_self_contained_svg(name):
    path = PICTURE_DIR / f"{name}.svg"
    data = path.read_bytes()
    assert len(data) < 2048
    root = ET.fromstring(data)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert root.get("viewBox")
    text = data.decode()
    # Nothing fetched from elsewhere, nothing that runs.
    assert "href" not in text and "<script" not in text and "url(" not in text
    assert text.count("http") == 1  # the namespace only


def test_every_picture_has_a_translated_label(app):
    from codekids.accounts.secrets import PICTURE_LABELS
    from codekids.accounts.views import picture_label

    assert set(PICTURE_LABELS) == set(PICTURES)
    with app.test_request_context():
        assert all(picture_label(n) for n in PICTURES)
