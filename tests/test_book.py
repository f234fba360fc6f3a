"""Loading a book (engine/book.py load_book): every problem in a workbook is reported with its
address, the value and the fix, and loading goes on. Books are built in memory and planned
directly (tests/books.py)."""

import datetime as dt

from books import book, load, planned
from conftest import CUSTOMERS_HEADER, INVOICES_HEADER, customer, invoice, payment, tabs

AS_OF = dt.date(2025, 3, 31)


def messages(b):
    got = planned(b, AS_OF)
    return [str(a) for a in got.anomalies], got


def test_bad_invoice_rows_are_reported_with_their_cell_and_skipped():
    b = book(
        [customer("C1")],
        [
            invoice("F1", "C1", "2025-01-10", None, 100),
            invoice("F2", "C1", "31/02/2025", None, 100),
            invoice("F3", "C1", "2025-01-10", None, "douze euros"),
            invoice("F4", "C1", "2025-01-10", None, -5),
            invoice("F5", "C1", "2025-01-10", None, None),
            invoice("F6", "C9", "2025-01-10", None, 100),
            invoice("F1", "C1", "2025-01-11", None, 100),
            invoice("F7", "C1", "2025-01-10", None, 100, devise="EURO"),
            invoice("A1", "C1", "2025-01-12", None, 10, type="avoir", facture_liee="F99"),
            invoice("F8", "C1", "2025-01-10", None, 0),
        ],
    )
    got, loaded = messages(b)
    assert got == [
        "Factures!C3: '31/02/2025' is not a real date (February 2025 has 28 days); the row was skipped; "
        "correct the day, e.g. 2025-02-28",
        "Factures!E4: 'douze euros' is not an amount; the row was skipped; enter a number such as 1234.56 "
        "(or 1 234,56)",
        "Factures!E5: '-5' is negative; the row was skipped; enter credit notes with a positive amount and "
        "type 'avoir' (credit_note)",
        "Factures!E6: is blank; the row was skipped; enter the amount including VAT",
        "Factures!B7: 'C9' is not a customer of the Clients tab; the invoice was skipped; add this customer "
        "to the Clients tab, or correct the code",
        "Factures!A8: 'F1' is a duplicate invoice number (first at Factures row 2); this row was skipped; "
        "each invoice number must appear once: delete the duplicate or correct the number",
        "Factures!F9: 'EURO' is not an ISO 4217 currency code; the row was skipped; use a code such as EUR, "
        "USD, GBP or CHF",
        "Factures!E11: '0' is zero; the invoice is left out of aging, penalties and reminders; enter the real "
        "amount, or delete the row",
        "Factures!H10: 'F99' is not an invoice of the Factures tab; the credit note is kept as an unapplied "
        "credit; correct the invoice number, or leave it blank for an unapplied credit",
    ]
    assert set(loaded.book.invoices) == {"F1", "A1", "F8"}
    assert loaded.positions["F8"].status == "excluded_zero_amount"


def test_bad_payments_are_skipped_and_said():
    b = book(
        [customer("C1")],
        [invoice("F1", "C1", "2025-01-10", None, 100)],
        [payment("2025-02-30", 10, "F1"), payment("2025-02-01", "abc", "F1"), payment("2025-02-01", 10),
         payment("2025-02-01", 10, "F404"), payment("2025-02-01", 10, "F1", currency="USD")],
    )
    got, loaded = messages(b)
    assert [m.split(":")[0] for m in got] == ["Reglements!A2", "Reglements!B3", "Reglements row 4",
                                              "Reglements!C5", "Reglements!E6",
                                              "Reglements!C2", "Reglements!C3", "Reglements!C6"]
    assert "has neither an invoice number nor a customer code" in got[2]
    assert "relance never converts currencies" in got[4]
    # F1 may have been paid by the rows that cannot be read: it is held, said on each row's invoice cell
    assert all("this payment could not be read" in m and "put on hold" in m for m in got[5:])
    assert loaded.book.invoices["F1"].status == "hold" and not loaded.plan.actions


def test_terms_beyond_the_legal_maximum_are_a_warning_and_the_invoice_stays():
    b = book([customer("C1", delai_paiement="90 jours")], [invoice("F1", "C1", "2025-01-10", None, 100),
                                                           invoice("F2", "C1", "2025-01-10", "2025-05-30", 50)])
    got, loaded = messages(b)
    assert got[0].startswith("Clients!G2: '90 jours' exceeds the legal maximum")
    assert got[1].startswith("Factures!D3: '2025-05-30' is 140 days after the invoice date, beyond the legal")
    assert {a.severity for a in loaded.anomalies} == {"warning"}
    assert set(loaded.book.invoices) == {"F1", "F2"}


def test_blank_rows_and_repeated_headers_are_reported_and_ignored():
    b = book([customer("C1"), [None] * len(CUSTOMERS_HEADER), CUSTOMERS_HEADER, customer("C2")],
             [invoice("F1", "C2", "2025-01-10", None, 100), [None] * len(INVOICES_HEADER)])
    got, loaded = messages(b)
    assert got == ["Clients row 3: is a blank row; it was ignored; delete the empty row",
                   "Clients row 4: repeats the header row; it was ignored; delete this repeated header row"]
    assert set(loaded.book.customers) == {"C1", "C2"}


def test_headers_in_english_any_case_and_order_with_accents_and_unknown_columns():
    loaded = planned(load({
        "CUSTOMERS": [["Notes", "Name", "Customer ID", "E-mail"], ["vip", "Acme", "C1", "ap@acme.example"]],
        "invoices": [["Amount", "Invoice ID", "Issue date", "Customer_ID", "Échéance"],
                     ["1 234,50", "F1", dt.date(2025, 2, 1), "C1", "2025-03-24"]],
    }), AS_OF)
    # no Settings tab: the missing sender, company and address are said, under the English tab
    # name, and the customer without a type (no type column, no default_customer_type) is unknown
    assert [(a.source.tab, a.code) for a in loaded.anomalies] == [
        ("Settings", "R096"), ("Settings", "R097"), ("Settings", "R083"), ("CUSTOMERS", "R209")]
    assert loaded.book.customers["C1"].type == "" and not loaded.book.customers["C1"].claims_allowed
    assert loaded.book.invoices["F1"].amount == __import__("decimal").Decimal("1234.50")
    assert loaded.plan.actions == ()  # no company, no sender: nothing leaves
    settings = {"SETTINGS": [["Key", "Value"], ["company_name", "Acme Supplies"],
                             ["sender_email", "ar@acme-supplies.example"], ["company_address", "1 High St; London"]]}
    complete = planned(load({**settings, "CUSTOMERS": [["Name", "Customer ID", "E-mail"],
                                                       ["Acme", "C1", "ap@acme.example"]],
                             "invoices": [["Amount", "Invoice ID", "Issue date", "Customer_ID", "Échéance"],
                                          ["1 234,50", "F1", dt.date(2025, 2, 1), "C1", "2025-03-24"]]}), AS_OF)
    assert [a.code for a in complete.anomalies] == ["R209"]
    assert [a.channel for a in complete.plan.actions] == ["email"]


def test_missing_tab_and_missing_column_are_reported():
    sheets = tabs([customer("C1")], [])
    sheets["Factures"] = [["numero", "code_client", "date_facture"], ["F1", "C1", "2025-01-01"]]
    del sheets["Clients"]
    got, _ = messages(load(sheets))
    assert got[0] == ("Factures row 1: has no 'Montant TTC' column, so no row of this tab can be "
                      "used; add a column headed 'Montant TTC' (or 'Amount incl. VAT') to the header row 1")
    assert any("tab 'Clients' / 'Customers' is missing" in m for m in got)


def test_unsure_opt_out_or_pause_means_no_reminder():
    b = book([customer("C1", pas_de_relance="peut-être"), customer("C2", suspendu_jusqu_au="bientôt")],
             [invoice("F1", "C1", "2025-01-10", "2025-03-24", 100),
              invoice("F2", "C2", "2025-01-10", "2025-03-24", 100)])
    got, loaded = messages(b)
    assert loaded.plan.actions == ()
    # (the planner may also say why an earlier step no longer applies, e.g. courtesy_past)
    assert {"opt_out", "customer_paused"} <= {s.reason for s in loaded.plan.skips}
    assert "treated as opted out" in got[0]


def test_settings_typos_are_reported_and_defaulted():
    b = book([customer("C1")], [invoice("F1", "C1", "2025-01-10", None, 100)],
             settings={"sender_email": "relances@", "grouping": "par mois", "send_hour": 25,
                       "default_currency": "EURO", "couleur": "bleu"})
    got, loaded = messages(b)
    s = loaded.book.settings
    assert (s.sender_email, s.grouping, s.send_hour, s.default_currency) == ("", "customer", 9, "EUR")
    # rows 2-4: company_name, sender_email, company_address (tests/conftest.py tabs)
    assert [m.split(":")[0] for m in got] == ["Parametres!B3", "Parametres!B5", "Parametres!B6",
                                              "Parametres!B7", "Parametres!A8", "Parametres row 1"]
    assert "is not a valid e-mail address" in got[0] and "the default was used" in got[0]
    assert "use one of: customer, invoice" in got[1]
    assert "is not a setting relance knows" in got[4]
    assert "no sender address is set" in got[5]


def test_several_addresses_with_names_and_a_bad_one():
    b = book([customer("C1", email="Jean Dupont <Jean.Dupont@Dupont.FR>; compta@dupont.fr, nobody@")],
             [invoice("F1", "C1", "2025-01-10", None, 100)])
    got, loaded = messages(b)
    assert loaded.book.customers["C1"].emails == ("Jean.Dupont@dupont.fr", "compta@dupont.fr")
    assert got[0].startswith("Clients!C2: 'nobody@' is not a valid e-mail address")
