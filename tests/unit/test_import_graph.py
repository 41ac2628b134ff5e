"""The shape of the package, pinned: no package reaches into another's private modules,
the packages import each other without cycles, and the benchmark harness
(``podium_bench``, beside the package) is loaded by the CLI only when ``podium bench``
runs and reaches into Podium's private modules only where pinned below."""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "services" / "podium"
BENCH = PACKAGE.parent / "podium_bench"


def _unit(module: str) -> str:
    """The package a module belongs to (``coordinator.core`` counts as its own)."""
    parts = module.split(".")[1:] or ["podium"]
    if parts[:2] == ["coordinator", "core"]:
        return "coordinator.core"
    return parts[0]


def _top(module: str) -> str:
    """The top-level package (``coordinator`` for ``podium.coordinator.core._state``)."""
    return (module.split(".")[1:] or ["podium"])[0]


def _module_level_imports() -> Iterator[tuple[Path, str, str]]:
    """(file, importing module, imported module) for every top-level ``from podium...``."""
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE.parent).with_suffix("")
        module = ".".join(relative.parts).removesuffix(".__init__")
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("podium"):
                assert node.module is not None
                yield path, module, node.module


def test_no_module_imports_another_packages_private_module() -> None:
    crossing = [
        f"{path.relative_to(PACKAGE)}: from {imported}"
        for path, module, imported in _module_level_imports()
        if any(part.startswith("_") for part in imported.split(".")[2:])
        and _top(imported) != _top(module)
    ]
    assert crossing == []


def _cycle(edges: dict[str, set[str]]) -> list[str] | None:
    done: set[str] = set()

    def visit(node: str, path: list[str]) -> list[str] | None:
        if node in path:
            return [*path[path.index(node) :], node]
        if node in done:
            return None
        for target in sorted(edges.get(node, ())):
            found = visit(target, [*path, node])
            if found:
                return found
        done.add(node)
        return None

    for start in sorted(edges):
        found = visit(start, [])
        if found:
            return found
    return None


def test_the_packages_import_each_other_without_cycles() -> None:
    edges: dict[str, set[str]] = {}
    for _, module, imported in _module_level_imports():
        if imported != "podium" and _unit(imported) != _unit(module):
            edges.setdefault(_unit(module), set()).add(_unit(imported))
    assert _cycle(edges) is None
    assert "coordinator" not in edges.get("coordinator.core", set()), "the core imports no shell"


def _modules() -> dict[str, Path]:
    return {
        ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts).removesuffix(
            ".__init__"
        ): path
        for path in sorted(PACKAGE.rglob("*.py"))
    }


def _runtime_nodes(tree: ast.AST) -> Iterator[ast.AST]:
    """Every node that runs: at module level or in a function, not under TYPE_CHECKING."""
    stack = [tree]
    while stack:
        for child in ast.iter_child_nodes(stack.pop()):
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                stack.extend(child.orelse)
                continue
            yield child
            stack.append(child)


def _module_edges() -> dict[str, set[str]]:
    """Module -> the Podium modules it imports when it runs, functions' imports included;
    ``from podium.dlq import _letter`` is an edge to the submodule. An edge from a module
    to its own package's ``__init__`` is left out: that is the package importing itself
    while it initialises, not a cycle a reader has to untangle."""
    modules, edges = _modules(), {}
    for module, path in modules.items():
        targets = set()
        for node in _runtime_nodes(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                for alias in node.names:
                    submodule = f"{node.module}.{alias.name}"
                    targets.add(submodule if submodule in modules else node.module)
        edges[module] = {
            target
            for target in targets
            if target in modules and not module.startswith(f"{target}.")
        }
    return edges


def test_no_module_imports_itself_back_even_from_inside_a_function() -> None:
    """No cycle between modules either: ``Service.run`` builds its runner, which sees
    ``Service`` as a type only; the CLI's subcommands take their settings from
    ``cli/_settings.py``, not from the root that registers them."""
    assert _cycle(_module_edges()) is None


def test_a_cycle_is_found_when_there_is_one() -> None:
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": {"c"}}) is None


def test_the_cli_loads_the_benchmark_only_for_podium_bench() -> None:
    probe = "import sys, podium.cli; print(sorted(m for m in sys.modules if 'podium_bench' in m))"
    loaded = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout
    assert loaded.strip() == "[]"


def _imports(path: Path, *, nested: bool) -> Iterator[str]:
    """The modules ``path`` imports: at module level, or (``nested``) anywhere in it."""
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree) if nested else tree.body:
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module
        elif isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)


def _is_bench(module: str) -> bool:
    return module == "podium_bench" or module.startswith("podium_bench.")


def test_only_the_bench_command_imports_the_harness_and_only_lazily() -> None:
    paths = sorted(PACKAGE.rglob("*.py"))
    at_module_level = [
        str(path.relative_to(PACKAGE))
        for path in paths
        if any(_is_bench(module) for module in _imports(path, nested=False))
    ]
    anywhere = [
        str(path.relative_to(PACKAGE))
        for path in paths
        if any(_is_bench(module) for module in _imports(path, nested=True))
    ]
    assert at_module_level == []
    assert anywhere == ["cli/_bench.py"]
    assert not (PACKAGE / "bench").exists(), "the harness lives in services/podium_bench/"


BENCH_PRIVATE_IMPORTS = [
    # podium._priority (nice_of, set_nice, BENCH_COORDINATOR_NICE) is exported by no
    # public module; this list may only shrink
    "_floor.py: podium._priority",
    "_plan.py: podium._priority",
    "_podium.py: podium._priority",
    "_relay.py: podium._priority",
]


def test_the_harness_uses_podiums_public_names_but_where_pinned() -> None:
    crossing = [
        f"{path.relative_to(BENCH)}: {module}"
        for path in sorted(BENCH.rglob("*.py"))
        for module in _imports(path, nested=True)
        if module.split(".")[0] == "podium"
        and any(part.startswith("_") for part in module.split(".")[1:])
    ]
    assert crossing == BENCH_PRIVATE_IMPORTS


def test_the_compensation_naming_is_written_once() -> None:
    """``compensate:<step>`` is wire contract (``podium.contract.COMPENSATION_PREFIX``):
    the coordinator, the SDK and the demo all read it from there."""
    written = [
        str(path.relative_to(PACKAGE))
        for path in sorted(PACKAGE.rglob("*.py"))
        for line in path.read_text().splitlines()
        if '"compensate:' in line
    ]
    assert written == ["contract/_envelope.py"]


def test_the_hot_path_tricks_live_behind_one_door() -> None:
    """Generated code, the private JSON encoder and the enum value property are in
    ``podium/_speedups`` only, each beside its plain fallback."""
    tricks = ("exec(", "c_make_encoder", '"_value_"')
    found = [
        f"{path.relative_to(PACKAGE)}: {trick}"
        for path in sorted(PACKAGE.rglob("*.py"))
        if path.parent.name != "_speedups"
        for trick in tricks
        if trick in path.read_text()
    ]
    assert found == []


def test_the_stream_runtime_knows_nothing_of_runs() -> None:
    """``streams/`` is the one Kafka seam under the domain packages: it imports only the
    error root and the speedups, never a package built on it."""
    allowed = {"podium.errors", "podium._speedups.frozen"}
    upward = [
        f"{path.relative_to(PACKAGE)}: from {imported}"
        for path, module, imported in _module_level_imports()
        if _top(module) == "streams" and _top(imported) != "streams" and imported not in allowed
    ]
    assert upward == []


def test_the_consume_loops_built_on_streams_use_its_seam() -> None:
    """Every consumer (the coordinator's, the step services', the triggers', the
    registry's, the read model's, the DLQ reader's) comes from the streams transport,
    so one seam sees all of Podium's consume loops."""
    building = sorted(
        str(path.relative_to(PACKAGE))
        for path in PACKAGE.rglob("*.py")
        if "AIOKafkaConsumer(" in path.read_text()
    )
    assert building == ["streams/_transport.py"]
