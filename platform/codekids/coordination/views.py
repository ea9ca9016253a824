"""Stub: being written."""

from flask import Blueprint

bp = Blueprint("coordination", __name__)
