"""What every start pays for, made cheaper without changing a byte: the JSON the CLI prints, the
shipped YAML read by libyaml, the heavy libraries imported only where they are used, and the
process left without freeing its objects one by one."""

from __future__ import annotations

import enum
import json
import math
import subprocess
import sys
import textwrap
from collections import OrderedDict
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from relance.app import resources
from relance.cli import json_text

ROOT = Path(__file__).resolve().parents[1]
AS_OF = "2026-11-23"

# ------------------------------------------------------------------------------ the JSON printed


def reference(data: object) -> str:
    """What `relance … --json` printed before: the json module's indented text."""
    return json.dumps(data, ensure_ascii=False, indent=1)


scalars = (st.none() | st.booleans() | st.integers() | st.integers(min_value=-(10**30), max_value=10**30)
           | st.floats(allow_nan=True, allow_infinity=True) | st.text()
           | st.sampled_from(["", "é", "\u00a0:", "\"quoted\"", "back\\slash", "\n\t\x00", "😀", "\ud800"]))
keys = st.text() | st.integers() | st.floats(allow_nan=True, allow_infinity=True) | st.booleans() | st.none()
documents = st.recursive(
    scalars,
    lambda inner: (st.lists(inner, max_size=5) | st.lists(inner, max_size=3).map(tuple)
                   | st.dictionaries(keys, inner, max_size=5)),
    max_leaves=40)


@settings(max_examples=400, deadline=None)
@given(documents)
def test_json_text_is_the_json_modules_text(data):
    assert json_text(data) == reference(data)


class Colour(enum.StrEnum):
    red = "rouge"


class Count(enum.IntEnum):
    one = 1


@pytest.mark.parametrize("data", [
    {"severity": Colour.red},  # a str subclass: left to the json module, as before
    [Count.one, {"n": Count.one}],
    OrderedDict([("b", 1), ("a", [])]),
    {Colour.red: 1},
    {"deep": [[[[[[[[[[[]]]]]]]]]]]},
    [],
    {},
    "alone",
    3.5,
    None,
])
def test_json_text_of_unusual_values_is_the_json_modules_text(data):
    assert json_text(data) == reference(data)


@pytest.mark.parametrize("data", [{"when": object()}, {(1, 2): "a tuple key"}, [{1, 2}]])
def test_json_text_raises_what_the_json_module_raises(data):
    with pytest.raises(TypeError) as expected:
        reference(data)
    with pytest.raises(TypeError) as got:
        json_text(data)
    assert str(got.value) == str(expected.value)


def test_json_text_refuses_a_cycle_like_the_json_module():
    loop: list[object] = []
    loop.append(loop)
    with pytest.raises(ValueError, match="Circular reference detected"):
        json_text(loop)


def test_json_text_of_a_run_report():
    """A report's shape: nested records, lists of ids, amounts as strings, days as numbers."""
    skip = {"customer_id": "C00027", "invoice_ids": ["F2026-05679", "F2026-05680"], "scenario": "standard",
            "step": "reminder_1", "reason": "cooldown", "detail": "jusqu’au 4 décembre", "days": 12.5,
            "amounts": {"EUR": "1234.50"}, "requires_approval": False, "message_id": None}
    data = {"run_id": "20261201T205955.491042Z", "planned": 0, "daily_cap": None,
            "anomalies": {"errors": 0, "warnings": 56}, "actions": [], "skips": [skip] * 50,
            "nan": math.nan, "inf": -math.inf}
    assert json_text(data) == reference(data)


# ------------------------------------------------------------------------------ the JSON printed, through msgspec


@pytest.fixture
def through_msgspec(monkeypatch):
    """Every document, however small, offered to msgspec (a large report's path)."""
    import relance.cli

    monkeypatch.setattr(relance.cli, "_MSGSPEC_FROM", 0)


plain_scalars = (st.none() | st.booleans() | st.integers(min_value=-(2**63), max_value=2**64 - 1)
                 | st.text().filter(lambda t: not any("\ud800" <= c <= "\udfff" for c in t))
                 | st.sampled_from(["", "é", "\u00a0:", "\"quoted\"", "back\\slash", "\n\t\x00\x1f\x7f", "😀",
                                    "\u2028\u2029", "</script>"]))
plain_documents = st.recursive(
    plain_scalars,
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(), inner, max_size=5),
    max_leaves=40)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(plain_documents)
def test_msgspec_writes_plain_data_as_the_json_module(through_msgspec, data):
    from relance.cli import _msgspec_text

    assert _msgspec_text(data) == reference(data)  # taken: plain data only
    assert json_text(data) == reference(data)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(documents)
def test_json_text_of_any_document_through_msgspec_is_the_json_modules_text(through_msgspec, data):
    assert json_text(data) == reference(data)


@pytest.mark.parametrize("data", [
    1.5, [0.1, 1e16, 1e-7], {"x": math.nan}, {"a": (1, 2)}, {1: "a"}, [2**64], [-(2**63) - 1], {"s": "\ud800"},
    {"severity": Colour.red}, [Count.one], OrderedDict([("a", 1)]), {Colour.red: 1},
])
def test_msgspec_is_left_out_where_it_could_differ(through_msgspec, data):
    from relance.cli import _msgspec_text

    assert _msgspec_text(data) is None
    assert json_text(data) == reference(data)


def test_msgspec_is_left_out_of_a_cycle_and_the_json_module_says_so(through_msgspec):
    from relance.cli import _msgspec_text

    loop: list[object] = []
    loop.append(loop)
    twice: list[object] = []
    twice += [twice, twice]
    for data in (loop, twice, {"a": loop}):
        assert _msgspec_text(data) is None
        with pytest.raises(ValueError, match="Circular reference detected"):
            json_text(data)


def test_a_large_run_report_goes_through_msgspec():
    from relance.cli import _MSGSPEC_FROM, _msgspec_text

    action = {"action_key": "R4EFD4B42CBC6CA2D9CC", "customer_id": "C000001", "invoice_ids": ["F2026-0545731"],
              "scenario": "standard", "step": "notice", "channel": "email", "recipient": "théo@example.fr",
              "amounts": {"EUR": "1276.97"}, "days_past_due": 34, "requires_approval": False, "status": "sent",
              "message_id": None}
    skip = {"customer_id": "C00027", "invoice_ids": [], "scenario": "standard", "step": "reminder_1",
            "reason": "cooldown", "detail": "jusqu’au 4\u00a0décembre, \"dit-il\""}
    data = {"run_id": "20261201T205955.491042Z", "planned": 3000, "daily_cap": None, "outbox": "/tmp/é",
            "anomalies": {"errors": 0, "warnings": 56}, "actions": [dict(action) for _ in range(2000)],
            "skips": [dict(skip) for _ in range(2000)]}
    assert _MSGSPEC_FROM < 2000 * 20
    assert _msgspec_text(data) == reference(data)
    assert json_text(data) == reference(data)


_PRINT_LARGE = r"""
import sys
from relance.cli import _print_json
action = {"customer_id": "C000001", "recipient": "théo@example.fr", "detail": "jusqu’au 4\u00a0décembre 😀"}
_print_json({"run_id": "r", "actions": [dict(action, n=n) for n in range(5000)], "outbox": "/tmp/é"})
print("after", flush=True)
"""


@pytest.mark.parametrize("encoding", ["utf-8", "UTF8", "latin-1"])
def test_a_large_report_printed_as_bytes_is_the_json_modules_text(encoding, tmp_path):
    """The report printed by a real process (bytes straight to a UTF-8 stdout, text otherwise) is
    json.dumps' text and a new line, in the output's encoding, and what follows comes after it."""
    import os
    import subprocess
    import sys

    env = dict(os.environ, PYTHONIOENCODING=f"{encoding}:backslashreplace")
    done = subprocess.run([sys.executable, "-c", _PRINT_LARGE], capture_output=True, env=env, check=True)
    action = {"customer_id": "C000001", "recipient": "théo@example.fr", "detail": "jusqu’au 4\u00a0décembre 😀"}
    data = {"run_id": "r", "actions": [dict(action, n=n) for n in range(5000)], "outbox": "/tmp/é"}
    expected = (json.dumps(data, ensure_ascii=False, indent=1) + "\nafter\n").encode(encoding, "backslashreplace")
    assert done.stdout == expected


# ------------------------------------------------------------------------------ the shipped YAML


def shipped_yaml() -> list[Path]:
    found = [*sorted(resources.data_dir("scenarios").glob("*.yaml")),
             resources.data_dir("sheet_templates") / "workbook.yaml"]
    assert len(found) >= 5
    return found


@pytest.mark.parametrize("path", shipped_yaml(), ids=lambda p: p.name)
def test_shipped_yaml_reads_as_safe_load_reads_it(path):
    text = path.read_text("utf-8")
    assert resources.load_yaml(text) == yaml.safe_load(text)


def test_shipped_yaml_is_read_by_libyaml_when_pyyaml_has_it():
    if yaml.__with_libyaml__:
        assert resources._SafeLoader is yaml.CSafeLoader


@pytest.mark.parametrize("text", ["a: 1\nb: [x, y]\n", "on: yes\nn: 010\nd: 2026-11-23\nf: .5\n", "", "- ~\n- null\n"])
def test_load_yaml_types_are_safe_loads(text):
    assert resources.load_yaml(text) == yaml.safe_load(text)


# ------------------------------------------------------------------------------ imports and the exit


def python(code: str, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code), *args], capture_output=True, text=True,
                          timeout=600, check=False, cwd=cwd)


HEAVY = ("reportlab", "openpyxl", "rich", "PIL", "relance.render.letter", "relance.render.handoff",
         "relance.render.report_html", "relance.workbook.starter", "relance.engine.report",
         "pydantic", "email_validator", "holidays", "phonenumbers", "msgspec")


def test_the_command_line_imports_no_heavy_library():
    done = python(f"""
        import sys
        import relance.cli
        print(sorted(m for m in {HEAVY!r} if m in sys.modules))
    """)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


@pytest.fixture(scope="module")
def small_book(tmp_path_factory) -> Path:
    from relance.demo import build_demo_workbook

    path = tmp_path_factory.mktemp("startup") / "book.xlsx"
    build_demo_workbook(path, customers=40, invoices=300, as_of=__import__("datetime").date.fromisoformat(AS_OF))
    return path


def test_a_quiet_rerun_in_json_loads_no_pdf_no_starter_no_console(small_book, tmp_path):
    book = tmp_path / "book.xlsx"
    book.write_bytes(small_book.read_bytes())
    code = f"""
        import sys
        from relance.cli import app
        try:
            app(["run", sys.argv[1], "--as-of", "{AS_OF}", "--json"])
        except SystemExit as exc:
            assert exc.code in (0, None), exc.code
        print("MODULES", sorted(m for m in ("reportlab", "openpyxl", "rich", "relance.workbook.starter",
                                            "relance.render.letter", "relance.render.report_html")
                                if m in sys.modules))
    """
    first = python(code, str(book))  # files its messages (letters drawn: reportlab is needed there)
    assert first.returncode == 0, first.stderr
    rerun = python(code, str(book))  # the same day again: nothing new to send
    assert rerun.returncode == 0, rerun.stderr
    assert rerun.stdout.strip().splitlines()[-1] == "MODULES []"


def test_main_ends_with_the_commands_code_its_output_flushed_and_exit_handlers_run(small_book, tmp_path):
    book = tmp_path / "book.xlsx"
    book.write_bytes(small_book.read_bytes())
    code = """
        import atexit, sys
        atexit.register(lambda: print("exit handlers ran", flush=True))
        from relance.cli import main
        sys.argv = ["relance", *sys.argv[1:]]
        try:
            main()
        finally:  # never reached: the process ends inside main, its objects left to the system
            print("main returned", flush=True)
    """
    done = python(code, "run", str(book), "--as-of", AS_OF, "--json")
    assert done.returncode == 0, done.stderr
    printed, _, tail = done.stdout.rpartition("}\n")
    assert json.loads(printed + "}")["as_of"] == AS_OF
    assert tail == "exit handlers ran\n"
    missing = python(code, "run", str(tmp_path / "none.xlsx"), "--json")
    assert missing.returncode == 3
    assert missing.stdout == "exit handlers ran\n"
    usage = python(code, "run")
    assert usage.returncode == 2
    assert "exit handlers ran" in usage.stdout
    assert "main returned" not in usage.stdout


def test_main_with_another_thread_alive_ends_the_usual_way():
    """A thread still running (a library's): main leaves the usual way and Python waits for it."""
    code = """
        import sys, threading
        go = threading.Event()
        threading.Thread(target=lambda: (go.wait(), print("thread done", flush=True))).start()
        from relance.cli import main
        sys.argv = ["relance", "--help"]
        try:
            main()
        finally:  # reached only when main leaves the usual way (never after the fast exit)
            print("main left the usual way", flush=True)
            go.set()
    """
    done = python(code)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-2:] == ["main left the usual way", "thread done"]


def test_phases_file_written_before_the_fast_exit(small_book, tmp_path):
    book = tmp_path / "book.xlsx"
    book.write_bytes(small_book.read_bytes())
    phases = tmp_path / "phases.json"
    done = subprocess.run([sys.executable, "-c", "from relance.cli import main; main()", "run", str(book),
                           "--as-of", AS_OF, "--json"], capture_output=True, text=True, timeout=600, check=False,
                          env={**__import__("os").environ, "RELANCE_PHASES": str(phases)})
    assert done.returncode == 0, done.stderr
    recorded = json.loads(phases.read_text("utf-8"))
    assert {"read", "records", "other", "total"} <= set(recorded)


# ------------------------------------------------------------------------------ typer's coercion, without pydantic


def _parameters() -> list[tuple[object, object]]:
    """(command, parameter) for every parameter of the command tree, its help options included."""
    from typer._click import Context
    from typer.main import get_command

    from relance.cli import app

    found: list[tuple[object, object]] = []

    def walk(command: object) -> None:
        ctx = Context(command)  # type: ignore[arg-type]
        for param in command.get_params(ctx):  # type: ignore[attr-defined]
            found.append((ctx, param))
        for sub in (getattr(command, "commands", None) or {}).values():
            walk(sub)

    walk(get_command(app))
    return found


def _outcome(coerce, value, param, ctx):
    try:
        got = coerce(value, param=param, ctx=ctx)
    except Exception as exc:  # what typer says of a value it refuses
        return ("raised", type(exc), str(exc))
    return ("value", type(got), got)


values = (st.text() | st.integers() | st.booleans() | st.none() | st.binary(max_size=8)
          | st.text().map(Path) | st.sampled_from(["", "-", ".", "~/x", "a\x00b", "\udcff", "7", " 12 ", "1_000",
                                                  "true", "no", "/", "/tmp", "relance-demo"]))


def test_every_plain_parameter_gets_the_plain_coercion():
    from relance.cli import _plain_param, _PlainParam

    kinds = set()
    for _, param in _parameters():
        _plain_param(param)
        if isinstance(param._runtime_param, _PlainParam):
            kinds.add(param.type_descriptor.annotation)
    assert kinds == {str, bool, int, Path}


@pytest.fixture(scope="module")
def typers_params() -> list[tuple[object, object, object]]:
    """(command, parameter, typer's own runtime parameter) for every parameter, built once for
    the 300 examples below: the command tree and pydantic's TypeAdapters cost more than a draw."""
    from typer._coercion import build_runtime_param

    return [(ctx, param, build_runtime_param(param.type_descriptor))  # type: ignore[attr-defined]
            for ctx, param in _parameters()]


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_the_plain_coercion_is_typers(typers_params, data):
    """Every value, every parameter: the same result (type and value) or the same error as
    typer's own runtime parameter (its pydantic TypeAdapter)."""
    from relance.cli import _plain_param, _PlainParam

    for ctx, param, typers in typers_params:
        param._runtime_param = None
        _plain_param(param)
        plain = param._runtime_param
        if not isinstance(plain, _PlainParam):
            continue
        value = data.draw(values)
        assert _outcome(plain._coerce_value, value, param, ctx) == _outcome(typers._coerce_value, value, param, ctx)


def test_a_run_imports_no_pydantic(small_book, tmp_path):
    book = tmp_path / "book.xlsx"
    book.write_bytes(small_book.read_bytes())
    done = python(f"""
        import sys
        from relance.cli import app
        try:
            app(["run", sys.argv[1], "--as-of", "{AS_OF}", "--json", "--outbox", sys.argv[2]])
        except SystemExit as exc:
            assert exc.code in (0, None), exc.code
        print("MODULES", sorted(m for m in ("pydantic", "typer._adapters") if m in sys.modules))
    """, str(book), str(tmp_path / "outbox"))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "MODULES []"


def test_a_bad_value_is_said_as_typer_says_it():
    """A value the plain coercion leaves to typer (a word for a number): typer's own message."""
    from typer.testing import CliRunner

    from relance.cli import app

    done = CliRunner().invoke(app, ["init", "x.xlsx", "--demo", "--seed", "seven"])
    assert done.exit_code == 2
    assert "Invalid value for '--seed': Input should be a valid integer" in done.output  # pydantic's words
