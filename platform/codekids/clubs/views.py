"""Stub: being written."""

from flask import Blueprint

bp = Blueprint("clubs", __name__)
