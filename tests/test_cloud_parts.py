"""The Cloud Functions' parts that need no server: run ids, the body, the allow-list, the logs,
the deployed source folder (main.py's targets, requirements.txt)."""

from __future__ import annotations

import io
import json
import re
import tomllib
from pathlib import Path

import pytest

from relance.cloud.calls import Refusal, run_request, schedule_run_id
from relance.cloud.identity import allowed
from relance.cloud.logs import log, workbook_ref
from relance.cloud.runs import outbox_for

ROOT = Path(__file__).resolve().parents[1]


def test_the_run_id_is_the_schedule_time_in_utc_whatever_its_spelling():
    same = ["2026-12-01T07:00:00Z", "2026-12-01T07:00:00.000Z", "2026-12-01T08:00:00+01:00",
            "2026-12-01t07:00:00z"]
    assert {schedule_run_id(v) for v in same} == {"sched-20261201T070000Z"}
    assert schedule_run_id("2026-12-02T07:00:00Z") == "sched-20261202T070000Z"
    assert schedule_run_id(None) is None and schedule_run_id("  ") is None
    for bad in ("tomorrow", "2026-12-01T07:00:00"):  # no offset: not RFC 3339
        with pytest.raises(Refusal) as refused:
            schedule_run_id(bad)
        assert refused.value.status == 400 and refused.value.code == "bad_schedule_time"


def test_the_body_names_workbooks_once_each_and_refuses_local_paths_by_default():
    asked = run_request({"workbooks": ["gsheet:a", "gs://b/c.xlsx", "gsheet:a"], "channel": "mailjet"}, {})
    assert asked.workbooks == ("gsheet:a", "gs://b/c.xlsx") and asked.channel == "mailjet" and not asked.anytime
    with pytest.raises(Refusal) as refused:
        run_request({"workbook": "/srv/books/ledger.xlsx"}, {})
    assert refused.value.code == "local_workbook"
    assert run_request({"workbook": "/srv/books/ledger.xlsx"}, {"RELANCE_LOCAL_WORKBOOKS": "1"}).workbooks == (
        "/srv/books/ledger.xlsx",)
    message = asked.message("gsheet:a", "sched-x")
    assert message == {"workbook": "gsheet:a", "run_id": "sched-x", "channel": "mailjet", "anytime": False}


def test_the_allow_list_takes_addresses_and_domains():
    users = "julie@dumas.example; @cabinet-martin.example , paul@x.example"
    assert allowed("julie@dumas.example", users) and allowed("anne@cabinet-martin.example", users)
    assert not allowed("mallory@dumas.example.evil", users) and not allowed("x@martin.example", users)
    assert not allowed("julie@dumas.example", "")


def test_a_log_line_is_one_json_object_and_refuses_fields_that_could_be_personal():
    out = io.StringIO()
    log("INFO", "run done", stream=out, run_id="sched-1", workbook_ref=workbook_ref("gs://b/dupont.xlsx"), sent=3)
    line = json.loads(out.getvalue())
    assert line == {"severity": "INFO", "message": "run done", "run_id": "sched-1",
                    "workbook_ref": workbook_ref("gs://b/dupont.xlsx"), "sent": 3}
    assert "dupont" not in out.getvalue() and re.fullmatch(r"[0-9a-f]{12}", line["workbook_ref"])
    for field in ("email", "recipient", "customer_name", "amount", "workbook"):
        with pytest.raises(ValueError):
            log("INFO", "x", stream=out, **{field: "secret"})


def test_each_workbook_has_its_own_outbox(tmp_path):
    assert outbox_for(str(tmp_path / "a.xlsx"), {}) == tmp_path / "a_outbox"
    root = {"RELANCE_OUTBOX_DIR": str(tmp_path / "box")}
    one, two = outbox_for("gs://b/ledger.xlsx", root), outbox_for("gs://c/ledger.xlsx", root)
    assert one.parent == two.parent == tmp_path / "box" and one != two and one.name.startswith("ledger-")
    assert "relance-outbox" in str(outbox_for("gsheet:1AbC", {}))


def test_main_py_serves_each_function_with_its_signature():
    from functions_framework import create_app

    for target in ("daily_run", "menu_action", "dispatch", "worker"):
        client = create_app(target, str(ROOT / "cloud_functions" / "main.py")).test_client()
        reply = client.post("/", data="not json", headers={"Content-Type": "application/json"})
        # HTTP functions refuse the body themselves (400, JSON); the CloudEvent one refuses a
        # request that is no CloudEvent before it reaches relance
        assert reply.status_code in (400, 500), (target, reply.status_code)
        if target in ("daily_run", "dispatch"):
            assert reply.get_json()["error"]["code"] == "bad_body"
        elif target == "menu_action":  # the caller first; here the function lacks its audience
            assert reply.get_json()["error"]["code"] == "not_configured"


def test_requirements_name_relances_wheel_with_the_extras_the_functions_need():
    lines = [ln for ln in (ROOT / "cloud_functions" / "requirements.txt").read_text().splitlines()
             if ln.strip() and not ln.startswith("#")]
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wheel = f"./dist/relance-{project['version']}-py3-none-any.whl[cloud,mailjet]"
    assert wheel in lines and any(ln.startswith("functions-framework") for ln in lines)
    extras = project["optional-dependencies"]
    assert {"functions-framework>=3.5", "google-auth>=2.20"} <= set(extras["cloud"])
    assert "functions-framework>=3.5" in extras["dev"]


def test_every_variable_the_functions_read_is_in_the_deploy_guide():
    guide = (ROOT / "docs" / "deploy-gcp.md").read_text(encoding="utf-8")
    code = "".join(p.read_text(encoding="utf-8") for p in (ROOT / "src" / "relance" / "cloud").glob("*.py"))
    names = set(re.findall(r"\"(RELANCE_[A-Z_]+|GOOGLE_[A-Z_]+)\"", code))
    assert {"RELANCE_LOCAL_WORKBOOKS", "RELANCE_MENU_AUDIENCE", "RELANCE_PUBSUB_TOPIC"} <= names
    assert not [n for n in names if f"`{n}`" not in guide]
