"""The counter's pages: the coordinator's dashboard (with CSV downloads and historical
adjustments), the public JSON API and the embeddable widget.

Every figure comes from the stored totals and day buckets (counter.service): no
page scans submissions or the ledger, so they cost the same at a thousand
submissions as at a million.

Language: the embed is read by the public of whatever site frames it, so it speaks
the language asked in its address (``?lang=hu``), else the browser's
Accept-Language, else the site's default (Romanian); never the session's, because a
shared cache keeps the answer (``Vary: Accept-Language``). The dashboard and its CSV
files take ``?lang=`` too, else the coordinator's own choice.
"""

from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from babel.dates import format_skeleton
from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import force_locale, get_locale, lazy_gettext
from flask_babel import gettext as _
from flask_login import current_user

from codekids import db
from codekids.clubs import service as clubs
from codekids.counter import service
from codekids.counter.forms import AdjustmentForm
from codekids.counter.models import CLUB, COUNTY, NATION, NATION_KEY
from codekids.csv_export import csv_response
from codekids.form_choices import option
from codekids.i18n import LANGUAGES, format_number, iso_local

bp = Blueprint("counter", __name__)

MAP_FILE = Path(__file__).parent / "data" / "romania-counties.json"
_map_cache: dict | None = None
# The credit the map's licence (CC BY 4.0) asks for, shown in the dashboard's footer.
MAP_CREDIT = {
    "work": "svg-maps (Romania)", "work_url": "https://github.com/VictorCazanave/svg-maps",
    "author": "Popa Ioan Alexandru",
    "licence": "CC BY 4.0", "licence_url": "https://creativecommons.org/licenses/by/4.0/",
}


def public_language() -> str:
    """The embed's language: ?lang=, then Accept-Language, then the site's default."""
    asked = request.args.get("lang", "")
    if asked in LANGUAGES:
        return asked
    return (request.accept_languages.best_match(list(LANGUAGES))
            or current_app.config["CODEKIDS"].default_locale)


def reader_language() -> str:
    """The dashboard's (and its CSV files') language: ?lang=, then the reader's own."""
    asked = request.args.get("lang", "")
    return asked if asked in LANGUAGES else str(get_locale())


# Lines counted from club laptops, by county: the sync room (above this one) registers
# its function here (sync/views.init_app); without it, every line was written on the site.
SYNCED = "codekids_counter_synced"


def synced_by_county() -> dict[int, int]:
    counted = current_app.extensions.get(SYNCED)
    return counted() if counted is not None else {}


def by_source(summary: service.Summary, county_id: int | None) -> dict:
    """The total by source: written on the site, synced from club laptops, from before."""
    synced_counties = synced_by_county()
    synced = (synced_counties.get(county_id, 0) if county_id is not None
              else sum(synced_counties.values()))
    return {"on_site": summary.counted - synced, "synced": synced,
            "historical": summary.historical}


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


def shade_of(counted: int, top: int) -> int:
    """0 (no lines yet) to 5 (the top fifth of the busiest county's lines)."""
    return 0 if counted <= 0 or top <= 0 else 1 + min(4, (5 * counted - 1) // top)


def map_shapes(rows: list[service.CountyRow]) -> list[dict]:
    """Each county's outline and a shade 0-5 by its counted lines (0: none yet)."""
    paths = romania_map()["counties"]
    top = max((r.counted for r in rows), default=0)
    shapes = []
    for r in rows:
        if r.code not in paths:
            continue
        shapes.append({"code": r.code, "name": r.name, "counted": r.counted,
                       "historical": r.historical, "shade": shade_of(r.counted, top),
                       "path": paths[r.code]})
    return shapes


@dataclass
class LegendStep:
    shade: int
    low: int  # 0 for "no lines yet"
    high: int


def map_legend(rows: list[service.CountyRow]) -> list[LegendStep]:
    """What each shade of the map means: the range of lines it stands for (shade_of's
    inverse), leaving out shades no number can reach when the busiest county is small."""
    top = max((r.counted for r in rows), default=0)
    steps = [LegendStep(0, 0, 0)]
    for shade in range(1, 6):
        # shade_of gives `shade` exactly when (shade-1)·top <= 5n-1 < shade·top.
        low = -(-((shade - 1) * top + 1) // 5)
        high = top if shade == 5 else -(-(shade * top + 1) // 5) - 1
        if 1 <= low <= high:
            steps.append(LegendStep(shade, low, high))
    return steps


def nice_ceiling(n: int) -> int:
    """The smallest of 1, 2, 5, 10, 20, 50, … that is at least n: a round top for an axis."""
    step = 1
    while True:
        for m in (1, 2, 5):
            if step * m >= n:
                return step * m
        step *= 10


# The charts' drawing area inside the SVG's viewBox, with room for the axes' labels.
CHART = {"width": 800, "height": 230, "left": 64, "right": 12, "top": 12, "bottom": 52}


def bar_chart(points: list[tuple[date, int]]) -> dict:
    """Bars, axes and their labels for a server-rendered SVG (works without JavaScript).

    The vertical axis goes from 0 to a round number at least the highest bar, with a
    tick in the middle; the horizontal one names the first, middle and last period.
    """
    c = CHART
    plot_w = c["width"] - c["left"] - c["right"]
    plot_h = c["height"] - c["top"] - c["bottom"]
    highest = max((n for _d, n in points), default=0)
    top = nice_ceiling(max(highest, 1))
    step = plot_w / max(1, len(points))
    bottom = c["top"] + plot_h
    bars = []
    for i, (day, n) in enumerate(points):
        h = round(plot_h * n / top, 1)
        bars.append({"x": round(c["left"] + i * step + step * 0.1, 1), "w": round(step * 0.8, 1),
                     "y": round(bottom - h, 1), "h": h, "day": day, "lines": n})
    values = [0, top // 2, top] if top % 2 == 0 else [0, top]
    y_ticks = [{"y": round(bottom - plot_h * v / top, 1), "label": format_number(v)}
               for v in values]
    x_ticks = []
    if points:
        last = len(points) - 1
        for i in sorted({0, len(points) // 2, last}):
            # The first and last labels lean inwards, so neither is cut at the edge.
            x_ticks.append({"x": round(c["left"] + i * step + step / 2, 1),
                            "label": short_date(points[i][0]),
                            "anchor": "start" if i == 0 and last else
                                      "end" if i == last and last else "middle"})
    return {"bars": bars, "width": c["width"], "height": c["height"], "left": c["left"],
            "right": c["width"] - c["right"], "top": c["top"], "bottom": bottom,
            "y_ticks": y_ticks, "x_ticks": x_ticks, "highest": highest,
            "first": points[0][0] if points else None, "last": points[-1][0] if points else None}


def short_date(day: date) -> str:
    """"4 dec." / "dec. 4." / "Dec 4": a day on an axis, in the reader's language."""
    return format_skeleton("MMMd", day, locale=get_locale())


def in_reader_language(view):
    """Render `view` in reader_language() (a ?lang= for this one request)."""
    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        with force_locale(reader_language()):
            return view(*args, **kwargs)
    return wrapped


@bp.get("/coordonare/contor")
@in_reader_language
def dashboard():
    scope, key = _scope()
    sort = request.args.get("sort", "lines")
    if sort not in service.CLUB_SORTS:
        sort = "lines"
    counties = service.county_rows(_scope_county())
    trend = service.trend(scope, key)
    summary = service.summary(scope, key)
    return render_template(
        "coordinator/counter.html",
        summary=summary,
        sources=by_source(summary, _scope_county()),
        national=service.national_summary(),
        today=service.counter_day(),
        scope=scope,
        counties=counties,
        shapes=map_shapes(counties) if scope == NATION else [],
        legend=map_legend(counties) if scope == NATION else [],
        map_box=romania_map()["viewBox"],
        map_credit=MAP_CREDIT,
        clubs=service.club_rows(_scope_county(), sort),
        sort=sort,
        daily=bar_chart(trend.daily),
        weekly=bar_chart(trend.weekly),
        week=service.week_lines(scope, key),
        # The language switch goes back here without ?lang=, or the switch would not win.
        lang_next=url_for("counter.dashboard", sort=sort),
    )


# ---- CSV files ------------------------------------------------------------------------
# Each file's columns, in their documented order (README, "CSV files of the counter"):
# the order never changes; the header row is in the reader's language.

COUNTY_COLUMNS = (
    lazy_gettext("County code"), lazy_gettext("County"),
    lazy_gettext("Lines counted on the platform"), lazy_gettext("Lines from before the platform"),
    lazy_gettext("All lines"),
)
CLUB_COLUMNS = (
    lazy_gettext("Club number"), lazy_gettext("Club"), lazy_gettext("Town"),
    lazy_gettext("County"), lazy_gettext("Lines counted on the platform"),
    lazy_gettext("Lines from before the platform"), lazy_gettext("Children"),
    lazy_gettext("Children active in the last 7 days"), lazy_gettext("Last activity"),
)
TREND_COLUMNS = (lazy_gettext("Period"), lazy_gettext("First day"),
                 lazy_gettext("Lines counted on the platform"))
ADJUSTMENT_COLUMNS = (
    lazy_gettext("Entry number"), lazy_gettext("Belongs to"), lazy_gettext("Club"),
    lazy_gettext("County"), lazy_gettext("Lines"), lazy_gettext("Date"),
    lazy_gettext("Reason"), lazy_gettext("Recorded by"), lazy_gettext("Recorded at"),
)
PERIODS = {"day": lazy_gettext("day"), "week": lazy_gettext("week")}
SCOPES = {NATION: lazy_gettext("The whole country"), COUNTY: lazy_gettext("County"),
          CLUB: lazy_gettext("Club")}


def _csv(filename: str, columns, rows) -> Response:
    return csv_response(filename, [str(c) for c in columns], rows)


@bp.get("/coordonare/contor/judete.csv")
@in_reader_language
def counties_csv():
    rows = service.county_rows(_scope_county())
    return _csv("counter-counties.csv", COUNTY_COLUMNS,
                ([r.code, r.name, r.counted, r.historical, r.total] for r in rows))


@bp.get("/coordonare/contor/cluburi.csv")
@in_reader_language
def clubs_csv():
    rows = service.club_rows(_scope_county(), request.args.get("sort", "lines"))
    return _csv("counter-clubs.csv", CLUB_COLUMNS,
                ([r.id, r.name, r.town, r.county, r.counted, r.historical, r.children,
                  r.active_week, iso_local(r.last_activity)] for r in rows))


@bp.get("/coordonare/contor/evolutie.csv")
@in_reader_language
def trend_csv():
    scope, key = _scope()
    trend = service.trend(scope, key, days=365, weeks=53)
    day, week = str(PERIODS["day"]), str(PERIODS["week"])
    rows = [(day, d.isoformat(), n) for d, n in trend.daily]
    rows += [(week, d.isoformat(), n) for d, n in trend.weekly]
    return _csv("counter-trend.csv", TREND_COLUMNS, rows)


@bp.get("/coordonare/contor/ajustari.csv")
@in_reader_language
def adjustments_csv():
    rows = service.adjustments(_scope_county())
    return _csv("counter-adjustments.csv", ADJUSTMENT_COLUMNS,
                ([a.id, str(SCOPES.get(a.scope, a.scope)), a.club.name if a.club else "",
                  a.county.name if a.county else "", a.amount, a.day.isoformat(), a.reason,
                  a.created_by.label if a.created_by else "",
                  iso_local(a.created_at)] for a in rows))


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
    synced = synced_by_county()
    national_synced = sum(synced.values())
    # "on_site" and "synced" split "counted" (README, Public API): keys added, none changed.
    return {
        "national": {"counted": nat.counted, "historical": nat.historical, "total": nat.total,
                     "on_site": nat.counted - national_synced, "synced": national_synced},
        "counties": [
            {"code": r.code, "name": r.name, "counted": r.counted, "historical": r.historical,
             "total": r.total, "on_site": r.counted - synced.get(r.id, 0),
             "synced": synced.get(r.id, 0)}
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
    lang = public_language()
    with force_locale(lang):
        body = render_template(
            "counter/embed.html", national=service.national_summary(),
            today=service.counter_day(), interval=PUBLIC_MAX_AGE * 1000,
            site_url=url_for("main.index", _external=True), lang=lang,
            # The script refreshes from this same address, so it keeps the language.
            refresh_url=url_for("counter.embed", lang=lang))
    resp = Response(body)
    resp.headers["Cache-Control"] = f"public, max-age={PUBLIC_MAX_AGE}"
    resp.vary.add("Accept-Language")
    resp.set_etag(hashlib.sha256(body.encode("utf-8")).hexdigest()[:32])
    # Other websites frame this page on purpose: it is in
    # security_headers.FRAMEABLE_ENDPOINTS (frame-ancestors *, no X-Frame-Options).
    return resp.make_conditional(request)
