"""The library's shape, read from its import graph: it knows nothing of TFX or the pipeline,
and its rooms import each other one way only."""

import ast
import pathlib
import re

LIBRARY = pathlib.Path(__file__).resolve().parents[1] / "colordisc_tf"
FORBIDDEN = ("pipelines", "components", "tfx", "ml_metadata", "kfp")


def _imports(path: pathlib.Path) -> set[str]:
    """Every module a file imports, at any depth (function-level, lazy) and by name in
    importlib.import_module / launch targets ("pkg.module:function")."""
    tree = ast.parse(path.read_text(), str(path))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            found.update(re.findall(r"^((?:colordisc_tf|pipelines|components)(?:\.\w+)+)(?::\w+)?$", node.value))
    return found


def _room(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if parts[0] == "colordisc_tf" and len(parts) > 1 else None


def test_the_library_imports_no_pipeline_component_or_tfx():
    offenders = {}
    for path in LIBRARY.rglob("*.py"):
        bad = sorted(m for m in _imports(path) if m.split(".")[0] in FORBIDDEN)
        if bad:
            offenders[str(path.relative_to(LIBRARY.parent))] = bad
    assert not offenders, offenders


def test_rooms_import_each_other_one_way():
    """No two rooms (sub-packages, or loose top-level modules) import each other, directly or
    round a longer circle."""
    graph = {}
    for path in LIBRARY.rglob("*.py"):
        rel = path.relative_to(LIBRARY)
        room = rel.parts[0].removesuffix(".py") if rel.parts[0] != "__init__.py" else None
        if room is None:
            continue
        targets = {_room(m) for m in _imports(path)} - {None, room}
        graph.setdefault(room, set()).update(t for t in targets if (LIBRARY / t).exists() or (LIBRARY / f"{t}.py").exists())

    def cycle_from(start):
        stack = [(start, [start])]
        while stack:
            node, trail = stack.pop()
            for nxt in graph.get(node, ()):
                if nxt == start:
                    return trail + [start]
                if nxt not in trail:
                    stack.append((nxt, trail + [nxt]))
        return None

    cycles = [c for c in (cycle_from(room) for room in graph) if c]
    assert not cycles, cycles


def test_few_loose_modules_at_the_top():
    loose = sorted(p.name for p in LIBRARY.glob("*.py") if p.name != "__init__.py")
    assert len(loose) <= 8, loose


COMMANDS = LIBRARY.parent / "pipelines" / "commands"
#: a command module holds one group's arguments and handlers; past this it is doing library work
COMMAND_MODULE_MAX_LINES = 150


def test_every_command_module_is_registered_and_small():
    from pipelines.commands.app import GROUPS

    modules = {p.stem for p in COMMANDS.glob("*.py")} - {"__init__", "app", "common"}
    assert {name.rsplit(".", 1)[1] for name in GROUPS} == modules
    sizes = {p.name: len(p.read_text().splitlines()) for p in COMMANDS.glob("*.py")}
    assert max(sizes.values()) <= COMMAND_MODULE_MAX_LINES, sizes
    assert len((LIBRARY.parent / "pipelines" / "cli.py").read_text().splitlines()) <= 20, "pipelines/cli.py only re-exports"


def test_the_parser_builds_without_the_heavy_stack():
    """`colordisc --help` lists every command without TensorFlow, Beam or TFX: handlers import them."""
    import subprocess
    import sys

    code = ("import sys; from pipelines.cli import build_parser; build_parser(); "
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'tensorflow', 'apache_beam', 'tfx', 'keras'}))")
    heavy = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert heavy == "[]", heavy


HEAVY_FOR_COLORIZE = ("apache_beam", "tfx", "ml_metadata", "kfp")


def _module_file(module: str) -> pathlib.Path | None:
    base = LIBRARY.parent.joinpath(*module.split("."))
    return next((p for p in (base.with_suffix(".py"), base / "__init__.py") if p.exists()), None)


def _top_level_imports(path: pathlib.Path) -> set[str]:
    """What importing the file runs: module-level imports only (a function's own imports wait for its call)."""
    found = set()
    for node in ast.parse(path.read_text(), str(path)).body:
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def _pulls_in(module: str, seen: set[str]) -> set[str]:
    """The heavy packages importing `module` loads, through our own modules' module-level imports."""
    if module in seen:
        return set()
    seen.add(module)
    heavy = {module.split(".")[0]} & set(HEAVY_FOR_COLORIZE)
    parts = module.split(".")
    for i in range(1, len(parts) + 1):  # the packages above it run their __init__ first
        path = _module_file(".".join(parts[:i]))
        if path is not None:
            for imported in _top_level_imports(path):
                heavy |= _pulls_in(imported, seen)
    return heavy


def test_colorize_and_realness_name_no_beam_or_tfx_module():
    """The colorize command module imports (at any depth, its handlers' imports included) nothing
    whose loading brings Apache Beam or TFX; the run-time check is test_commands' colorize run."""
    colorize = LIBRARY.parent / "pipelines" / "commands" / "colorize.py"
    offenders = {m: sorted(heavy) for m in _imports(colorize) if (heavy := _pulls_in(m, set()))}
    assert not offenders, offenders
