"""CSV downloads for librarians, coordinators and partners: one way to write them.

Every cell goes through `csv_cell`, because these files are opened in spreadsheet
programs: a nickname, a club name or a line of a child's code that starts with
"=", "+", "-", "@" (or a tab or carriage return) would otherwise run as a formula.
"""

from __future__ import annotations

import csv
import io

from flask import Response

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value):
    if isinstance(value, str) and value[:1] in FORMULA_STARTS:
        return "'" + value
    return value


def csv_response(filename: str, header: list[str], rows) -> Response:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(header)
    for row in rows:
        writer.writerow([csv_cell(v) for v in row])
    # A BOM so that spreadsheet programs read ă, ș, ț right.
    resp = Response("\ufeff" + buf.getvalue(), mimetype="text/csv")
    resp.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    resp.headers["Cache-Control"] = "no-store"
    return resp
