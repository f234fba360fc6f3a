"""Catalog: tabs (see relance.engine.catalog). Module-level Phrase constants only.

The values relance writes into the tabs it owns (History, Plan, Tasks, Anomalies, Dashboard):
statuses, channels, task kinds, call outcomes, severities, oui/non, step labels, notes, and the
Dashboard's labels and chart titles. engine/tab_values.py maps machine keys to these phrases
and reads either language back to the key.
"""

from __future__ import annotations

from relance.engine.i18n import Phrase

# ----------------------------------------------------------------- History statuses
STATUS_PENDING = Phrase("en attente", "pending")
STATUS_SENT = Phrase("envoyé", "sent")
STATUS_CREATED = Phrase("tâche créée", "task created")
STATUS_FAILED = Phrase("échec", "failed")
STATUS_DELIVERED = Phrase("remis", "delivered")
STATUS_OPENED = Phrase("ouvert", "opened")
STATUS_CLICKED = Phrase("lien cliqué", "clicked")
STATUS_REPLIED = Phrase("répondu", "replied")
STATUS_BOUNCED = Phrase("non distribué", "bounced")
STATUS_BLOCKED = Phrase("bloqué", "blocked")
STATUS_SPAM = Phrase("classé indésirable", "marked as spam")
STATUS_BASELINE = Phrase("fait hors relance", "done outside relance")
STATUS_SIMULATED = Phrase("simulé", "simulated")
STATUS_SKIPPED = Phrase("non envoyé", "skipped")
STATUS_UNKNOWN = Phrase("à vérifier", "unknown")

# ----------------------------------------------------------------- channels
CHANNEL_EMAIL = Phrase("e-mail", "e-mail")
CHANNEL_SMS = Phrase("SMS", "SMS")
CHANNEL_LETTER = Phrase("courrier", "letter")
CHANNEL_CALL = Phrase("appel", "call")
CHANNEL_AGENCY = Phrase("agence", "agency")

# ----------------------------------------------------------------- Tasks: kinds and call outcomes
KIND_CALL = Phrase("appel", "call")
KIND_AGENCY = Phrase("transmission au recouvrement", "hand-off to collection")
OUTCOME_PROMISE = Phrase("promesse", "promise")
OUTCOME_DISPUTE = Phrase("litige", "dispute")
OUTCOME_NO_ANSWER = Phrase("pas de réponse", "no answer")
OUTCOME_PAID = Phrase("payé", "paid")

# ----------------------------------------------------------------- Anomalies
SEVERITY_ERROR = Phrase("erreur", "error")
SEVERITY_WARNING = Phrase("avertissement", "warning")
ROW = Phrase("ligne {row}", "row {row}")

# ----------------------------------------------------------------- Plan (A_valider)
YES = Phrase("oui", "yes")
NO = Phrase("non", "no")
NOTE_APPROVE = Phrase(
    "choisissez « oui » dans la colonne « {column} » pour l'envoyer à la prochaine exécution",
    "choose “yes” in the “{column}” column to send it with the next run")
NOTE_AUTOMATIC = Phrase("envoyé automatiquement à la prochaine exécution", "sent automatically by the next run")

# ----------------------------------------------------------------- dropdowns (data validation)
CHOICE_TITLE = Phrase("Valeur proposée", "Suggested value")
CHOICE_ERROR = Phrase("Valeurs proposées : {values}. Garder quand même cette valeur ?",
                      "Suggested values: {values}. Keep this value anyway?")

# ----------------------------------------------------------------- steps
STEP_AT = Phrase("{label} (J{offset})", "{label} (day {offset})")
STEP_ON_DUE = Phrase("{label} (à l'échéance)", "{label} (on the due date)")
SCENARIO_STEP = Phrase("{scenario} – {step}", "{scenario} – {step}")

# ----------------------------------------------------------------- Dashboard
DASH_FIGURE = Phrase("indicateur", "figure")
DASH_AS_OF = Phrase("au", "as of")
DASH_CURRENT = Phrase("non échu", "current")
DASH_1_30 = Phrase("échu 1-30 j", "1-30 days past due")
DASH_31_60 = Phrase("échu 31-60 j", "31-60 days past due")
DASH_61_90 = Phrase("échu 61-90 j", "61-90 days past due")
DASH_OVER_90 = Phrase("échu > 90 j", "> 90 days past due")
DASH_UNAPPLIED = Phrase("avoirs et trop-perçus", "unapplied credits")
DASH_NET = Phrase("encours net", "net receivables")
DASH_PAST_DUE = Phrase("dont échu", "of which past due")
DASH_DSO = Phrase("DSO (méthode countback, jours)", "DSO (countback, days)")
DASH_DSO3 = Phrase("DSO 3 mois (jours)", "DSO 3 months (days)")
DASH_BPDSO = Phrase("BPDSO (jours)", "BPDSO (days)")
DASH_ADD = Phrase("ADD (jours)", "ADD (days)")
DASH_CEI = Phrase("CEI ({period})", "CEI ({period})")
DASH_RECOVERY = Phrase("taux de recouvrement ({period})", "recovery rate ({period})")
DASH_PENALTIES = Phrase("pénalités de retard exigibles (factures ouvertes)", "late-payment interest claimable (open invoices)")
DASH_PENALTIES_PAID_LATE = Phrase("pénalités acquises, factures payées en retard (non réclamées)",
                                  "interest accrued, invoices paid late (not claimed)")
DASH_INDEMNITY_COUNT = Phrase("indemnités forfaitaires exigibles (nombre)", "fixed indemnities claimable (count)")
DASH_INDEMNITY_AMOUNT = Phrase("indemnités forfaitaires exigibles (EUR)", "fixed indemnities claimable (EUR)")
DASH_INDEMNITY_LATE_COUNT = Phrase("indemnités acquises, factures payées en retard (nombre)",
                                   "indemnities accrued, invoices paid late (count)")
DASH_INDEMNITY_LATE_AMOUNT = Phrase("indemnités acquises, factures payées en retard (EUR)",
                                    "indemnities accrued, invoices paid late (EUR)")
DASH_DSO_HISTORY = Phrase("DSO des 12 derniers mois", "DSO over the last 12 months")
DASH_TOP = Phrase("clients les plus en retard ({currency})", "most overdue customers ({currency})")
DASH_EFFECTIVENESS = Phrase("efficacité des relances (part payée sous N jours)",
                            "reminder effectiveness (share paid within N days)")
DASH_MESSAGES = Phrase("messages envoyés", "messages sent")
DASH_PAID_7 = Phrase("payé sous 7 j", "paid within 7 days")
DASH_PAID_14 = Phrase("payé sous 14 j", "paid within 14 days")
DASH_PAID_30 = Phrase("payé sous 30 j", "paid within 30 days")
CHART_AGING = Phrase("Balance âgée ({currency})", "Aged balance ({currency})")
CHART_DSO = Phrase("DSO (jours)", "DSO (days)")
CHART_TOP = Phrase("Échu par client ({currency})", "Past due by customer ({currency})")
CHART_EFFECTIVENESS = Phrase("Part payée après chaque relance", "Share paid after each reminder")

# ----------------------------------------------------------------- History: the detail column
# A note for people, in the workbook's language. Nothing reads it back: the run date and the
# transport have columns of their own (date_de_calcul / as_of, transport / via).
DETAIL_THEN = Phrase("{first} ; {then}", "{first}; {then}")
DETAIL_AMOUNTS = Phrase("montants dus : {amounts}", "amounts due: {amounts}")
DETAIL_FILED = Phrase("classé dans la boîte d'envoi : {file}", "filed in the outbox: {file}")
DETAIL_ALREADY = Phrase("déjà dans la boîte d'envoi : rien de nouveau n'est envoyé",
                        "already in the outbox: nothing new is sent")
DETAIL_SIMULATION_FILED = Phrase("simulation classée sous {file} : rien n'est envoyé",
                                 "simulation filed as {file}: nothing is sent")
DETAIL_TEMPLATE_BROKEN = Phrase("modèle impossible à générer (voir {tab}, R701) ; replanifié",
                                "its template could not be rendered (see {tab}, R701); planned again")
DETAIL_NOT_ATTEMPTED = Phrase("non tenté : {cause} ; replanifié", "not attempted: {cause}; planned again")
DETAIL_STOPPED = Phrase("{cause} ; replanifié", "{cause}; planned again")
DETAIL_SEND_ERROR = Phrase("l'envoi a échoué : {error}", "the sending failed: {error}")
DETAIL_TASK = Phrase("tâche pour {owner}", "task for {owner}")
DETAIL_TASK_TEAM = Phrase("tâche pour l'équipe", "task for the team")
DETAIL_PACKAGE = Phrase("dossier {package}", "package {package}")
DETAIL_CONFIRMED = Phrase("confirmé après une exécution interrompue", "confirmed after an interrupted run")
DETAIL_CONFIRMED_IN = Phrase("confirmé après une exécution interrompue (dans {place})",
                             "confirmed after an interrupted run (in {place})")
DETAIL_CONFIRMED_FOUND = Phrase("confirmé après une exécution interrompue (retrouvé dans {place})",
                                "confirmed after an interrupted run (found in {place})")
DETAIL_INTERRUPTED = Phrase("interrompu avant l'envoi ; replanifié", "interrupted before sending; planned again")
DETAIL_INTERRUPTED_IN = Phrase("interrompu avant l'envoi (dans {place}) ; replanifié",
                               "interrupted before sending (in {place}); planned again")
DETAIL_TASK_CONFIRMED = Phrase("tâche confirmée après une exécution interrompue",
                               "task confirmed after an interrupted run")
DETAIL_TASK_LOST = Phrase("interrompu avant l'écriture de la tâche ; replanifié",
                          "interrupted before the task was written; planned again")
DETAIL_SIMULATION_INTERRUPTED = Phrase("simulation interrompue : rien n'a été envoyé",
                                       "simulation interrupted: nothing was sent")
DETAIL_SIMULATION = Phrase("simulation ({folder})", "simulation ({folder})")
DETAIL_SIMULATION_NO_TASK = Phrase("simulation ({folder}) : aucune tâche créée",
                                   "simulation ({folder}): no task created")
DETAIL_BASELINE = Phrase("relances faites hors de l'outil jusqu'à l'étape {step}",
                         "reminded outside relance up to {step}")

# --- s18-events ---
STATUS_UNSUB = Phrase("désabonné", "unsubscribed")
EVENT_DELIVERED = Phrase("remis le {day} à {time} (Mailjet)", "delivered on {day} at {time} (Mailjet)")
EVENT_OPENED = Phrase("ouvert le {day} à {time}", "opened on {day} at {time}")
EVENT_CLICKED = Phrase("lien cliqué le {day} à {time}", "link clicked on {day} at {time}")
EVENT_BOUNCED = Phrase("adresse en échec définitif le {day} à {time}", "hard bounce on {day} at {time}")
EVENT_BLOCKED = Phrase("bloqué par Mailjet le {day} à {time}", "blocked by Mailjet on {day} at {time}")
EVENT_SPAM = Phrase("signalé comme indésirable le {day} à {time} : plus aucune relance pour ce client",
                    "reported as spam on {day} at {time}: no more reminders to this customer")
EVENT_UNSUB = Phrase("désabonnement le {day} à {time} : plus aucune relance pour ce client",
                     "unsubscribed on {day} at {time}: no more reminders to this customer")
# --- s18-cfo ---
DASH_EFFECTIVENESS_OVER = Phrase("efficacité des relances, {period} (part payée sous N jours)",
                                 "reminder effectiveness, {period} (share paid within N days)")
DASH_EFFECTIVENESS_ALL = Phrase("efficacité des relances jusqu'au {day}, rien sur {period} (part payée sous N jours)",
                                "reminder effectiveness up to {day}, nothing in {period} (share paid within N days)")
# --- s18-sheets ---
DETAIL_OTHER_RUN = Phrase("envoyé par une autre exécution commencée en même temps",
                          "sent by another run started at the same time")
# --- s18-udf ---
# The Excel functions (addin/relance_addin/udfs.py): what a cell says when one of its values is
# unreadable (after Excel's own error name, #VALEUR! / #VALUE!), and the function wizard's help.
UDF_BAD_DATE = Phrase("date ?", "date?")
UDF_BAD_AMOUNT = Phrase("montant ?", "amount?")
UDF_BAD_NUMBER = Phrase("numéro ?", "number?")
UDF_DUPLICATE = Phrase("numéro en double", "duplicate number")
UDF_BAD_CURRENCY = Phrase("devise ?", "currency?")
UDF_BAD_AS_OF = Phrase("date d'arrêté ?", "as-of date?")
UDF_BAD_RATE = Phrase("taux ?", "rate?")
UDF_BAD_METHOD = Phrase("méthode ?", "method?")
UDF_BAD_SCENARIO = Phrase("scénario inconnu", "unknown scenario")
UDF_BAD_CUSTOMER = Phrase("client ?", "customer?")
UDF_FAILED = Phrase("erreur de relance, voir le journal", "relance error, see the log")
UDF_NO_SALES = Phrase("pas assez de ventes", "not enough sales")
UDF_DAYS_LATE = Phrase(
    "Jours de retard à la date d'arrêté (négatif avant l'échéance), une ligne par échéance.",
    "Days past due on the as-of date (negative before the due date), one row per due date.")
UDF_BUCKET = Phrase(
    "Tranche d'ancienneté (current, 1-30, 31-60, 61-90, >90) des factures au solde positif ; vide si soldée.",
    "Aging bucket (current, 1-30, 31-60, 61-90, >90) of each invoice with a positive balance; blank when settled.")
UDF_BALANCE = Phrase(
    "Solde ouvert de chaque facture : montant moins les règlements portant son numéro.",
    "Open balance of each invoice: its amount less the payments that carry its number.")
UDF_PENALTY = Phrase(
    "Pénalités de retard (C. com. L441-10) de chaque facture, au taux légal semestriel (BCE + 10 points) ou au taux annuel donné.",
    "Late-payment penalty (C. com. L441-10) of each invoice, at the legal semester rate (ECB + 10 points) or the annual rate given.")
UDF_INDEMNITY = Phrase(
    "Indemnité forfaitaire de recouvrement (40 €) due pour chaque facture encore ouverte le lendemain de son échéance.",
    "Fixed recovery indemnity (40 EUR) owed by each invoice still open the day after its due date.")
UDF_DSO = Phrase(
    "DSO en jours à la dernière fin de mois : méthode countback (par défaut) ou simple sur N mois.",
    "DSO in days at the last month end: countback method (default) or simple over N months.")
UDF_STAGE = Phrase(
    "Étape du scénario où en est chaque facture ouverte, l'étape suivante et sa date (3 colonnes).",
    "Scenario step each open invoice is at, the next step and its date (3 columns).")
UDF_RISK = Phrase(
    "Note de risque A à E du client de chaque facture et sa raison principale (2 colonnes).",
    "Risk grade A to E of each invoice's customer and its main reason (2 columns).")
UDF_ARG_DUE_DATES = Phrase("Colonne des échéances (dates)", "Column of due dates")
UDF_ARG_ISSUE_DATES = Phrase("Colonne des dates de facture", "Column of invoice dates")
UDF_ARG_AS_OF = Phrase("Date d'arrêté ; vide : aujourd'hui", "As-of date; blank: today")
UDF_ARG_BALANCES = Phrase("Colonne des soldes ouverts", "Column of open balances")
UDF_ARG_INVOICE_IDS = Phrase("Colonne des numéros de facture", "Column of invoice numbers")
UDF_ARG_AMOUNTS = Phrase("Colonne des montants TTC", "Column of amounts (tax included)")
UDF_ARG_CUSTOMER_IDS = Phrase("Colonne des codes client", "Column of customer codes")
UDF_ARG_PAYMENT_INVOICE_IDS = Phrase("Colonne des numéros de facture des règlements",
                                     "Column of the payments' invoice numbers")
UDF_ARG_PAYMENT_DATES = Phrase("Colonne des dates des règlements", "Column of the payments' dates")
UDF_ARG_PAYMENT_AMOUNTS = Phrase("Colonne des montants des règlements", "Column of the payments' amounts")
UDF_ARG_CURRENCIES = Phrase("Devise : une cellule ou une colonne ; vide : EUR",
                            "Currency: one cell or a column; blank: EUR")
UDF_ARG_RATE = Phrase("Taux annuel fixe en % ; vide : taux légal semestriel",
                      "Fixed annual rate in %; blank: legal semester rate")
UDF_ARG_INDEMNITY = Phrase("Montant de l'indemnité ; vide : 40", "Indemnity amount; blank: 40")
UDF_ARG_METHOD = Phrase("countback (par défaut) ou simple", "countback (default) or simple")
UDF_ARG_MONTHS = Phrase("Mois de la méthode simple : 1, 3, 6 ou 12 ; vide : 3",
                        "Months of the simple method: 1, 3, 6 or 12; blank: 3")
UDF_ARG_SCENARIO = Phrase("Nom du scénario ; vide : standard", "Scenario name; blank: standard")

# --- s19-approval ---
NOTE_HELD_GAP = Phrase(
    "validée ; pas envoyée aujourd'hui : le dernier message à ce client date du {last} ; part le {day} "
    "(ou à la première exécution après) avec votre validation, à garder sur « oui »",
    "approved; not sent today: this customer's last message was on {last}; goes on {day} (or the first run "
    "after it) with your approval: keep it on “yes”")
NOTE_HELD_OTHER = Phrase(
    "validée ; pas envoyée aujourd'hui : ce client reçoit déjà un message aujourd'hui ({step}) ; part avec la "
    "prochaine relance, avec votre validation, à garder sur « oui »",
    "approved; not sent today: this customer already gets a message today ({step}); goes with the next one, "
    "with your approval: keep it on “yes”")
NOTE_HELD_SETTING = Phrase(
    "validée ; pas envoyée : renseignez {settings} dans l'onglet {tab} ; part à l'exécution suivante, avec votre "
    "validation, à garder sur « oui »",
    "approved; not sent: fill {settings} in {tab}; goes with the next run, with your approval: keep it on “yes”")
NOTE_KEPT_CAP = Phrase(
    "validée ; reportée : le plafond d'envoi du jour est atteint ; part à l'exécution suivante, avec votre "
    "validation, à garder sur « oui »",
    "approved; postponed: today's sending cap is reached; goes with the next run, with your approval: keep it "
    "on “yes”")
NOTE_KEPT_FAILED = Phrase(
    "validée ; l'envoi a échoué (voir l'historique et les anomalies) ; repart à l'exécution suivante, avec votre "
    "validation, à garder sur « oui »",
    "approved; sending failed (see the log and Anomalies); goes again with the next run, with your approval: "
    "keep it on “yes”")
