"""Our own ``turtle`` for children: it draws nothing, it records segments.

The standard ``turtle`` module exposes ``sys`` and ``inspect`` (open doors)
and needs Tk; children get this recorder instead. Every stroke becomes an
explicit line segment ``{"x1", "y1", "x2", "y2", "color", "width"}`` so that a
grader can compare two drawings as *sets of segments*. ``circle`` follows
CPython's own algorithm (same number of steps, same chords), so a circle
drawn here has the segments the real turtle would draw. Coordinates are
rounded to 2 decimals; zero-length strokes are not recorded.
"""

from __future__ import annotations

import math

DEFAULT_MAX_SEGMENTS = 50_000

# The colour names a pen may take: CSS's named colours (what the site's SVG
# drawing shows), also written Tk's way with spaces ("light blue"), plus
# "#rgb" and "#rrggbb". Anything else is refused as CPython's turtle refuses
# it, so a colour is at most 20 characters and a drawing's size is bounded.
COLOR_NAMES = frozenset(
    """aliceblue antiquewhite aqua aquamarine azure beige bisque black blanchedalmond
    blue blueviolet brown burlywood cadetblue chartreuse chocolate coral cornflowerblue
    cornsilk crimson cyan darkblue darkcyan darkgoldenrod darkgray darkgreen darkgrey
    darkkhaki darkmagenta darkolivegreen darkorange darkorchid darkred darksalmon
    darkseagreen darkslateblue darkslategray darkslategrey darkturquoise darkviolet
    deeppink deepskyblue dimgray dimgrey dodgerblue firebrick floralwhite forestgreen
    fuchsia gainsboro ghostwhite gold goldenrod gray green greenyellow grey honeydew
    hotpink indianred indigo ivory khaki lavender lavenderblush lawngreen lemonchiffon
    lightblue lightcoral lightcyan lightgoldenrodyellow lightgray lightgreen lightgrey
    lightpink lightsalmon lightseagreen lightskyblue lightslategray lightslategrey
    lightsteelblue lightyellow lime limegreen linen magenta maroon mediumaquamarine
    mediumblue mediumorchid mediumpurple mediumseagreen mediumslateblue
    mediumspringgreen mediumturquoise mediumvioletred midnightblue mintcream mistyrose
    moccasin navajowhite navy oldlace olive olivedrab orange orangered orchid
    palegoldenrod palegreen paleturquoise palevioletred papayawhip peachpuff peru pink
    plum powderblue purple rebeccapurple red rosybrown royalblue saddlebrown salmon
    sandybrown seagreen seashell sienna silver skyblue slateblue slategray slategrey snow
    springgreen steelblue tan teal thistle tomato turquoise violet wheat white whitesmoke
    yellow yellowgreen""".split()
)
_HEX = frozenset("0123456789abcdef")
COLOR_TEXT_LIMIT = 40  # longer than any name above, written with spaces


class TurtleGraphicsError(Exception):
    """CPython's turtle error (``bad color string: ...``)."""


def _normal_color(text: str) -> str | None:
    """The recorded spelling of a colour string, None when it is not one."""
    if len(text) > COLOR_TEXT_LIMIT:
        return None
    text = text.strip().lower()
    if text[:1] == "#":
        return text if len(text) in (4, 7) and all(c in _HEX for c in text[1:]) else None
    name = text.replace(" ", "")
    return name if name in COLOR_NAMES else None


def is_color(text: str) -> bool:
    """A colour as recorded (the server's check of a drawing)."""
    return type(text) is str and _normal_color(text) == text


class TurtleLimit(BaseException):
    """Raised (as a limit, not an ordinary error) when a drawing grows too big."""


def _num(value, what="value"):
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{what} must be a number, not {type(value).__name__}")
    return float(value)


def _r(v: float) -> float:
    v = round(v, 2)
    return 0.0 if v == 0 else v


class Vec2D(tuple):
    """CPython turtle's position type: prints as (x.xx,y.yy), has abs() and arithmetic."""

    def __new__(cls, x, y):
        return tuple.__new__(cls, (x, y))

    def __add__(self, other):
        return Vec2D(self[0] + other[0], self[1] + other[1])

    def __sub__(self, other):
        return Vec2D(self[0] - other[0], self[1] - other[1])

    def __mul__(self, other):
        if isinstance(other, Vec2D):
            return self[0] * other[0] + self[1] * other[1]
        return Vec2D(self[0] * other, self[1] * other)

    def __rmul__(self, other):
        if isinstance(other, (int, float)):
            return Vec2D(self[0] * other, self[1] * other)
        return NotImplemented

    def __neg__(self):
        return Vec2D(-self[0], -self[1])

    def __abs__(self):
        return math.hypot(*self)

    def __repr__(self):
        return "({:.2f},{:.2f})".format(*self)


class Recording:
    """All turtles of one run draw into one recording."""

    __slots__ = ("segments", "max_segments", "used", "colormode", "over")

    def __init__(self, max_segments: int = DEFAULT_MAX_SEGMENTS):
        self.segments: list[dict] = []
        self.max_segments = max_segments
        self.used = False
        self.colormode = 1.0
        self.over = False

    def add(self, x1, y1, x2, y2, color, width):
        a, b, c, d = _r(x1), _r(y1), _r(x2), _r(y2)
        if a == c and b == d:
            return
        if len(self.segments) >= self.max_segments:
            self.over = True
            raise TurtleLimit(f"the drawing has more than {self.max_segments} lines")
        self.segments.append({"x1": a, "y1": b, "x2": c, "y2": d, "color": color, "width": width})

    def color_name(self, args) -> str:
        if len(args) == 1:
            args = args[0]
            if isinstance(args, str):
                # An exact copy first: a str subclass's own methods never run,
                # and the recording holds a plain str from the table.
                text = str.__str__(args)
                name = _normal_color(text)
                if name is None:
                    shown = text if len(text) <= COLOR_TEXT_LIMIT else text[:COLOR_TEXT_LIMIT] + "…"
                    raise TurtleGraphicsError(f"bad color string: {shown}")
                return name
        if isinstance(args, (tuple, list)) and len(args) == 3:
            rgb = [_num(v, "colour component") for v in args]
            if self.colormode == 1.0:
                rgb = [v * 255 for v in rgb]
            if any(v < 0 or v > 255 for v in rgb):
                raise ValueError(f"bad color sequence: {tuple(args)!r}")
            return "#{:02x}{:02x}{:02x}".format(*(int(round(v)) for v in rgb))
        raise ValueError(f"bad color arguments: {args!r}")


class Turtle:
    """The subset of ``turtle.Turtle`` a beginner meets."""

    __slots__ = ("_rec", "_x", "_y", "_heading", "_down", "_color", "_fill", "_width", "_visible")

    def __init__(self, _recording=None):
        rec = _recording if _recording is not None else _DEFAULT.recording
        self._rec = rec
        self._x = 0.0
        self._y = 0.0
        self._heading = 0.0
        self._down = True
        self._color = "black"
        self._fill = "black"
        self._width = 1.0
        self._visible = True

    # movement
    def _move_to(self, x, y):
        self._rec.used = True
        if self._down:
            self._rec.add(self._x, self._y, x, y, self._color, self._width)
        self._x, self._y = x, y

    def forward(self, distance):
        d = _num(distance, "distance")
        h = math.radians(self._heading)
        self._move_to(self._x + d * math.cos(h), self._y + d * math.sin(h))

    def back(self, distance):
        self.forward(-_num(distance, "distance"))

    def left(self, angle):
        self._rec.used = True
        self._heading = (self._heading + _num(angle, "angle")) % 360.0

    def right(self, angle):
        self.left(-_num(angle, "angle"))

    def goto(self, x, y=None):
        if y is None:
            x, y = x
        self._move_to(_num(x, "x"), _num(y, "y"))

    def setx(self, x):
        self._move_to(_num(x, "x"), self._y)

    def sety(self, y):
        self._move_to(self._x, _num(y, "y"))

    def setheading(self, angle):
        self._rec.used = True
        self._heading = _num(angle, "angle") % 360.0

    def home(self):
        self.goto(0, 0)
        self._heading = 0.0

    def circle(self, radius, extent=None, steps=None):
        # CPython's Turtle.circle, degrees mode.
        radius = _num(radius, "radius")
        extent = 360.0 if extent is None else _num(extent, "extent")
        if steps is None:
            frac = abs(extent) / 360.0
            steps = 1 + int(min(11 + abs(radius) / 6.0, 59.0) * frac)
        steps = int(steps)
        if steps <= 0:
            return
        w = extent / steps
        w2 = 0.5 * w
        length = 2.0 * radius * math.sin(math.radians(w2))
        if radius < 0:
            length, w, w2 = -length, -w, -w2
        self.left(w2)
        for _ in range(steps):
            self.forward(length)
            self.left(w)
        self.left(-w2)

    # pen
    def penup(self):
        self._rec.used = True
        self._down = False

    def pendown(self):
        self._rec.used = True
        self._down = True

    def isdown(self):
        return self._down

    def pensize(self, width=None):
        if width is None:
            return self._width
        w = _num(width, "width")
        self._width = int(w) if math.isfinite(w) and w.is_integer() and abs(w) < 1e6 else w

    def color(self, *args):
        if not args:
            return (self._color, self._fill)
        if len(args) == 2 and all(isinstance(a, (str, tuple, list)) for a in args):
            self._color = self._rec.color_name((args[0],))
            self._fill = self._rec.color_name((args[1],))
        else:
            self._color = self._fill = self._rec.color_name(args)

    def pencolor(self, *args):
        if not args:
            return self._color
        self._color = self._rec.color_name(args)

    def fillcolor(self, *args):
        if not args:
            return self._fill
        self._fill = self._rec.color_name(args)

    # queries
    def position(self):
        return Vec2D(self._x, self._y)

    def xcor(self):
        return self._x

    def ycor(self):
        return self._y

    def heading(self):
        return round(self._heading, 10)

    def distance(self, x, y=None):
        if y is None:
            x, y = x
        return math.hypot(_num(x) - self._x, _num(y) - self._y)

    # accepted and ignored: nothing is shown on a screen
    def speed(self, *args, **kwargs):
        return None

    def _ignore(self, *args, **kwargs):
        return None

    hideturtle = showturtle = begin_fill = end_fill = shape = stamp = _ignore
    write = dot = clear = reset = tracer = _ignore

    def isvisible(self):
        return self._visible

    fd = forward
    bk = backward = back
    lt = left
    rt = right
    pu = up = penup
    pd = down = pendown
    width = pensize
    setpos = setposition = goto
    seth = setheading
    pos = position
    ht = hideturtle
    st = showturtle


class Screen:
    """``turtle.Screen()``: accepted, records nothing."""

    __slots__ = ()

    def _ignore(self, *args, **kwargs):
        return None

    bgcolor = title = setup = exitonclick = mainloop = done = tracer = update = _ignore
    listen = onkey = onclick = screensize = bye = _ignore

    def colormode(self, mode=None):
        if mode is None:
            return _DEFAULT.recording.colormode
        _DEFAULT.recording.colormode = float(mode)


class _Default:
    """The anonymous turtle behind module-level functions, per run."""

    recording: Recording
    turtle: Turtle


_DEFAULT = _Default()


def new_recording(max_segments: int = DEFAULT_MAX_SEGMENTS) -> Recording:
    _DEFAULT.recording = Recording(max_segments)
    _DEFAULT.turtle = Turtle(_DEFAULT.recording)
    return _DEFAULT.recording


MODULE_FUNCTIONS = (
    "forward fd back bk backward left lt right rt goto setpos setposition setx sety "
    "setheading seth home circle penup pu up pendown pd down isdown pensize width color "
    "pencolor fillcolor position pos xcor ycor heading distance speed hideturtle ht "
    "showturtle st begin_fill end_fill shape stamp write dot clear reset tracer isvisible"
).split()
MODULE_EXTRAS = (
    "TurtleGraphicsError",
    "Turtle",
    "Screen",
    "done",
    "mainloop",
    "exitonclick",
    "bgcolor",
    "title",
    "setup",
    "colormode",
)


def module_namespace() -> dict:
    """Names of the child's ``turtle`` module; bound lazily to this run's turtle."""

    def bind(name):
        def call(*args, **kwargs):
            return getattr(_DEFAULT.turtle, name)(*args, **kwargs)

        call.__name__ = call.__qualname__ = name
        return call

    ns = {name: bind(name) for name in MODULE_FUNCTIONS}
    screen = Screen()
    ns.update(
        TurtleGraphicsError=TurtleGraphicsError,
        Turtle=Turtle,
        Screen=lambda: screen,
        done=screen.done,
        mainloop=screen.mainloop,
        exitonclick=screen.exitonclick,
        bgcolor=screen.bgcolor,
        title=screen.title,
        setup=screen.setup,
        colormode=screen.colormode,
    )
    return ns
