"""Print the room graph of `codekids` and the imports that break the one-way rule.

    python scripts/rooms.py          # the graph, then the violations; exit 1 if any
    python scripts/rooms.py --dot    # the same graph for Graphviz (| dot -Tsvg > rooms.svg)

ARCHITECTURE.md explains the rooms. In short: inside platform/codekids the rooms,
low to high, are ROOMS below. A room imports only rooms below it (to its left)
and base modules; a base module imports no room; no room imports an assembler;
two files of one room never import each other, directly or around a circle.

Every `import` and `from ... import` of every .py file is read with `ast`
(migrations/versions excepted: Alembic scripts, frozen in time), including the
lazy ones inside functions, which hide a dependency without removing it. An
import inside an `if TYPE_CHECKING:` block does not count: it never runs, and it
is how a model names a model of a higher room for the type checker. Imports
built from strings (`importlib.import_module`) are not seen; the bank's kind
and explanation registries load their own submodules that way, inside one room.

tests/unit/test_rooms.py runs the same walker over the real tree, so CI fails
on a new violation.
"""

from __future__ import annotations

import ast
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parents[1] / "platform" / "codekids"

# The order of rooms, low to high. A room may import the rooms to its left.
ROOMS = ("bank", "accounts", "clubs", "counter", "learning", "sync", "following", "coordination")

# Small helpers any room may import; they import no room.
BASE = frozenset(
    {
        "backup",
        "bad_input",
        "collation",
        "csv_export",
        "db",
        "form_choices",
        "i18n",
        "logs",
        "migrate",
        "redirects",
        "sandbox_client",
        "security_headers",
        "settings",
        "static_files",
    }
)

# They put the rooms together (the factory, the CLI, the request plumbing, the
# route policy, the front door, the metadata every migration sees); they may
# import any room, and no room imports them.
ASSEMBLERS = frozenset(
    {
        "__init__",
        "cli",
        "health",
        "main",
        "migrations",
        "models",
        "network_world",
        "plumbing",
        "security_policy",
        "web",
    }
)

SKIPPED = ("migrations/versions",)


@dataclass(frozen=True)
class Import:
    """One module of the package importing another: `source` imports `target`
    (dotted names, the package's own name first) at `path`:`line`."""

    source: str
    target: str
    path: str
    line: int


def package_files(package_dir: Path) -> list[Path]:
    files = []
    for path in sorted(package_dir.rglob("*.py")):
        rel = path.relative_to(package_dir).as_posix()
        if not any(rel == s or rel.startswith(s + "/") for s in SKIPPED):
            files.append(path)
    return files


def module_name(package_dir: Path, path: Path) -> str:
    parts = [package_dir.name, *path.relative_to(package_dir).with_suffix("").parts]
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _import_nodes(tree: ast.AST):
    """Every Import/ImportFrom node, at any depth, except under `if TYPE_CHECKING:`
    (its `else:` branch runs, so it counts)."""
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
            continue
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            stack.extend(node.orelse)
            continue
        stack.extend(ast.iter_child_nodes(node))


class Walker:
    """Reads the imports of one package directory (the real one or a test's fake)."""

    def __init__(self, package_dir: Path = PACKAGE_DIR):
        self.package_dir = Path(package_dir)
        self.package = self.package_dir.name
        self.files = package_files(self.package_dir)
        self.modules = {module_name(self.package_dir, p): p for p in self.files}
        self.packages = {
            module_name(self.package_dir, p) for p in self.files if p.name == "__init__.py"
        }

    def exists(self, module: str) -> bool:
        return module in self.modules or (self.package_dir / self._rel(module)).is_dir()

    def _rel(self, module: str) -> Path:
        return Path(*module.split(".")[1:]) if "." in module else Path()

    def _resolve_base(self, source: str, node: ast.ImportFrom) -> str:
        if not node.level:
            return node.module or ""
        package = source if source in self.packages else source.rpartition(".")[0]
        parts = package.split(".")
        if node.level > 1:
            parts = parts[: len(parts) - (node.level - 1)]
        return ".".join([*parts, node.module] if node.module else parts)

    def _ours(self, module: str) -> bool:
        return module == self.package or module.startswith(self.package + ".")

    def imports(self) -> list[Import]:
        found = []
        for module, path in self.modules.items():
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
            rel = path.relative_to(self.package_dir.parent).as_posix()
            for node in _import_nodes(tree):
                for target in self._targets(module, node):
                    if self._ours(target):
                        found.append(Import(module, target, rel, node.lineno))
        return sorted(found, key=lambda i: (i.path, i.line, i.target))

    def _targets(self, source: str, node: ast.Import | ast.ImportFrom) -> list[str]:
        if isinstance(node, ast.Import):
            return [alias.name for alias in node.names]
        base = self._resolve_base(source, node)
        if not self._ours(base):
            return [base]
        # `from codekids.clubs import views` imports the module codekids.clubs.views;
        # `from codekids.clubs import bp` takes a name from codekids/clubs/__init__.py.
        targets = []
        for alias in node.names:
            sub = f"{base}.{alias.name}"
            targets.append(sub if alias.name != "*" and self.exists(sub) else base)
        return list(dict.fromkeys(targets))

    def place(self, module: str) -> tuple[str, str]:
        """('room', name) | ('base', name) | ('assembler', name) | ('unknown', name)."""
        parts = module.split(".")[1:]
        top = parts[0] if parts else "__init__"
        if top in ROOMS:
            return "room", top
        if top in BASE:
            return "base", top
        if top in ASSEMBLERS:
            return "assembler", top
        return "unknown", top


def node_label(place: tuple[str, str]) -> str:
    kind, name = place
    return "base" if kind == "base" else name


def violations(walker: Walker, imports: list[Import]) -> list[str]:
    found = []
    for module in sorted(walker.modules):
        kind, name = walker.place(module)
        if kind == "unknown":
            found.append(
                f"{walker.modules[module].relative_to(walker.package_dir.parent).as_posix()}: "
                f"{name} is neither a room nor a base module nor an assembler "
                "(add it to ROOMS, BASE or ASSEMBLERS in scripts/rooms.py)"
            )
    for imp in imports:
        where = f"{imp.path}:{imp.line}: {imp.source} imports {imp.target}"
        if not walker.exists(imp.target) and imp.target not in walker.modules:
            found.append(f"{where}, which does not exist")
            continue
        (skind, sname), (tkind, tname) = walker.place(imp.source), walker.place(imp.target)
        if skind == "room" and tkind == "room" and ROOMS.index(tname) > ROOMS.index(sname):
            found.append(f"{where}: {tname} is a higher room than {sname}")
        elif skind == "room" and tkind == "assembler":
            found.append(f"{where}: a room imports an assembler ({tname})")
        elif skind == "base" and tkind in ("room", "assembler"):
            found.append(f"{where}: a base module imports {tkind} {tname}")
    found.extend(_room_cycles(walker, imports))
    return found


def _room_cycles(walker: Walker, imports: list[Import]) -> list[str]:
    """Circles of imports between files of one room, each printed once."""
    graph: dict[str, set[str]] = defaultdict(set)
    for imp in imports:
        src, dst = walker.place(imp.source), walker.place(imp.target)
        if src[0] == "room" and src == dst and imp.source != imp.target:
            graph[imp.source].add(imp.target)
    found = []
    for component in _strongly_connected(graph):
        if len(component) < 2:
            continue
        # One shortest circle through each file of the component not yet shown,
        # so every file caught in it is named with a way out of it.
        shown: set[str] = set()
        for start in component:
            if start in shown:
                continue
            cycle = _a_cycle(graph, component, start)
            shown.update(cycle)
            found.append(
                f"{walker.place(start)[1]}: files of one room import each other in a circle: "
                + " -> ".join(cycle)
            )
    return found


def _strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm, iterative; components in a stable order."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components = []
    nodes = sorted(set(graph) | {d for ds in graph.values() for d in ds})
    for root in nodes:
        if root in index:
            continue
        work = [(root, iter(sorted(graph.get(root, ()))))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is None:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        top = stack.pop()
                        on_stack.discard(top)
                        component.append(top)
                        if top == node:
                            break
                    components.append(sorted(component))
            elif child not in index:
                index[child] = low[child] = len(index)
                stack.append(child)
                on_stack.add(child)
                work.append((child, iter(sorted(graph.get(child, ())))))
            elif child in on_stack:
                low[node] = min(low[node], index[child])
    return sorted(components)


def _a_cycle(graph: dict[str, set[str]], component: list[str], start: str) -> list[str]:
    """The shortest circle through `start`, as a path that ends where it starts
    (breadth first, inside the component)."""
    members = set(component)
    previous: dict[str, str] = {}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for nxt in sorted(graph[node] & members):
                if nxt == start:
                    path = [node]
                    while path[-1] != start:
                        path.append(previous[path[-1]])
                    return [*reversed(path), start]
                if nxt not in previous:
                    previous[nxt] = node
                    following.append(nxt)
        frontier = following
    return [start, start]  # unreachable: a component of two or more has a circle


def edges(walker: Walker, imports: list[Import]) -> Counter:
    counted: Counter = Counter()
    for imp in imports:
        src, dst = node_label(walker.place(imp.source)), node_label(walker.place(imp.target))
        if src != dst:
            counted[src, dst] += 1
    return counted


def _order(label: str) -> tuple[int, str]:
    if label in ROOMS:
        return 1 + ROOMS.index(label), label
    return (0 if label == "base" else len(ROOMS) + 1), label


def _edge_is_wrong(src: str, dst: str) -> bool:
    if src in ROOMS and dst in ROOMS:
        return ROOMS.index(dst) > ROOMS.index(src)
    if src in ROOMS:
        return dst in ASSEMBLERS
    return src == "base" and dst != "base"


def report(walker: Walker) -> tuple[str, list[str]]:
    imports = walker.imports()
    counted = edges(walker, imports)
    lines = [
        "Rooms, low to high: " + " -> ".join(ROOMS),
        "Base modules (any room may import them): " + ", ".join(sorted(BASE)),
        "Assemblers (they import rooms; no room imports them): " + ", ".join(sorted(ASSEMBLERS)),
        "",
        "Room graph (importer -> imported; 'base' is all base modules together):",
    ]
    for (src, dst), n in sorted(counted.items(), key=lambda e: (_order(e[0][0]), _order(e[0][1]))):
        mark = "   <-- wrong way" if _edge_is_wrong(src, dst) else ""
        lines.append(f"  {src} -> {dst} ({n} import{'s' if n != 1 else ''}){mark}")
    found = violations(walker, imports)
    lines.append("")
    if found:
        lines.append(f"{len(found)} violation{'s' if len(found) != 1 else ''}:")
        lines.extend(f"  {v}" for v in found)
    else:
        lines.append("No violations: every import points down.")
    return "\n".join(lines), found


def dot(walker: Walker) -> str:
    counted = edges(walker, walker.imports())
    lines = [
        "digraph rooms {",
        "  rankdir=BT;",
        '  node [shape=box, fontname="sans-serif"];',
        '  base [shape=folder, label="base modules"];',
    ]
    present = {node_label(walker.place(m)) for m in walker.modules}
    for room in ROOMS:
        if room in present:
            lines.append(f'  "{room}";')
    assemblers = sorted(present & ASSEMBLERS)
    lines.append("  { rank=same; " + " ".join(f'"{a}";' for a in assemblers) + " }")
    for name in assemblers:
        lines.append(f'  "{name}" [shape=ellipse, style=dashed];')
    for (src, dst), n in sorted(counted.items()):
        style = ", color=red, fontcolor=red, penwidth=2" if _edge_is_wrong(src, dst) else ""
        lines.append(f'  "{src}" -> "{dst}" [label="{n}"{style}];')
    lines.append("}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    package_dir = PACKAGE_DIR
    if "--root" in args:
        i = args.index("--root")
        package_dir = Path(args[i + 1])
        del args[i : i + 2]
    walker = Walker(package_dir)
    if args == ["--dot"]:
        print(dot(walker))
        return 0
    if args:
        print(__doc__.strip().splitlines()[0], file=sys.stderr)
        print("usage: python scripts/rooms.py [--dot] [--root PACKAGE_DIR]", file=sys.stderr)
        return 2
    text, found = report(walker)
    print(text)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
