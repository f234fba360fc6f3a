"""The hand-off package made faster (render/handoff.py: the run's Kit, each channel, step and status
name rendered once per package, the summary drawn on the canvas) is the former one
(tests/reference_handoff.py): its entries and their order, the CSV files and proofs byte for byte, the
summary PDF's text (pdftotext, when poppler is installed: tests/test_handoff_summary.py compares it
line by line and page by page), and the Modeles problems, whatever the wording, the language, the
customer, the history and the packages made before with the same Kit."""

from __future__ import annotations

import datetime as dt
import io
import shutil
import zipfile
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import reference_handoff
from letters import AS_OF, context, flat, invoice, pdf_to_text, preset
from relance.app.resources import message_templates
from relance.render import handoff
from relance.render.letter import Kit
from relance.render.messages import Renderer, TemplateProblem

COMPANY = {"name": "Atelier Dupont SARL", "email": "compta@dupont.example", "reply_to": "relances@dupont.example"}
CHANNELS = ("email", "sms", "letter", "call", "agency", "fax")
STEPS = ("courtesy", "reminder_1", "reminder_2", "formal_notice", "handoff", "étape maison")
STATUSES = ("sent", "delivered", "opened", "clicked", "replied", "bounced", "pending", "failed", "spam", "lu")
#: Modeles rows of the package: labels reworded, one that cannot be rendered, one that is not a block.
REWORDED = ("{% block channel %}{{ value|upper }}{% endblock %}"
            "{% block status %}{% if value == 'sent' %}parti{% else %}{{ value }}{% endif %}{% endblock %}")
BROKEN = "{% block step %}{{ value.nope.nope }}{% endblock %}{% block status %}{{ 1 / 0 }}{% endblock %}"


def row(i: int, channel: str = "email", step: str = "reminder_1", status: str = "sent", customer: str = "C042",
        recipient: str = "claire@martin.example", **kw: Any) -> dict[str, Any]:
    found = {"run_id": "r", "timestamp": f"2026-{9 + i // 28:02d}-{1 + i % 28:02d}T09:00:00+02:00",
             "action_key": f"k{i}", "customer_id": customer, "invoice_ids": "F-2026-101;F-2026-102",
             "scenario": "standard", "step": step, "channel": channel, "recipient": recipient, "status": status,
             "message_id": f"<k{i}@dupont.example>", "amount_due": Decimal("3400.00"), "currency": "EUR",
             "detail": ""}
    found.update(kw)
    return found


def long_history(n: int) -> list[dict[str, Any]]:
    return [row(i, CHANNELS[i % 3], STEPS[i % 4], STATUSES[i % 6],
                recipient="service.comptabilite.fournisseurs.tres.long@groupe-boulangeries-martin.example"
                if i % 2 else "+33600000000") for i in range(n)]


LONG_NAME = "Société Coopérative des Boulangeries Artisanales Réunies du Grand Lyon et de la Vallée du Rhône " * 2
MANY = [invoice(f"F-2026-{i:03d}", dt.date(2026, 8, 1), dt.date(2026, 9, 1) + dt.timedelta(days=i), f"{100 + i}.00",
                f"{100 + i}.00", "1.50", cur) for i, cur in enumerate(["EUR", "USD", "GBP", "CHF", "JPY", "EUR"] * 4)]

CASES = {
    "short": dict(),
    "no history": dict(history=[]),
    "long history": dict(history=long_history(40)),
    "long names wrap": dict(customer=dict(name=LONG_NAME, contact_name="M. " + LONG_NAME[:60],
                                          address="12 rue des Lilas\n" + LONG_NAME), history=long_history(25)),
    "several currencies": dict(invoices=MANY, history=long_history(30)),
    "consumer": dict(b2b=False, history=long_history(5)),
    "unknown kind": dict(customer=dict(type=""), history=long_history(5)),
    "hostile texts": dict(history=[row(i, step="=HYPERLINK(1)", recipient="@x <b>&amp;", message_id="+1")
                                   for i in range(4)]),
}


def unpacked(made: tuple[bytes, list[str]]) -> tuple[list[tuple[str, bytes | str]], list[str]]:
    """A package as compared: each entry's bytes, the summary PDF as its words (pdftotext, when
    poppler is installed; its page count and layout are tests/test_handoff_summary.py's), the problems."""
    data, problems = made
    archive = zipfile.ZipFile(io.BytesIO(data))
    entries: list[tuple[str, bytes | str]] = []
    for name in archive.namelist():
        raw = archive.read(name)
        if name == "synthese.pdf":
            assert raw.startswith(b"%PDF-")
            entries.append((name, flat(pdf_to_text(raw)) if POPPLER else ""))
        else:
            entries.append((name, raw))
    return entries, problems


POPPLER = shutil.which("pdftotext") is not None


def make(module: Any, case: dict[str, Any], lang: str, renderer: Renderer, **kw: Any) -> tuple[bytes, list[str]]:
    ctx = context(b2b=case.get("b2b", True), invoices=[dict(i) for i in case["invoices"]]
                  if "invoices" in case else None, **case.get("customer", {}))
    customer = dict(ctx["customer"])
    if "customer" in case and "type" in case["customer"]:
        customer["type"] = case["customer"]["type"]
    problems: list[TemplateProblem] = []
    data = module.agency_package(customer, ctx["invoices"], case.get("history", long_history(4)),
                                 {"C042_reminder_1_k1.eml": b"From: x\r\n\r\nBonjour\r\n"}, AS_OF, lang,
                                 company=COMPANY, renderer=renderer, problems=problems, **kw)
    return data, [p.said.en if p.said is not None else str(p) for p in problems]


RENDERERS = {"shipped": None, "reworded": REWORDED, "broken": BROKEN}


def renderer_of(name: str, lang: str) -> Renderer:
    body = RENDERERS[name]
    return preset() if body is None else Renderer(message_templates(), {("handoff", lang, "package"): body})


@pytest.mark.parametrize("wording", sorted(RENDERERS))
@pytest.mark.parametrize("lang", ["fr", "en"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_each_package_is_the_former_one(case: str, lang: str, wording: str) -> None:
    renderer = renderer_of(wording, lang)
    former = unpacked(make(reference_handoff, CASES[case], lang, renderer))
    assert unpacked(make(handoff, CASES[case], lang, renderer)) == former
    assert unpacked(make(handoff, CASES[case], lang, renderer, kit=Kit(lang))) == former
    if wording == "broken" and CASES[case].get("history") != []:
        assert former[1]  # the problems are said, as before


def test_one_kit_for_a_run_of_packages_gives_each_package_its_former_bytes() -> None:
    """The run's Kit learns currencies and styles from package to package: no byte changes for it."""
    kits = {"fr": Kit("fr"), "en": Kit("en")}
    for _ in range(2):
        for case in sorted(CASES):
            for lang in ("fr", "en"):
                renderer = preset()
                assert make(handoff, CASES[case], lang, renderer, kit=kits[lang]) == \
                    make(handoff, CASES[case], lang, renderer)
                assert unpacked(make(handoff, CASES[case], lang, renderer, kit=kits[lang])) == \
                    unpacked(make(reference_handoff, CASES[case], lang, renderer))
    # a Kit of the other language is not used: the package's own language decides
    assert make(handoff, CASES["short"], "fr", preset(), kit=kits["en"]) == \
        make(handoff, CASES["short"], "fr", preset())


texts = st.text(st.characters(blacklist_categories=("Cs",)), max_size=30)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(CHANNELS) | texts, st.sampled_from(STEPS) | texts,
                          st.sampled_from(STATUSES) | texts, texts), max_size=24),
       st.sampled_from(["fr", "en"]), st.sampled_from(sorted(RENDERERS)))
def test_generated_histories_give_the_former_package(rows: list[tuple[str, str, str, str]], lang: str,
                                                     wording: str) -> None:
    history = [row(i, channel, step, status, recipient=to) for i, (channel, step, status, to) in enumerate(rows)]
    renderer = renderer_of(wording, lang)
    case = {"history": history}
    assert unpacked(make(handoff, case, lang, renderer, kit=Kit(lang))) == \
        unpacked(make(reference_handoff, case, lang, renderer))
