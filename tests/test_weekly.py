"""The weekly summary's decisions (engine/weekly.py) worked by hand on a small book, and the summary
rendered with them in French and English (render/summary.py, weekly_summary templates).

The book, on Thursday 3 December 2026 (the week: 27 November – 3 December; falling due: 3 – 9 December):

| customer         | invoice | due        | amount  | what happens                                          |
| C1 Alpha SARL    | F1      | 2026-08-31 | 1000    | promised for 5 Dec (due this week) and for 20 Dec     |
| C2 Bravo SAS     | F2      | 2026-11-27 | 500     | promised 28 Nov, unpaid: broken on 2 Dec (3 grace d.) |
|                  |         |            |         | disputed from 2 Dec; a call task (T1, 25 Nov)          |
| C2               | F3      | 2026-10-01 | 300     | disputed 20 Nov, resolved 1 Dec; paid 1 Dec            |
| C3 Charlie Ltd   | F4      | 2026-10-31 | 200 USD | promised 10 Nov, broken on 14 Nov; disputed since Oct  |
| C4 Delta SA      | F5      | 2026-07-01 | 2000    | formal notice 10 Nov: hand-off to approve, 155 d late |
|                  |         |            |         | a call task (T2, 20 Nov): the oldest                   |
| C5 Echo GmbH     | F6      | 2026-09-15 | 700 USD | formal notice 10 Nov: hand-off to approve, 79 d late  |

History: K1 sent by the run of 1 Dec (planned for 24 Nov), K2 sent on 25 Nov (planned for 1 Dec),
K3 failed on 2 Dec, K4 sent on 3 Dec, K5 sent on 2 Dec (planned for 20 Nov): 3 messages left this
week by their run's day (K1, K4, K5); counted by planned date it would have been 2 (K2, K4).
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal as D
from html import unescape

from books import baselined, book, planned, positions
from conftest import customer, invoice, payment
from french import assert_french
from htmlcheck import assert_balanced
from relance.app.resources import message_templates
from relance.engine.kpi import currency_kpis
from relance.engine.report import build_report
from relance.engine.weekly import Oldest, Tally, week
from relance.render.messages import Renderer
from relance.render.summary import compose_summary, summary_context

AS_OF = dt.date(2026, 12, 3)
HISTORY = ["run_id", "horodatage", "cle_action", "code_client", "numeros_factures", "scenario", "etape",
           "canal", "destinataire", "statut", "id_message", "montant_du", "devise", "detail"]
PROMISES = ["code_client", "numeros_factures", "date_promise", "montant", "source", "statut"]
LITIGES = ["numero_facture", "ouvert_le", "motif", "statut", "resolu_le"]
TASKS = ["id_tache", "cree_le", "type", "responsable", "code_client", "raison_sociale", "telephone",
         "numeros_factures", "montant_du", "devise", "script", "resultat", "date_resultat", "notes"]


def sent(key: str, timestamp: str, status: str, planned_for: str) -> list[object]:
    return ["r", f"{timestamp}T08:00:00+01:00", key, "C2", "F3", "standard", "reminder_1", "email", "a@b.example",
            status, "m", 300, "EUR", f"as of {planned_for}"]


def week_book(lang: str = "fr"):
    b = book(
        [customer("C1", raison_sociale="Alpha SARL"), customer("C2", raison_sociale="Bravo SAS"),
         customer("C3", raison_sociale="Charlie Ltd", langue="en"), customer("C4", raison_sociale="Delta SA"),
         customer("C5", raison_sociale="Echo GmbH", langue="en")],
        [invoice("F1", "C1", "2026-08-01", "2026-08-31", 1000),
         invoice("F2", "C2", "2026-10-28", "2026-11-27", 500),
         invoice("F3", "C2", "2026-09-01", "2026-10-01", 300),
         invoice("F4", "C3", "2026-10-01", "2026-10-31", 200, devise="USD"),
         invoice("F5", "C4", "2026-06-01", "2026-07-01", 2000),
         invoice("F6", "C5", "2026-08-16", "2026-09-15", 700, devise="USD")],
        [payment("2026-12-01", 300, "F3")],
        {"locale": "en_GB"} if lang == "en" else None,
        Promesses=[PROMISES, ["C1", "F1", "2026-12-05", 1000, "tel", "ouverte"],
                   ["C2", "F2", "2026-11-28", 500, "tel", "ouverte"],
                   ["C3", "F4", "2026-11-10", 200, "tel", "ouverte"],
                   ["C1", "F1", "2026-12-20", 1000, "tel", "ouverte"]],
        Litiges=[LITIGES, ["F3", "2026-11-20", "qualité", "resolu", "2026-12-01"],
                 ["F2", "2026-12-02", "prix", "ouvert", None],
                 ["F4", "2026-10-15", "quantité", "ouvert", None]],
        Taches=[TASKS, ["T1", "2026-11-25", "appel", "Julie", "C2", "Bravo SAS", "", "F2", 500, "EUR", "", None, None, ""],
                ["T2", "2026-11-20", "appel", "Julie", "C4", "Delta SA", "", "F5", 2000, "EUR", "", None, None, ""],
                ["T3", "2026-11-10", "appel", "Julie", "C1", "Alpha SARL", "", "F1", 1000, "EUR", "",
                 "pas de réponse", "2026-11-12", ""]],
        Historique=[HISTORY, sent("K1", "2026-12-01", "envoyé", "2026-11-24"),
                    sent("K2", "2026-11-25", "envoyé", "2026-12-01"),
                    sent("K3", "2026-12-02", "échec", "2026-12-02"),
                    sent("K4", "2026-12-03", "envoyé", "2026-12-03"),
                    sent("K5", "2026-12-02", "envoyé", "2026-11-20")],
    )
    return baselined(b, "formal_notice", dt.date(2026, 11, 10))  # C1, C4, C5 had their formal notice


def computed(lang: str = "fr"):
    b = week_book(lang)
    p = planned(b, AS_OF)
    where = positions(b, AS_OF)
    report = build_report(b, where, AS_OF)
    return b, report, week(b, p.plan, report, where, AS_OF)


def test_the_decisions_worked_by_hand():
    b, report, w = computed()
    assert not b.anomalies
    # the planner's hand-offs waiting for a "oui": Delta (2,000 €, 155 days late) and Echo (700 $)
    assert w.approvals == Tally(2, (("EUR", D("2000.00")), ("USD", D("700.00"))))
    assert w.oldest_approval == Oldest("Delta SA", 155)
    # T1 and T2 have no outcome; T3 was answered
    assert w.tasks == Tally(2, (("EUR", D(2500)),))
    assert w.oldest_task == Oldest("Delta SA", since=dt.date(2026, 11, 20))
    # promised for 5 December: F1 still owes 1,000 (the 20 December one is next week's)
    assert w.promises_due == Tally(1, (("EUR", D("1000.00")),))
    # C2's (28 Nov + 3 days of grace: broken on 2 Dec, this week) and C3's (broken 14 Nov)
    assert w.broken_promises == Tally(2, (("EUR", D("500.00")), ("USD", D("200.00"))))
    assert w.broken_this_week == 1
    assert (w.disputes_opened, w.disputes_resolved, w.disputes_open) == (1, 1, 2)  # F2 opened, F3 resolved; F2, F4
    assert w.messages_sent == 3  # K1, K4, K5 by the day their run sent them
    assert w.decisions == 2 + 2 + 2


def test_last_week_is_the_same_figures_as_of_as_of_minus_7():
    _, report, w = computed()
    eur, usd = w.currencies
    # past due on 3 Dec: F1 1,000 + F2 500 + F5 2,000; on 26 Nov: F1 + F3 300 + F5 (F2 not yet due)
    assert (eur.past_due, eur.past_due_week_ago, eur.past_due_change) == (D(3500), D(3300), D(200))
    assert (usd.past_due, usd.past_due_week_ago) == (D(900), D(900))  # F4 200 + F6 700, never added to euros
    # DSO countback at 31 Oct (26 Nov's last month end): AR 3,800 = F1 + F2 + F3 + F5, exhausted by
    # Oct 500 (31 d), Sep 300 (30), Aug 1,000 (31), Jul nothing (31), Jun 2,000 (30): 153 days;
    # at 30 Nov (3 Dec's): November sold nothing, 30 more days: 183
    assert (eur.dso_week_ago, eur.dso) == (D(153), D(183))
    assert (eur.dso_week_ago_measured, eur.dso_measured) == (dt.date(2026, 10, 31), dt.date(2026, 11, 30))
    assert eur.dso == report.currencies["EUR"].dso.countback  # the report's own figure
    assert eur.dso_week_ago == currency_kpis(week_book(), AS_OF - dt.timedelta(days=7))["EUR"].dso.countback
    assert [c.name for c in eur.top] == ["Delta SA", "Alpha SARL", "Bravo SAS"]  # names, largest first
    assert [c.name for c in usd.top] == ["Echo GmbH", "Charlie Ltd"]


def rendered(lang: str) -> tuple[str, str, str]:
    b, report, w = computed(lang)
    context = summary_context(report, w, b.settings, lang, "classeur.xlsx", {"plan": "A_valider", "tasks": "Taches"})
    message = compose_summary(context, Renderer(message_templates()), b.settings, "daf@dumas.example", AS_OF)
    return message.subject, message.text, message.html


def visible(html: str) -> str:
    body = re.sub(r"<(style|title)[^>]*>.*?</\1>", " ", html, flags=re.S)
    return unescape(re.sub(r"<[^>]+>", " ", body))


def flat(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("\u00a0", " ").replace("\u202f", " "))


def test_the_french_summary_asks_for_the_decisions():
    subject, text, html = rendered("fr")
    assert_french(text, allow=("GmbH", "Ltd"))
    assert_french(visible(html), allow=("GmbH", "Ltd"))
    assert_balanced(html)
    t = flat(text)
    assert "Relances à valider (onglet A_valider) : 2 (2 000,00 € et 700,00 $US) ; la plus ancienne : Delta SA, 155 jours de retard." in t
    assert "Tâches à faire (onglet Taches) : 2 (2 500,00 €) ; la plus ancienne, créée le 20 novembre 2026 : Delta SA." in t
    assert "Promesses de paiement à échéance d'ici au 9 décembre 2026 : 1 (1 000,00 €)." in t
    assert "Promesses non tenues : 2 (500,00 € et 200,00 $US impayés), dont 1 cette semaine." in t
    assert "Litiges : 1 ouvert et 1 résolu cette semaine ; 2 en cours." in t
    assert "Relances envoyées du 27 novembre 2026 au 3 décembre 2026 (jour d'envoi) : 3." in t
    assert "dont échu : 3 500,00 € (au 26 novembre 2026 : 3 300,00 €, soit +200,00 €)" in t
    assert "DSO : 183,0 jours, mesuré au 30 novembre 2026 (il y a une semaine : 153,0 jours, mesuré au 31 octobre 2026)" in t
    assert "Les 3 plus gros retards (EUR) : - Delta SA : 2 000,00 € - Alpha SARL : 1 000,00 € - Bravo SAS : 500,00 €" in t
    assert "Les 2 plus gros retards (USD) : - Echo GmbH : 700,00 $US - Charlie Ltd : 200,00 $US" in t
    h = flat(visible(html))
    assert "À décider cette semaine" in h and "la plus ancienne : Delta SA, 155 jours de retard" in h
    assert "mesuré au 30 novembre 2026 ; il y a une semaine : 153,0 jours" in h
    assert "Les 2 plus gros retards (USD)" in h


def test_the_english_summary_asks_for_the_same_decisions():
    subject, text, html = rendered("en")
    assert_balanced(html)
    t = flat(text)
    assert "Reminders to approve (A_valider tab): 2 (€2,000.00 and US$700.00); the oldest: Delta SA, 155 days late." in t
    assert "Tasks to do (Taches tab): 2 (€2,500.00); the oldest, created on 20 November 2026: Delta SA." in t
    assert "Broken promises: 2 (€500.00 and US$200.00 unpaid), 1 of them this week." in t
    assert "Disputes: 1 opened and 1 resolved this week; 2 open." in t
    assert "Reminders sent from 27 November 2026 to 3 December 2026 (by day sent): 3." in t
    assert "DSO: 183.0 days, measured at 30 November 2026 (a week ago: 153.0 days, measured at 31 October 2026)" in t
    assert "The 2 largest overdue customers (USD): - Echo GmbH: US$700.00 - Charlie Ltd: US$200.00" in t
    h = flat(visible(html))
    assert "For you to decide this week" in h and "Reminders to approve" in h
    for french in ("À décider", "Relances", "jours"):
        assert french not in h and french not in t
