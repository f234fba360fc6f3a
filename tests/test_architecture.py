"""The engine stays pure: no faces, no providers, no clock."""

import ast
from pathlib import Path

import pytest

import relance

SRC = Path(relance.__file__).parent
EDGES = {"cli.py", "job.py", "demo.py", "template.py"}
EDGE_DIRS = {"workbook", "channels"}
FORBIDDEN = {"gspread", "xlwings", "mailjet_rest", "functions_framework", "smtplib", "requests", "openpyxl"}


def engine_modules():
    for path in SRC.rglob("*.py"):
        rel = path.relative_to(SRC)
        if rel.parts[0] in EDGE_DIRS or rel.name in EDGES:
            continue
        yield path


def test_engine_never_imports_providers():
    for path in engine_modules():
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                assert name.split(".")[0] not in FORBIDDEN, f"{path.name} imports {name}"


def test_engine_never_reads_the_clock():
    for path in engine_modules():
        text = path.read_text()
        for call in ("date.today(", "datetime.now(", "datetime.utcnow(", "time.time("):
            assert call not in text, f"{path.name} calls {call}"


@pytest.mark.filterwarnings("ignore:A test tried to use socket")
def test_the_test_run_cannot_reach_beyond_loopback():
    import socket

    from pytest_socket import SocketConnectBlockedError

    with pytest.raises(SocketConnectBlockedError):
        socket.create_connection(("192.0.2.10", 443), timeout=1)  # TEST-NET-1, never routed
