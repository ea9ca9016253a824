"""The counter's pages: the coordinator's dashboard (with CSV downloads and historical
adjustments), the public JSON API and the embeddable widget.

Every figure comes from the stored totals and day buckets (counter.service): no
page scans submissions or the ledger, so they cost the same at a thousand
submissions as at a million.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date
from pathlib import Path

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from codekids import db
from codekids.clubs import service as clubs
from codekids.clubs.models import Club
from codekids.coordination.forms import option
from codekids.counter import service
from codekids.counter.forms import AdjustmentForm
from codekids.counter.models import CLUB, COUNTY, NATION, NATION_KEY
from codekids.csv_export import csv_response

bp = Blueprint("counter", __name__)

MAP_FILE = Path(__file__).parent / "data" / "romania-counties.json"
_map_cache: dict | None = None


def _scope() -> tuple[str, int]:
    """A county coordinator sees their county; a national one the nation."""
    if current_user.county_id is None:
        return NATION, NATION_KEY
    return COUNTY, current_user.county_id


def _scope_county() -> int | None:
    return current_user.county_id


def romania_map() -> dict:
    global _map_cache
    if _map_cache is None:
        _map_cache = json.loads(MAP_FILE.read_text(encoding="utf-8"))
    return _map_cache


def map_shapes(rows: list[service.CountyRow]) -> list[dict]:
    """Each county's outline and a shade 0-5 by its counted lines (0: none yet)."""
    paths = romania_map()["counties"]
    top = max((r.counted for r in rows), default=0)
    shapes = []
    for r in rows:
        if r.code not in paths:
            continue
        shade = 0 if r.counted <= 0 or top <= 0 else 1 + min(4, (5 * r.counted - 1) // top)
        shapes.append({"code": r.code, "name": r.name, "counted": r.counted,
                       "historical": r.historical, "shade": shade, "path": paths[r.code]})
    return shapes


def bar_chart(points: list[tuple[date, int]], width: int = 600, height: int = 160) -> dict:
    """Bars for a server-rendered SVG (works without JavaScript)."""
    top = max((n for _d, n in points), default=0) or 1
    step = width / max(1, len(points))
    bars = []
    for i, (day, n) in enumerate(points):
        h = round(height * n / top, 1)
        bars.append({"x": round(i * step + step * 0.1, 1), "w": round(step * 0.8, 1),
                     "y": round(height - h, 1), "h": h, "day": day, "lines": n})
    return {"bars": bars, "width": width, "height": height, "top": top if top != 1 or
            any(n for _d, n in points) else 0}


@bp.get("/coordonare/contor")
def dashboard():
    scope, key = _scope()
    sort = request.args.get("sort", "lines")
    if sort not in service.CLUB_SORTS:
        sort = "lines"
    counties = service.county_rows(_scope_county())
    trend = service.trend(scope, key)
    return render_template(
        "coordinator/counter.html",
        summary=service.summary(scope, key),
        national=service.national_summary(),
        scope=scope,
        counties=counties,
        shapes=map_shapes(counties) if scope == NATION else [],
        map_box=romania_map()["viewBox"],
        map_source=romania_map()["source"],
        clubs=service.club_rows(_scope_county(), sort),
        sort=sort,
        daily=bar_chart(trend.daily),
        weekly=bar_chart(trend.weekly),
        week=service.week_lines(scope, key),
    )


@bp.get("/coordonare/contor/judete.csv")
def counties_csv():
    rows = service.county_rows(_scope_county())
    return csv_response("counter-counties.csv",
                ["county_code", "county", "counted_lines", "historical_lines", "total"],
                ([r.code, r.name, r.counted, r.historical, r.total] for r in rows))


@bp.get("/coordonare/contor/cluburi.csv")
def clubs_csv():
    rows = service.club_rows(_scope_county(), request.args.get("sort", "lines"))
    return csv_response("counter-clubs.csv",
                ["club_id", "club", "town", "county", "counted_lines", "historical_lines",
                 "children", "active_children_7_days", "last_activity_utc"],
                ([r.id, r.name, r.town, r.county, r.counted, r.historical, r.children,
                  r.active_week, r.last_activity.isoformat(timespec="seconds")
                  if r.last_activity else ""] for r in rows))


@bp.get("/coordonare/contor/evolutie.csv")
def trend_csv():
    scope, key = _scope()
    trend = service.trend(scope, key, days=365, weeks=53)
    rows = [("day", d.isoformat(), n) for d, n in trend.daily]
    rows += [("week", d.isoformat(), n) for d, n in trend.weekly]
    return csv_response("counter-trend.csv", ["period", "start", "counted_lines"], rows)


@bp.get("/coordonare/contor/ajustari.csv")
def adjustments_csv():
    rows = service.adjustments(_scope_county())
    return csv_response("counter-adjustments.csv",
                ["id", "scope", "club", "county", "lines", "date", "reason", "recorded_by",
                 "recorded_at_utc"],
                ([a.id, a.scope, a.club.name if a.club else "",
                  a.county.name if a.county else "", a.amount, a.day.isoformat(), a.reason,
                  a.created_by.label if a.created_by else "",
                  a.created_at.isoformat(timespec="seconds")] for a in rows))


ADJUSTMENT_PROBLEMS = {
    "scope": lambda: _("You may record lines only inside your own county."),
    "target": lambda: _("Please choose the club or county the lines belong to."),
    "amount": lambda: _("The number of lines cannot be zero."),
    "reason": lambda: _("Please fill this in."),
}


@bp.route("/coordonare/contor/ajustari", methods=["GET", "POST"])
def adjustments():
    form = AdjustmentForm()
    form.county_id.choices = [option(str(c.id), c.name)
                              for c in clubs.counties_in_scope(current_user)]
    form.club_id.choices = [option(str(c.id), f"{c.name} — {c.town} ({c.county.name})")
                            for c in clubs.clubs_in_scope(current_user)]
    if current_user.county_id is not None:
        form.scope.choices = [c for c in form.scope.choices
                              if (c.value if hasattr(c, "value") else c[0]) != NATION]
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                service.record_adjustment(
                    current_user, scope=form.scope.data, amount=form.amount.data,
                    day=form.day.data, reason=form.reason.data,
                    club_id=form.club_id.data if form.scope.data == CLUB else None,
                    county_id=form.county_id.data if form.scope.data == COUNTY else None,
                )
            except service.AdjustmentError as exc:
                db.session.rollback()
                flash(ADJUSTMENT_PROBLEMS[exc.code](), "error")
                status = 400
            else:
                flash(_("The lines were recorded."), "success")
                return redirect(url_for("counter.adjustments"))
        else:
            status = 400
    return render_template(
        "coordinator/counter_adjustments.html",
        form=form,
        entries=service.adjustments(_scope_county()),
        audit=service.audit_log(_scope_county()),
    ), status


# ---- public ---------------------------------------------------------------------------


def public_counter() -> dict:
    nat = service.national_summary()
    return {
        "national": {"counted": nat.counted, "historical": nat.historical, "total": nat.total},
        "counties": [
            {"code": r.code, "name": r.name, "counted": r.counted, "historical": r.historical,
             "total": r.total}
            for r in service.county_rows()
        ],
        "updated_at": nat.updated_at.isoformat(timespec="seconds") + "Z"
        if nat.updated_at else None,
    }


PUBLIC_MAX_AGE = 10


@bp.get("/api/v1/counter")
def api():
    body = json.dumps(public_counter(), ensure_ascii=False, sort_keys=True,
                      separators=(",", ":"))
    resp = Response(body, mimetype="application/json")
    resp.set_etag(hashlib.sha256(body.encode("utf-8")).hexdigest()[:32])
    resp.headers["Cache-Control"] = f"public, max-age={PUBLIC_MAX_AGE}"
    # A public figure: the initiative's own website may read it from its pages.
    resp.headers["Access-Control-Allow-Origin"] = "*"
    return resp.make_conditional(request)


@bp.get("/counter/embed")
def embed():
    resp = Response(render_template("counter/embed.html", national=service.national_summary(),
                                    interval=PUBLIC_MAX_AGE * 1000))
    resp.headers["Cache-Control"] = f"public, max-age={PUBLIC_MAX_AGE}"
    # Other websites frame this page on purpose: it is in
    # security_headers.FRAMEABLE_ENDPOINTS (frame-ancestors *, no X-Frame-Options).
    return resp


# ---- the librarian's club page --------------------------------------------------------


def club_summary(club_id: int) -> dict:
    club = db.session.get(Club, club_id)
    if club is None:
        abort(404)
    s = service.summary(CLUB, club.id)
    return {"counted": s.counted, "historical": s.historical,
            "week": service.week_lines(CLUB, club.id)}

