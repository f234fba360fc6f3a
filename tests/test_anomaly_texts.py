"""Every anomaly says its problem and its fix in the workbook's language: a hostile French workbook
(a bad cell of each kind in every tab) gives French texts only, typeset, naming the tabs as the
workbook names them; the same anomalies in English carry no French word; the language follows the
`locale` row of Parametres/Settings, else the tab names."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from conftest import NOW
from french import assert_french, french_problems
from relance.app.jobs import snapshot
from relance.app.resources import shipped_contract
from relance.app.templates import check_templates
from relance.engine.anomaly import Anomaly
from relance.engine.i18n import Said
from relance.engine.owned_tabs import anomalies_tab
from relance.workbook.memory import MemoryBackend

AS_OF = dt.date(2025, 3, 31)
#: Words only French writes: none may appear in an English text (outside the values).
FRENCH_ONLY = ("ligne", "onglet", "ignorée", "ignoré", "n'est", "pas", "une", "colonne", "corrigez", "écrivez",
               "saisissez", "les", "des", "été", "est", "vide", "règlement", "ou")
#: Settings/Parametres anomalies whose texts settings.py still writes itself (converted separately).
OWN_SETTINGS_TEXTS: set[str] = set()  # Parametres texts are checked like the others


def _rows(key: str, *rows: dict[str, object]) -> list[list[object]]:
    """A tab of the shipped contract with its French headers and `rows` given by column key."""
    spec = shipped_contract().tab(key)
    return [spec.headers("fr"), *[[row.get(c.key) for c in spec.columns] for row in rows]]


def _invoice(iid: object, cid: object = "C1", issued: object = "2025-01-01", due: object = "2025-02-01",
             amount: object = 100, **kw: object) -> dict[str, object]:
    return {"invoice_id": iid, "customer_id": cid, "issue_date": issued, "due_date": due, "amount": amount,
            "currency": "EUR", "kind": "facture", **kw}


def _customer(cid: object, **kw: object) -> dict[str, object]:
    return {"customer_id": cid, "name": f"Client {cid}", "email": f"compta@{str(cid).lower()}.example",
            "language": "fr", "customer_type": "B2B", "payment_terms": "30", **kw}


def _step(scenario: object, step: object, offset: object, channel: object = "email",
          template: object = "courtesy", **kw: object) -> dict[str, object]:
    return {"scenario": scenario, "step": step, "offset_days": offset, "channel": channel, "template": template, **kw}


def hostile_tabs() -> dict[str, list[list[object]]]:
    """A French workbook with one bad cell of (nearly) every kind relance reports."""
    return {
        "Clients": _rows(
            "customers", _customer("C1"), _customer("C2", customer_type="B2C"), _customer(None),
            _customer("C1"), _customer("C4", email="pas-une-adresse"), _customer("C5", language="de"),
            _customer("C6", customer_type="PME"), _customer("C7", customer_type=None),
            _customer("C8", opt_out="peut-être"), _customer("C10", paused_until="32/01/2025"),
            _customer("C11", payment_terms="bientôt"), _customer("C12", payment_terms="90"),
            _customer("C13", scenario="inexistant")),
        "Factures": _rows(
            "invoices", _invoice("F1"), {}, _invoice(None), _invoice("F1"), _invoice("F3", "C9"),
            _invoice("F4", issued="31/02/2025"), _invoice("F5", due="2025-13-01"), _invoice("F6", amount="douze"),
            _invoice("F7", kind="bon"), _invoice("F8", amount=-5), _invoice("F9", currency="EURO"),
            _invoice("F10", amount=10.555), _invoice("F11", amount=0), _invoice("F12", status="peut-être"),
            _invoice("F13", issued="2025-01-10", due="2025-01-05"), _invoice("F14", due="2025-06-30"),
            _invoice("F15", due=None, payment_terms="bientôt"), _invoice("F16", paid_amount="abc"),
            _invoice("F17", paid_amount=30), _invoice("F18", issued="1950-01-01", due="1950-02-01"),
            _invoice("F19", issued="9999-12-31"), _invoice("F20", amount=10**13), _invoice("F21", "C13"),
            _invoice("A1", kind="avoir", amount=10, applies_to="F99"),
            _invoice("A2", "C2", kind="avoir", amount=10, applies_to="F1")),
        "Reglements": _rows(
            "payments", {"date": "hier", "amount": 10, "invoice_id": "F1"},
            {"date": "2025-02-10", "amount": -3, "invoice_id": "F1"},
            {"date": "2025-02-10", "amount": 10, "invoice_id": "F99"},
            {"date": "2025-02-10", "amount": 10, "invoice_id": "F1", "customer_id": "C2"},
            {"date": "2025-02-10", "amount": 10},
            {"date": "2025-02-10", "amount": 10, "customer_id": "C99"},
            {"date": "2025-02-10", "amount": 10, "invoice_id": "F1", "currency": "EURO"},
            {"date": "2025-02-10", "amount": 10, "invoice_id": "F1", "currency": "USD"},
            {"date": "2025-02-10", "amount": 50, "invoice_id": "F17", "currency": "EUR"}),
        "Litiges": _rows(
            "disputes", {"invoice_id": "F99"}, {"invoice_id": "F1", "status": "peut-être"},
            {"invoice_id": "F1", "opened": "32/13/2025", "status": "ouvert"}),
        "Promesses": _rows(
            "promises", {"invoice_ids": "F99", "promised_date": "2025-04-10"},
            {"customer_id": "C1", "invoice_ids": "F99", "promised_date": "2025-04-10"},
            {"customer_id": "C1", "invoice_ids": "F1", "promised_date": "demain"},
            {"customer_id": "C1", "invoice_ids": "F1", "promised_date": "2025-04-10", "status": "peut-être"},
            {"customer_id": "C1", "invoice_ids": "F1", "promised_date": "2025-02-01", "status": "en_cours"}),
        "CA_mensuel": _rows(
            "sales", {"month": "2025-01", "currency": "EUR", "amount": 10}, {"month": "2025-13", "amount": 10},
            {"month": "2025-02", "currency": "EURO", "amount": 10}, {"month": "2025-03", "amount": "abc"},
            {"month": "2025-04", "amount": -5}, {"month": "2025-05", "amount": 10.555},
            {"month": "2025-01", "currency": "EUR", "amount": 10}),
        "Scenarios": _rows(
            "scenarios", _step("perso", "e1", 5, "pigeon"), _step("perso", "e1", 10), _step("perso", None, 12),
            _step("perso", "e3", "bientôt"), _step("perso", "e4", 20, min_balance="abc"),
            _step("perso", "e5", 25, min_balance=-5), _step("perso", "e6", 30, template=None),
            _step("perso", "e7", 35, min_gap_days=-2), _step(None, "e8", 40),
            _step("deux", "a", 5), _step("deux", "b", 5),
            _step("ordre", "b", 10, requires_approval="peut-être"), _step("ordre", "a", 5),
            _step("ordre", "c", 15, template="inexistant")),
        "Modeles": _rows("templates", {"template": "courtesy", "language": "fr", "part": "subject",
                                       "body": "{{ oups"}),
        "Parametres": [["cle", "valeur"], ["company_name", "Atelier Dumas"], ["sender_email", "r@dumas.example"],
                       ["company_address", "12 rue des Artisans; 69003 Lyon"], ["default_scenario", "inconnu"]],
    }


def _values(said: Said) -> list[str]:
    """The values said inside a text (cell values, names, codes): what the reader typed, not relance."""
    found: list[str] = []
    for _, value in said.args:
        if isinstance(value, Said):
            found += _values(value)
        elif isinstance(value, list | tuple):
            found += [str(v) for v in value]
        else:
            found.append(str(value))
    return found


def _allowed(a: Anomaly) -> tuple[str, ...]:
    words = " ".join([a.value, a.source.tab, *_values(a.problem), *_values(a.hint)])
    return tuple(w for w in re.split(r"[^\w'-]+", words) if w)


def french_anomaly_problems(a: Anomaly) -> list[str]:
    """What is wrong with an anomaly's French problem and fix, the values it quotes left aside
    (each one as typed, by whole word: a cell may hold an ISO date or an English word)."""
    if a.code in OWN_SETTINGS_TEXTS:
        return []
    values = sorted({v for v in [*_values(a.problem), *_values(a.hint), a.value] if v.strip()}, key=len, reverse=True)
    found: list[str] = []
    for text in (a.problem.fr, a.hint.fr):
        for value in values:
            text = re.sub(rf"(?<!\w){re.escape(value)}(?!\w)", "X", text)
        found += [f"{a.code}: {p}" for p in french_problems(text)]
    return found


@pytest.fixture(scope="module")
def hostile() -> list[Anomaly]:
    snap = snapshot(MemoryBackend(hostile_tabs()), NOW, AS_OF)
    return [*snap.anomalies, *check_templates(snap.book)]


def test_a_hostile_french_workbook_is_reported_in_french_only(hostile):
    codes = {a.code for a in hostile}
    expected = {"R004", "R094", "R095", "R100", "R101", "R102", "R103", "R104", "R105", "R106", "R107", "R108",
                "R109", "R110", "R111", "R112", "R113", "R114", "R115", "R116", "R117", "R118", "R200", "R201",
                "R202", "R203", "R204", "R205", "R206", "R207", "R208", "R209", "R301", "R302", "R303", "R304",
                "R305", "R306", "R307", "R308", "R401", "R402", "R403", "R411", "R412", "R413", "R414", "R415",
                "R501", "R502", "R503", "R504", "R505", "R507", "R510", "R511", "R512", "R513", "R514", "R515",
                "R602", "R701", "R801", "R802", "R803", "R804", "R805", "R806"}
    assert expected <= codes, sorted(expected - codes)
    checked = 0
    for a in hostile:
        if a.code in OWN_SETTINGS_TEXTS:
            continue
        line = a.text("fr").replace(a.value, "")  # the value as typed, an ISO date say, is the user's
        for text in (a.problem.fr, a.hint.fr, line):
            assert_french(text, allow=_allowed(a))
        assert french_anomaly_problems(a) == []
        checked += 1
    assert checked >= len(expected)


def test_the_same_anomalies_in_english_carry_no_french_word(hostile):
    deny = re.compile(r"(?<![\w'-])(" + "|".join(map(re.escape, FRENCH_ONLY)) + r")(?![\w'-])", re.IGNORECASE)
    for a in hostile:
        allowed = {w.lower() for w in _allowed(a)}
        for text in (a.problem.en, a.hint.en):
            words = [m[1] for m in deny.finditer(text) if m[1].lower() not in allowed]
            assert not words, f"{a.code}: French {words} in {text!r}"


def test_french_texts_name_the_tabs_as_the_workbook_does(hostile):
    by_code: dict[str, Anomaly] = {}
    for a in hostile:
        by_code.setdefault(a.code, a)
    assert by_code["R102"].problem.fr == "n'est pas un client de l'onglet Clients\u202f; la facture a été ignorée"
    assert by_code["R103"].problem.fr == "n'est pas une date réelle (février 2025 compte 28 jours)\u202f; la ligne a été ignorée"
    assert by_code["R111"].hint.fr == "écrivez ouverte, litige, bloquée ou annulée"
    assert "Parametres" in by_code["R095"].hint.fr and "Settings" not in by_code["R095"].hint.fr
    assert by_code["R095"].problem.en.startswith("the ECB rates from 1950 H1 to")
    assert by_code["R209"].problem.fr.endswith("(le rapport les compte tout de même)")
    assert "l'onglet Parametres" in by_code["R209"].problem.fr


def test_the_anomalies_tab_is_written_in_the_workbook_language():
    snap = snapshot(MemoryBackend(hostile_tabs()), NOW, AS_OF)
    tab = anomalies_tab(snap.book, snap.anomalies, "run-1")
    spec = shipped_contract().tab("anomalies")
    problem, hint = (spec.headers("fr").index(spec.column(k).fr) for k in ("problem", "hint"))
    assert [(row[problem], row[hint]) for row in tab.rows] == [(a.problem.fr, a.hint.fr) for a in snap.anomalies]


@pytest.mark.parametrize(("locale", "invoices_tab", "expected"), [
    ("en_GB", "Factures", "en"), ("fr_FR", "Invoices", "fr"), (None, "Invoices", "en"), (None, "Factures", "fr"),
    ("de_DE", "Factures", "fr"), ("EN-us", "Factures", "en"), ("", "Invoices", "en"),
])
def test_the_language_follows_the_locale_row_else_the_tab_names(locale, invoices_tab, expected):
    tabs = hostile_tabs()
    tabs[invoices_tab] = tabs.pop("Factures")
    if locale is not None:
        tabs["Parametres"].append(["locale", locale])
    snap = snapshot(MemoryBackend(tabs), NOW, AS_OF)
    assert snap.book.language == expected
    missing = next(a for a in snap.anomalies if a.code == "R102")
    shown = missing.problem.text(snap.book.language)
    assert shown.startswith("is not a customer" if expected == "en" else "n'est pas un client")
