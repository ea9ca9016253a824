"""Every CSV download guards against spreadsheet formulas in one place."""

from codekids.csv_export import csv_cell, csv_response


def test_cells_that_a_spreadsheet_would_run_stay_text():
    for value in ("=HYPERLINK(\"http://x\")", "+1", "-2+3", "@SUM(A1)", "\tx", "\rx"):
        assert csv_cell(value) == "'" + value
    assert csv_cell("Ana") == "Ana" and csv_cell(5) == 5 and csv_cell(-5) == -5


def test_response_has_a_bom_an_attachment_name_and_no_cache(app):
    with app.test_request_context():
        resp = csv_response("x.csv", ["name"], [["=cmd"], ["Ștefan"]])
    body = resp.get_data(as_text=True)
    assert body.startswith("\ufeffname\r\n'=cmd\r\nȘtefan")
    assert resp.headers["Content-Disposition"] == 'attachment; filename="x.csv"'
    assert resp.headers["Cache-Control"] == "no-store"
