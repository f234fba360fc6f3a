"""Shared fixtures: workbooks written as tables in code, read like a sheet."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

import pytest
from hypothesis import settings as hypothesis_settings

from relance.engine.sheets import CellValue
from relance.workbook.memory import MemoryBackend

# No hidden wall-clock limit in properties: a slow machine must not fail a correct example.
hypothesis_settings.register_profile("relance", deadline=None)
hypothesis_settings.load_profile("relance")

D = Decimal
NOW = dt.datetime(2025, 3, 31, 7, 0, tzinfo=dt.UTC)


def on(day: dt.date) -> dt.datetime:
    """The clock of a run made on `day` itself (8:00 UTC: 9:00 or 10:00 in Paris). A run whose
    as_of is not the clock's day is a simulation: a test of what a run sends runs on that day."""
    return dt.datetime.combine(day, dt.time(8, 0), tzinfo=dt.UTC)

CUSTOMERS_HEADER = ["code_client", "raison_sociale", "email", "telephone", "langue", "type_client",
                    "delai_paiement", "pas_de_relance", "suspendu_jusqu_au", "responsable"]
INVOICES_HEADER = ["numero", "code_client", "date_facture", "echeance", "montant_ttc", "devise", "type",
                   "facture_liee", "statut"]
PAYMENTS_HEADER = ["date", "montant", "numero_facture", "code_client", "devise", "reference"]


def customer(cid: str, **kw: CellValue) -> list[CellValue]:
    base: dict[str, CellValue] = {
        "code_client": cid, "raison_sociale": f"Client {cid}", "email": f"compta@{cid.lower()}.example",
        "telephone": "", "langue": "fr", "type_client": "B2B", "delai_paiement": "30",
        "pas_de_relance": "", "suspendu_jusqu_au": None, "responsable": "Julie",
    }
    base.update(kw)
    return [base[h] for h in CUSTOMERS_HEADER]


def invoice(iid: str, cid: str, issued: str, due: str | None, amount: CellValue, **kw: CellValue) -> list[CellValue]:
    base: dict[str, CellValue] = {
        "numero": iid, "code_client": cid, "date_facture": issued, "echeance": due, "montant_ttc": amount,
        "devise": "EUR", "type": "facture", "facture_liee": None, "statut": None,
    }
    base.update(kw)
    return [base[h] for h in INVOICES_HEADER]


def payment(day: str, amount: CellValue, iid: str | None = None, cid: str | None = None,
            currency: str = "EUR") -> list[CellValue]:
    return [day, amount, iid, cid, currency, "VIR"]


def tabs(
    customers: Sequence[Sequence[CellValue]],
    invoices: Sequence[Sequence[CellValue]],
    payments: Sequence[Sequence[CellValue]] = (),
    settings: dict[str, CellValue] | None = None,
    **extra: Sequence[Sequence[CellValue]],
) -> dict[str, list[list[CellValue]]]:
    """A workbook's tabs as a sheet reads them: tab name -> rows, the header first (fresh lists)."""
    settings = {"company_name": "Atelier Dumas", "sender_email": "relances@dumas.example",
                "company_address": "12 rue des Artisans; 69003 Lyon", **(settings or {})}
    found: dict[str, Sequence[Sequence[CellValue]]] = {
        "Clients": [CUSTOMERS_HEADER, *customers],
        "Factures": [INVOICES_HEADER, *invoices],
        "Reglements": [PAYMENTS_HEADER, *payments],
        "Parametres": [["cle", "valeur"], *[[k, v] for k, v in settings.items()]],
    }
    found.update(extra)
    return {name: [list(row) for row in rows] for name, rows in found.items()}


def workbook(
    customers: Sequence[Sequence[CellValue]],
    invoices: Sequence[Sequence[CellValue]],
    payments: Sequence[Sequence[CellValue]] = (),
    settings: dict[str, CellValue] | None = None,
    **extra: Sequence[Sequence[CellValue]],
) -> MemoryBackend:
    """The same tabs behind a workbook backend, for tests of the job shell (runs, History writes)."""
    return MemoryBackend(tabs(customers, invoices, payments, settings, **extra))


@pytest.fixture
def now() -> dt.datetime:
    return NOW


SCENARIOS_HEADER = ["scenario", "etape", "decalage_jours", "canal", "modele", "solde_minimum", "validation_requise"]
# The five-step ladder of the first version (J-5, J+7, J+15, J+30, J+45 task), written in a
# Scenarios tab: tests about something else than the shipped ladder keep a stable ladder.
CLASSIC = [
    SCENARIOS_HEADER,
    ["standard", "courtesy", -5, "email", "courtesy", 0, "non"],
    ["standard", "reminder_1", 7, "email", "reminder_1", 0, "non"],
    ["standard", "reminder_2", 15, "email", "reminder_2", 0, "non"],
    ["standard", "formal_notice", 30, "email", "formal_notice", 0, "non"],
    ["standard", "handoff", 45, "agency", "handoff", 0, "non"],  # relance still asks a person first
]


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say it when tests were skipped for a program this machine lacks (LibreOffice, Chromium,
    poppler, node): a bare `python -m pytest` on a new machine would otherwise pass with them
    quietly left out; `make test` installs them first (`make system-deps`)."""
    missing = []
    for report in terminalreporter.stats.get("skipped", []):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        if "not installed" in reason:
            missing.append(reason.removeprefix("Skipped: "))
    if missing:
        terminalreporter.write_line(
            f"{len(missing)} tests skipped because a program they drive is not installed "
            f"({'; '.join(sorted(set(missing)))}): `make system-deps` installs them (`make test` does it first).",
            yellow=True)
