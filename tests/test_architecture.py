"""The layers hold: faces -> app -> (render | workbook | channels) -> engine.

Two checks, each proven to catch what it is meant to catch:

- the import-linter contracts in pyproject.toml (who may import whom, and which libraries and
  standard-library modules each layer may not import), run here as `make test` runs them;
- an AST check of every module under engine/ and render/ for what an import rule cannot see:
  a file opened, the clock or the environment read, a process-wide cache.
"""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

import relance

SRC = Path(relance.__file__).parent
ROOT = Path(__file__).resolve().parents[1]
PURE_LAYERS = ("engine", "render")

# Third-party packages each pure layer may import; the standard library is told apart by
# sys.stdlib_module_names, and its impure modules are forbidden by the import-linter contracts.
ALLOWED_THIRD_PARTY = {
    "engine": {"babel", "holidays", "phonenumbers", "email_validator", "numpy"},  # numpy: risk grading (scoring.py)
    "render": {"babel", "jinja2", "markupsafe", "reportlab"},
}

# Known breaks of the AST rules in src, each (file relative to the repository, what was found).
# A waiver hides nothing: test_every_waiver_is_still_needed fails once the code is fixed.
WAIVERS: set[tuple[str, str]] = set()


# --------------------------------------------------------------------------------------------
# import-linter


def run_lint_imports(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """lint-imports in a child process (it reconfigures logging and sys.path of its host)."""
    env = {**os.environ, "COLUMNS": "250", "NO_COLOR": "1", "TERM": "dumb"}
    return subprocess.run(
        [sys.executable, "-c", "from importlinter.cli import lint_imports_command; lint_imports_command()",
         "--no-cache", "--no-logo", *args],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=120, check=False,
    )


def contracts() -> list[dict]:
    with (ROOT / "pyproject.toml").open("rb") as f:
        return tomllib.load(f)["tool"]["importlinter"]["contracts"]


def test_the_layers_contract_is_the_documented_one():
    layers = next(c for c in contracts() if c["type"] == "layers")
    assert layers["containers"] == ["relance"]
    assert layers["exhaustive"] is True
    assert layers["layers"] == ["cli : demo : cloud", "app", "render | workbook | channels", "disk", "engine"]


def test_the_import_contracts_are_kept():
    done = run_lint_imports(ROOT)
    out = done.stdout + done.stderr
    assert done.returncode == 0, out
    for contract in contracts():
        assert f"{contract['name']} KEPT" in out, f"{contract['name']!r} not reported kept:\n{out}"
    assert f"Contracts: {len(contracts())} kept, 0 broken." in out, out


# Each contract, broken on purpose in a copy of the package: (contract id, file, added line).
BREAKS = [
    ("layers", "engine/planner.py", "from relance.app import jobs"),
    ("layers", "engine/kpi.py", "from relance.workbook import xlsx"),
    ("layers", "render/letter.py", "from relance.channels import outbox"),
    ("layers", "stray.py", '"""A module under relance/ that no layer lists."""'),
    ("faces-through-app", "cli.py", "from relance.workbook.xlsx import XlsxBackend"),
    ("faces-through-app", "cloud/runs.py", "from relance.channels.outbox import OutboxChannel"),
    ("engine-pure", "engine/kpi.py", "import python_calamine"),
    ("engine-pure", "engine/kpi.py", "import jinja2"),
    ("engine-pure", "engine/kpi.py", "from pathlib import Path"),
    ("engine-pure", "engine/kpi.py", "import time"),
    ("render-pure", "render/letter.py", "import openpyxl"),
    ("render-pure", "render/letter.py", "import tempfile"),
    ("workbook-no-render-face-provider", "workbook/memory.py", "import jinja2"),
    ("channels-no-render-face-workbook", "channels/port.py", "import reportlab"),
]


@pytest.mark.parametrize(("contract", "target", "line"), BREAKS,
                         ids=[f"{c}:{t}:{line.split()[-1]}" for c, t, line in BREAKS])
def test_each_import_contract_breaks_when_broken(tmp_path: Path, contract: str, target: str, line: str):
    shutil.copytree(SRC, tmp_path / "relance", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    path = tmp_path / "relance" / target
    path.write_text((path.read_text() if path.exists() else "") + f"\n{line}\n")

    done = run_lint_imports(tmp_path, "--contract", contract)
    out = done.stdout + done.stderr
    assert done.returncode == 1, out
    assert "Contracts: 0 kept, 1 broken." in out, out
    if target != "stray.py":
        module = "relance." + target.removesuffix(".py").replace("/", ".")
        assert module in out, out


# --------------------------------------------------------------------------------------------
# AST rules for engine/ and render/

PATH_IO = {"read_text", "read_bytes", "write_text", "write_bytes", "open", "glob", "rglob",
           "iterdir", "exists", "is_file", "is_dir", "mkdir", "unlink"}
OPENERS = {"open", "io.open", "os.open", "codecs.open", "builtins.open"}
CLOCK = {"now", "today", "utcnow"}
ENVIRONMENT = {"os.environ", "os.environb", "os.getenv", "os.getenvb", "os.putenv", "os.unsetenv"}
MEMOIZERS = {"functools.cache", "functools.lru_cache", "functools.cached_property"}
MUTABLE_FACTORIES = {"dict", "list", "set", "bytearray", "deque", "Counter", "OrderedDict", "ChainMap",
                     "WeakValueDictionary", "WeakKeyDictionary", "WeakSet"}


def _imported_names(tree: ast.AST) -> dict[str, str]:
    """Local name -> the dotted name it was imported as (`import datetime as dt`: dt -> datetime)."""
    names: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    names[alias.asname] = alias.name
                else:
                    root = alias.name.split(".")[0]
                    names[root] = root
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for alias in node.names:
                names[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return names


def _qualified(node: ast.AST, imported: dict[str, str]) -> str | None:
    """The dotted name of a Name or Attribute chain rooted in an import, else None."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name) and node.id in imported:
        return ".".join([imported[node.id], *reversed(parts)])
    return None


def _source(node: ast.AST) -> str:
    return ast.unparse(node).splitlines()[0][:80]


def _empty_mutable(value: ast.expr | None) -> bool:
    if isinstance(value, ast.Tuple):
        return any(_empty_mutable(element) for element in value.elts)
    if isinstance(value, ast.Dict):
        return not value.keys
    if isinstance(value, ast.List):
        return not value.elts
    if isinstance(value, ast.Call):
        func = value.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
        if name == "defaultdict":
            return True
        return name in MUTABLE_FACTORIES and not value.args and not value.keywords
    return False


def _state_statements(body: list[ast.stmt], where: str) -> Iterator[tuple[ast.stmt, str]]:
    """Statements that run once per process: module level (through if/try/with) and class bodies."""
    for stmt in body:
        yield stmt, where
        if isinstance(stmt, ast.ClassDef):
            yield from _state_statements(stmt.body, "class-level")
        elif isinstance(stmt, ast.If | ast.With):
            yield from _state_statements(stmt.body, where)
            yield from _state_statements(getattr(stmt, "orelse", []), where)
        elif isinstance(stmt, ast.Try | ast.TryStar):
            for block in (stmt.body, stmt.orelse, stmt.finalbody, *(h.body for h in stmt.handlers)):
                yield from _state_statements(block, where)


def impurities(source: str, filename: str = "<snippet>") -> list[str]:
    """What in this module reads a file, the clock or the environment, or keeps a process-wide cache."""
    tree = ast.parse(source, filename)
    imported = _imported_names(tree)
    found: list[tuple[int, str]] = []

    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func, name = node.func, _qualified(node.func, imported)
            if (isinstance(func, ast.Name) and func.id == "open") or name in OPENERS:
                found.append((node.lineno, f"opens a file: {_source(node)}"))
            elif name and name.startswith("glob."):
                found.append((node.lineno, f"glob call: {_source(node)}"))
            elif isinstance(func, ast.Attribute) and func.attr in PATH_IO:
                found.append((node.lineno, f"file-system call .{func.attr}(): {_source(node)}"))
            elif isinstance(func, ast.Attribute) and func.attr in CLOCK:
                found.append((node.lineno, f"reads the clock: {_source(node)}"))
            elif name and name.startswith("time."):
                found.append((node.lineno, f"time module call: {_source(node)}"))
        elif isinstance(node, ast.Name | ast.Attribute):
            name = _qualified(node, imported)
            if name in ENVIRONMENT:
                found.append((node.lineno, f"reads the environment: {name}"))
            elif name in MEMOIZERS:
                found.append((node.lineno, f"process-wide memo: {name}"))
        elif isinstance(node, ast.Global):
            found.append((node.lineno, f"global statement: global {', '.join(node.names)}"))

    for stmt, where in _state_statements(tree.body, "module-level"):
        if isinstance(stmt, ast.Assign | ast.AnnAssign) and _empty_mutable(stmt.value):
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            shown = " = ".join(ast.unparse(t) for t in targets)
            found.append((stmt.lineno, f"{where} cache: {shown} = {ast.unparse(stmt.value)}"))

    return [f"{filename}:{line}: {what}" for line, what in sorted(set(found))]


def pure_layer_files() -> list[Path]:
    return sorted(path for layer in PURE_LAYERS for path in (SRC / layer).rglob("*.py"))


def _rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix() if path.is_relative_to(ROOT) else str(path)


def _all_impurities() -> list[str]:
    return [found for path in pure_layer_files() for found in impurities(path.read_text(), _rel(path))]


def _waived(found: str) -> bool:
    filename, _, rest = found.split(":", 2)
    return (filename, rest.strip()) in WAIVERS


def test_the_pure_layers_are_walked_by_folder():
    files = pure_layer_files()
    for layer in PURE_LAYERS:
        assert sum(1 for p in files if p.relative_to(SRC).parts[0] == layer) >= 3, layer
    assert SRC / "engine" / "kpi.py" in files
    assert SRC / "render" / "letter.py" in files


def test_engine_and_render_read_no_file_clock_or_environment_and_keep_no_cache():
    broken = [found for found in _all_impurities() if not _waived(found)]
    assert not broken, "\n".join(broken)


def test_every_waiver_is_still_needed():
    found = {found for found in _all_impurities() if _waived(found)}
    left = {f"{filename}: {what}" for filename, what in WAIVERS
            if not any(f.startswith(filename + ":") and f.endswith(": " + what) for f in found)}
    assert not left, f"fixed in src, remove from WAIVERS: {sorted(left)}"


@pytest.mark.parametrize("layer", PURE_LAYERS)
def test_pure_layers_import_only_their_third_party_libraries(layer: str):
    allowed = ALLOWED_THIRD_PARTY[layer] | {"relance"} | set(sys.stdlib_module_names)
    broken = []
    for path in sorted((SRC / layer).rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            modules = ([a.name for a in node.names] if isinstance(node, ast.Import)
                       else [node.module] if isinstance(node, ast.ImportFrom) and node.module and not node.level
                       else [])
            broken += [f"{_rel(path)}:{node.lineno}: imports {m}" for m in modules
                       if m.split(".")[0] not in allowed]
    assert not broken, "\n".join(broken)


# The checker itself: every rule catches a small module that breaks it ...
BREAKING = {
    "open()": ("open('x')", "opens a file"),
    "io.open()": ("import io\nio.open('x')", "opens a file"),
    "glob.glob()": ("import glob\nglob.glob('*.xlsx')", "glob call"),
    "from glob import iglob": ("from glob import iglob\niglob('*')", "glob call"),
    "date.today()": ("import datetime\ndatetime.date.today()", "reads the clock"),
    "dt.datetime.now()": ("import datetime as dt\ndt.datetime.now(dt.UTC)", "reads the clock"),
    "datetime.utcnow()": ("from datetime import datetime\ndatetime.utcnow()", "reads the clock"),
    "time.time()": ("import time\ntime.time()", "time module call"),
    "time.sleep() aliased": ("import time as t\nt.sleep(1)", "time module call"),
    "from time import perf_counter": ("from time import perf_counter\nperf_counter()", "time module call"),
    "os.environ[]": ("import os\nos.environ['X']", "reads the environment: os.environ"),
    "os.environ.get()": ("import os\nos.environ.get('X')", "reads the environment: os.environ"),
    "os.getenv()": ("import os\nos.getenv('X')", "reads the environment: os.getenv"),
    "from os import environ": ("from os import environ\nenviron['X']", "reads the environment: os.environ"),
    "@functools.cache": ("import functools\n@functools.cache\ndef f(): pass", "process-wide memo"),
    "@lru_cache()": ("from functools import lru_cache\n@lru_cache(maxsize=None)\ndef f(): pass",
                     "process-wide memo: functools.lru_cache"),
    "@cached_property in a class": ("import functools\nclass C:\n    @functools.cached_property\n"
                                    "    def x(self): return 1", "process-wide memo"),
    "global": ("_N = 0\ndef f():\n    global _N\n    _N += 1", "global statement: global _N"),
    "= {}": ("_CACHE = {}", "module-level cache: _CACHE = {}"),
    "annotated = {}": ("_CACHE: dict[str, int] = {}", "module-level cache: _CACHE = {}"),
    "= []": ("_SEEN = []", "module-level cache: _SEEN = []"),
    "= set()": ("_SEEN = set()", "module-level cache"),
    "= dict()": ("_CACHE = dict()", "module-level cache"),
    "= list()": ("_CACHE = list()", "module-level cache"),
    "= defaultdict()": ("from collections import defaultdict\n_BY = defaultdict(list)", "module-level cache"),
    "= OrderedDict()": ("import collections\n_LRU = collections.OrderedDict()", "module-level cache"),
    "= {} inside try": ("try:\n    import x\nexcept ImportError:\n    _CACHE = {}", "module-level cache"),
    "a, b = {}, {}": ("_A, _B = {}, {}", "module-level cache"),
    "class attribute = {}": ("class Registry:\n    known = {}", "class-level cache: known = {}"),
}
BREAKING.update({f"Path.{name}()": (f"from pathlib import Path\nPath('x').{name}()", f".{name}()")
                 for name in sorted(PATH_IO)})


@pytest.mark.parametrize(("snippet", "expected"), BREAKING.values(), ids=BREAKING.keys())
def test_the_checker_catches(snippet: str, expected: str):
    found = impurities(snippet, "snippet.py")
    assert len(found) == 1, found
    assert found[0].startswith("snippet.py:"), found
    assert expected in found[0], found


# ... and lets pure code through.
PURE = {
    "frozen constants": "TABLE = {'a': 1}\nNAMES = ['x']\nKNOWN = frozenset({'b'})\nEMPTY = ()",
    "a local dict": "def f():\n    seen = {}\n    return seen",
    "an instance cache": "class C:\n    def __init__(self):\n        self.cache = {}",
    "a dataclass factory": "from dataclasses import dataclass, field\n@dataclass\nclass C:\n"
                           "    x: list = field(default_factory=list)",
    "the clock in a docstring": '"""Never datetime.now(), open() or os.environ."""',
    "datetime.time values": "import datetime as dt\nwall = dt.datetime.combine(dt.date(2025, 1, 2), dt.time(9))",
    "a variable named time": "import datetime as dt\ntime = dt.time(1)\nlater = time.replace(hour=2)",
    "an in-memory zip": "import io, zipfile\nbuf = io.BytesIO()\nzipfile.ZipFile(buf, 'w').writestr('a', b'')",
    "functools.reduce": "import functools\nfunctools.reduce(max, [1, 2])",
    "dt.date.fromisoformat": "import datetime as dt\ndt.date.fromisoformat('2025-01-02')",
}


@pytest.mark.parametrize("snippet", PURE.values(), ids=PURE.keys())
def test_the_checker_lets_pure_code_through(snippet: str):
    assert impurities(snippet) == []


# --------------------------------------------------------------------------------------------


@pytest.mark.filterwarnings("ignore:A test tried to use socket")
def test_the_test_run_cannot_reach_beyond_loopback():
    import socket

    from pytest_socket import SocketConnectBlockedError

    with pytest.raises(SocketConnectBlockedError):
        socket.create_connection(("192.0.2.10", 443), timeout=1)  # TEST-NET-1, never routed
