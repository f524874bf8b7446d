"""The import layering of qa_pipeline, checked over the source (`ast`), without importing it.

Layers, lowest first. A module may import its own layer and lower ones; an import of a
higher layer fails, wherever it stands. An import inside a function is for a heavy
dependency that loads lazily: of a qa_pipeline module it may only reach the same or a
lower layer, and the whole graph (module-level and function-level imports together)
has no cycle, so no function-level import hides one. A new module must be given a layer
here, which is the point: where it sits is a decision.
"""

from __future__ import annotations

import ast
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "qa_pipeline"

# (layer name, module patterns); a pattern names a module, or a package and everything in it.
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("records", ("qa_pipeline", "records", "errors", "identity", "files", "protocols", "contract",
                 "lazy_imports", "safe_csv", "run_records", "profiling", "concurrency", "metadata", "annotations",
                 "discovery", "growing", "languages", "catalogues")),
    ("text", ("phrases", "nlp", "prices", "vocabulary", "timing", "classifiers")),
    ("speech", ("speech", "synth")),
    ("criteria", ("criteria", "rubric")),
    ("stages", ("scoring", "confidence", "redaction", "sales")),
    ("outputs", ("report", "report_i18n", "store", "transcript_cache")),
    ("runs", ("batch", "pipeline", "evaluate", "mixdown_eval", "inbox", "runs", "run_state", "redact_existing",
              "rescore")),
    ("entry points", ("cli", "web")),
)


@dataclass(frozen=True)
class Import:
    source: str  # the importing module
    target: str  # the imported qa_pipeline module
    line: int
    lazy: bool  # inside a function or an `if TYPE_CHECKING:` block
    type_only: bool


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py")) if "migrations" not in p.parts}


def layer_of(module: str) -> int:
    short = module.removeprefix("qa_pipeline.") if module != "qa_pipeline" else module
    for index, (_, patterns) in enumerate(LAYERS):
        if any(short == p or short.startswith(p + ".") for p in patterns):
            return index
    raise LookupError(f"{module}: no layer; add it to LAYERS in {Path(__file__).name}")


def _resolve(module: str, node: ast.ImportFrom | ast.Import) -> list[str]:
    """The qa_pipeline modules an import statement loads (a `from package import module` names the module)."""
    if isinstance(node, ast.Import):
        return [a.name for a in node.names if a.name.split(".")[0] == "qa_pipeline"]
    base = node.module or ""
    if node.level:
        package = module.split(".") if MODULES[module].name == "__init__.py" else module.split(".")[:-1]
        base = ".".join(package[: len(package) - node.level + 1] + ([base] if base else []))
    if base.split(".")[0] != "qa_pipeline":
        return []
    found = [f"{base}.{a.name}" for a in node.names if f"{base}.{a.name}" in MODULES]
    return found if len(found) == len(node.names) else [*found, base]


def imports_of(module: str) -> list[Import]:
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    found: list[Import] = []

    def visit(node: ast.AST, lazy: bool, type_only: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Import | ast.ImportFrom):
                found.extend(Import(module, t, child.lineno, lazy, type_only) for t in _resolve(module, child))
            checking = isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test)
            inner = isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
            visit(child, lazy or inner or checking, type_only or checking)

    visit(tree, False, False)
    return found


ALL_IMPORTS = [i for m in MODULES for i in imports_of(m) if i.target != i.source]


def test_every_module_has_a_layer():
    for module in MODULES:
        layer_of(module)


def _upward(imports):
    return [f"{i.source}:{i.line} imports {i.target} ({LAYERS[layer_of(i.target)][0]} above "
            f"{LAYERS[layer_of(i.source)][0]}){' inside a function' if i.lazy else ''}"
            for i in imports if layer_of(i.target) > layer_of(i.source)]


def test_no_module_imports_a_higher_layer_at_module_level():
    assert _upward(i for i in ALL_IMPORTS if not i.lazy) == []


def test_no_function_level_import_reaches_a_higher_layer():
    assert _upward(i for i in ALL_IMPORTS if i.lazy) == []


def _cycle(edges: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(edges):
        if node not in state and (found := visit(node)):
            return found
    return None


def component(module: str) -> str:
    """The part of the package a module belongs to: its subpackage (`qa_pipeline.store`) or itself."""
    return ".".join(module.split(".")[:2])


def _graph(imports, node) -> dict[str, set[str]]:
    edges: dict[str, set[str]] = {}
    for i in imports:
        source, target = node(i.source), node(i.target)
        # A submodule importing a name of its own package (and the package's __init__ handing out
        # a submodule lazily, PEP 562) is how a package is put together, not a cycle.
        if not i.type_only and source != target and not i.source.startswith(i.target + "."):
            edges.setdefault(source, set()).add(target)
    return edges


def test_no_import_cycle_between_modules_even_through_function_level_imports():
    assert _cycle(_graph(ALL_IMPORTS, lambda m: m)) is None


def test_no_import_cycle_between_subpackages_even_through_function_level_imports():
    """store -> redaction -> report -> store was such a cycle, each edge a module-level import or a lazy one."""
    assert _cycle(_graph(ALL_IMPORTS, component)) is None


def test_only_training_imports_the_training_code():
    """Scoring a call loads the shipped models; fitting them is `qa-pipeline train`'s business."""
    training = {"qa_pipeline.classifiers.build", "qa_pipeline.classifiers.training"}
    allowed = training | {"qa_pipeline.cli.train"}
    assert [f"{i.source}:{i.line} imports {i.target}" for i in ALL_IMPORTS
            if i.target in training and i.source not in allowed] == []


def test_the_checker_sees_an_upward_lazy_import_and_a_hidden_cycle():
    # The checks above can fail: the store <-> redaction cycle as it was once written.
    hidden = [Import("qa_pipeline.redaction.existing", "qa_pipeline.store", 1, True, False),
              Import("qa_pipeline.store", "qa_pipeline.redaction.existing", 2, True, False)]
    assert _upward(hidden) == ["qa_pipeline.redaction.existing:1 imports qa_pipeline.store "
                               "(outputs above stages) inside a function"]
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]


def test_every_package_folder_is_listed_for_the_wheel():
    """pyproject.toml lists the packages (a mapped folder cannot be found by `packages.find`)."""
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    on_disk = {module_name(p) for p in PACKAGE.rglob("__init__.py")}
    assert on_disk <= listed
    assert listed - on_disk == {"qa_pipeline.rubrics", "qa_pipeline.models"}


@pytest.mark.parametrize("protocol, record", [
    ("AsrSettings", "qa_pipeline.speech.asr:AsrOptions"),
    ("RubricSpec", "qa_pipeline.rubric:Rubric"),
    ("RedactionPolicy", "qa_pipeline.redaction.settings:RedactionSettings"),
    ("SiteVocabulary", "qa_pipeline.vocabulary:Vocabulary"),
    ("ScorecardStore", "qa_pipeline.store.repository:Store"),
])
def test_the_records_have_what_the_protocols_of_the_seams_ask(protocol, record):
    """Each member a Protocol names is an attribute (field, property or method) of its record."""
    import importlib

    from qa_pipeline import protocols

    module, name = record.split(":")
    cls = getattr(importlib.import_module(module), name)
    members = {n for n in vars(getattr(protocols, protocol)) if not n.startswith("_")}
    fields = set(getattr(cls, "__dataclass_fields__", {}))
    assert members and {m for m in members if not (m in fields or hasattr(cls, m))} == set()


def test_a_module_named_in_the_layers_exists():
    names = {m.removeprefix("qa_pipeline.") for m in MODULES}
    planned = {"pipeline"}  # the per-call pipeline, on its way
    for _, patterns in LAYERS:
        for pattern in patterns:
            assert pattern == "qa_pipeline" or pattern in planned or any(
                re.fullmatch(rf"{re.escape(pattern)}(\..+)?", n) for n in names), pattern
