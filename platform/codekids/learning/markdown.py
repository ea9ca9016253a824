"""Exercise statements: Markdown to HTML, safely.

Statements are written by coordinators, but they still reach children's
browsers, so raw HTML is never passed through (``html=False`` escapes it),
markdown-it's own link check refuses ``javascript:``/``data:`` URLs, and links
open with ``rel="noopener noreferrer"``.
"""

from __future__ import annotations

from functools import lru_cache

from markdown_it import MarkdownIt
from markupsafe import Markup


def _link_open(self, tokens, idx, options, env):
    token = tokens[idx]
    token.attrSet("rel", "noopener noreferrer")
    return self.renderToken(tokens, idx, options, env)


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.enable("table")
    md.add_render_rule("link_open", _link_open)
    return md


@lru_cache(maxsize=512)
def render_markdown(text: str) -> Markup:
    """HTML for a statement or a hint; cached, since the bank's texts never change at run time."""
    return Markup(_parser().render(text or ""))  # noqa: S704 - html=False: no raw HTML gets through
