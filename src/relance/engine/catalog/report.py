"""Catalog: report (see relance.engine.catalog). Module-level Phrase constants only.

The labels of the HTML report (render/report_html.py), of the weekly summary and of the report
in the console, and the notes that say why a figure of the report is missing (engine/kpi.py).
"""

from __future__ import annotations

from relance.engine.i18n import Phrase

# --------------------------------------------------------------------------- the HTML page

TITLE = Phrase('Balance âgée et indicateurs au {date}', 'Aged balance and key figures as of {date}')
SUBTITLE = Phrase('Montants par devise, jamais additionnés ni convertis entre devises.', 'Amounts per currency, never added up or converted across currencies.')
PERIOD = Phrase('Période du CEI et du taux de recouvrement : {period}', 'Period of the CEI and recovery rate: {period}')
GENERATED = Phrase('Établi le {when} par relance.', 'Prepared on {when} by relance.')
BY = Phrase('Établi par relance à partir du classeur.', 'Prepared by relance from the workbook.')
NO_CURRENCY = Phrase('Aucune créance dans le classeur à cette date.', 'No receivable in the workbook at this date.')
NET = Phrase('Encours net', 'Net receivables')
NET_SUB_CREDITS = Phrase('dont avoirs et trop-perçus {amount}', 'incl. unapplied credits {amount}')
NET_SUB_OPEN = Phrase('{n} factures ouvertes', '{n} open invoices', fr_one='{n} facture ouverte', en_one='{n} open invoice')
PAST_DUE = Phrase('Échu', 'Past due')
PAST_DUE_SUB = Phrase("{share} de l'encours brut · {n} factures", '{share} of gross receivables · {n} invoices', fr_one="{share} de l'encours brut · {n} facture", en_one='{share} of gross receivables · {n} invoice')
PAST_DUE_NONE = Phrase("rien d'échu", 'nothing past due')
DSO = Phrase('DSO (countback)', 'DSO (countback)')
DSO_SUB_ADD = Phrase('dont retard (ADD) {add}', 'of which delinquency (ADD) {add}')
DSO_SUB_SIMPLE = Phrase('DSO 3 mois {value}', '3-month DSO {value}')
BPDSO = Phrase('BPDSO', 'BPDSO')
BPDSO_SUB = Phrase('meilleur DSO possible (non échu seul)', 'best possible DSO (current only)')
CEI = Phrase('CEI', 'CEI')
CEI_SUB = Phrase("efficacité d'encaissement, {period}", 'collection effectiveness, {period}')
RECOVERY = Phrase('Taux de recouvrement', 'Recovery rate')
RECOVERY_SUB = Phrase("de l'échu encaissé, {period}", 'of past due collected, {period}')
PENALTIES = Phrase('Pénalités de retard exigibles', 'Late-payment interest claimable')
PENALTIES_SUB = Phrase('factures ouvertes (art. L441-10) · {late} acquis sur des factures payées en retard, non réclamés',
                       'open invoices (C. com. L441-10) · {late} accrued on invoices paid late, not claimed')
UNAVAILABLE = Phrase('Non disponible', 'Not available')
NOTES = Phrase('Notes', 'Notes')
DAYS = Phrase('{value} j', '{value} days')
DAYS_UNIT = Phrase('jours', 'days')
BUCKET_CURRENT = Phrase('Non échu', 'Current')
BUCKET_1_30 = Phrase('1–30 j', '1–30 days')
BUCKET_31_60 = Phrase('31–60 j', '31–60 days')
BUCKET_61_90 = Phrase('61–90 j', '61–90 days')
BUCKET_OVER_90 = Phrase('> 90 j', '> 90 days')
UNAPPLIED_CREDITS = Phrase('Avoirs et trop-perçus', 'Unapplied credits')
NET_TOTAL = Phrase('Encours net', 'Net receivables')
BUCKET = Phrase('Tranche', 'Bucket')
AMOUNT = Phrase('Montant', 'Amount')
SHARE = Phrase('Part', 'Share')
AGING_CHART = Phrase('Balance âgée', 'Aged balance')
AGING_DESC = Phrase("Encours {cur} par tranche d'ancienneté au {date}.", '{cur} receivables by age bucket as of {date}.')
AGING_EMPTY = Phrase('Aucune créance ouverte en {cur}.', 'No open receivable in {cur}.')
DSO_CHART = Phrase('DSO des 12 derniers mois', 'DSO over the last 12 months')
DSO_DESC = Phrase('DSO countback en jours, fin de chaque mois, {cur}.', 'Countback DSO in days at each month end, {cur}.')
DSO_EMPTY = Phrase("Pas encore assez d'historique pour tracer le DSO.", 'Not enough history yet to chart the DSO.')
DSO_GAP = Phrase('mois sans DSO calculable', 'month without a computable DSO')
KPI_TABLE = Phrase('En jours : countback, puis simple sur les 1, 3, 6 et 12 derniers mois.', 'In days: countback, then simple over the last 1, 3, 6 and 12 months.')
METHOD = Phrase('Indicateur', 'Figure')
COUNTBACK = Phrase('Countback', 'Countback')
MONTHS_1 = Phrase('1 mois', '1 mo.')
MONTHS_3 = Phrase('3 mois', '3 mo.')
MONTHS_6 = Phrase('6 mois', '6 mo.')
MONTHS_12 = Phrase('12 mois', '12 mo.')
DSO_ROW = Phrase('DSO', 'DSO')
BPDSO_ROW = Phrase('BPDSO', 'BPDSO')
ADD_ROW = Phrase('ADD', 'ADD')
TOP_CHART = Phrase('Les {n} clients les plus en retard', 'Top {n} overdue customers', fr_one='Le client le plus en retard ({n})', en_one='The most overdue customer ({n})')
TOP_DESC = Phrase('Montant échu par client en {cur}, réparti par ancienneté.', 'Past-due amount per customer in {cur}, split by age.')
TOP_NOTE = Phrase('{shown} premiers sur {n} clients en retard.', 'Top {shown} of {n} overdue customers.')
TOP_EMPTY = Phrase('Aucun client en retard de paiement.', 'No overdue customer.')
EFF_TITLE = Phrase('Efficacité des relances', 'Reminder effectiveness')
EFF_CHART = Phrase("Part des relances suivies d'un paiement", 'Share of reminders followed by a payment')
EFF_DESC = Phrase("Pour chaque étape, part des relances suivies d'un paiement sous 7, 14 et 30 jours.", 'For each step, share of reminders followed by a payment within 7, 14 and 30 days.')
EFF_EMPTY = Phrase("Aucune relance envoyée : pas encore de mesure d'efficacité.", 'No reminder sent yet: nothing to measure.')
EFF_MORE = Phrase('… et {n} autres étapes.', '… and {n} more steps.', fr_one='… et {n} autre étape.', en_one='… and {n} more step.')
PAID7 = Phrase('payé sous 7 j', 'paid within 7 days')
PAID14 = Phrase('sous 14 j', 'within 14 days')
PAID30 = Phrase('sous 30 j', 'within 30 days')
MESSAGES = Phrase('{n} messages', '{n} messages', fr_one='{n} message', en_one='{n} message')
PROMISES = Phrase('Promesses de paiement tenues', 'Payment promises kept')
FIRST_TO_PAID = Phrase('Délai première relance → paiement', 'First reminder → payment')
FIRST_TO_PAID_SUB = Phrase('médiane {median} · sur {count} paiements', 'median {median} · over {count} payments')
BY_CHANNEL = Phrase('Messages par canal', 'Messages by channel')
TOO_RECENT = Phrase('trop récent', 'too recent')
RISK_TITLE = Phrase('Clients les plus à risque', 'Customers most at risk')
RISK_SECTION = Phrase('Droits acquis et risque client', 'Statutory claims and customer risk')
GRADED = Phrase('{n} clients notés · de A (sûr) à E (très risqué)', '{n} graded customers · from A (safe) to E (high risk)', fr_one='{n} client noté · de A (sûr) à E (très risqué)', en_one='{n} graded customer · from A (safe) to E (high risk)')
RISK_NOTE = Phrase('{shown} sur {n} clients notés, du plus risqué au moins risqué.', '{shown} of {n} graded customers, riskiest first.', fr_one='{shown} sur {n} client noté.', en_one='{shown} of {n} graded customer.')
GRADES = Phrase('Répartition des notes', 'Grades')
CUSTOMER = Phrase('Client', 'Customer')
GRADE = Phrase('Note', 'Grade')
SCORE = Phrase('Score', 'Score')
LATE = Phrase('Retard moyen', 'Avg. days late')
REASONS = Phrase('Motifs', 'Reasons')
MODE = Phrase('Application', 'Applied')
AUTOMATIC = Phrase('automatique', 'automatically')
ADVICE = Phrase('conseil', 'advice only')
MORE_REASONS = Phrase('autres motifs', 'more reasons', fr_one='autre motif', en_one='more reason')
MODE_NOTE = Phrase("Une note n'est qu'un conseil : elle ne change seule le scénario que d'un client professionnel, jamais d'un particulier ; exclusion, agence ou action en justice restent une décision humaine.", "A grade is advice: on its own it only switches the scenario of a business customer, never a consumer's; exclusion, agency hand-off or court action is always a person's decision.")
INDEMNITY = Phrase('Indemnités forfaitaires exigibles', 'Fixed recovery indemnities claimable')
INDEMNITY_OPEN_SUB = Phrase('art. D441-5 · {n} factures ouvertes × {unit} · {late_n} payées en retard ({late}), acquises, non réclamées',
                            'C. com. D441-5 · {n} open invoices × {unit} · {late_n} paid late ({late}), accrued, not claimed',
                            fr_one='art. D441-5 · {n} facture ouverte × {unit} · {late_n} payées en retard ({late}), acquises, non réclamées',
                            en_one='C. com. D441-5 · {n} open invoice × {unit} · {late_n} paid late ({late}), accrued, not claimed')
INDEMNITY_SUB = Phrase('art. D441-5 · {n} factures professionnelles payées ou restées impayées après échéance', 'French C. com. D441-5 · {n} business invoices paid late or unpaid after due date', fr_one='art. D441-5 · {n} facture professionnelle payée ou restée impayée après échéance', en_one='French C. com. D441-5 · {n} business invoice paid late or unpaid after due date')
LEGAL = Phrase('Droits acquis', 'Statutory claims')
GLOSSARY = Phrase('Lexique', 'Glossary')
G_DSO = Phrase("DSO (countback) : nombre de jours de ventes que représente l'encours net, en remontant les ventes mois par mois.", 'DSO (countback): how many days of sales the net receivables represent, exhausting sales month by month backwards.')
G_BPDSO = Phrase('BPDSO : le même calcul sur le seul non-échu, le meilleur DSO possible avec les délais de paiement accordés ; ADD = DSO − BPDSO, les jours dus aux retards.', 'BPDSO: the same on the current (not yet due) part only, the best DSO the granted terms allow; ADD = DSO − BPDSO, the days due to late payers.')
G_CEI = Phrase("CEI : part de ce qui pouvait être encaissé sur la période qui l'a été (100 % = tout).", 'CEI: share of what could be collected over the period that was (100% = all).')
G_RECOVERY = Phrase("Taux de recouvrement : part de l'échu en début de période encaissée pendant la période.", 'Recovery rate: share of the past due at the start of the period collected during it.')
CHANNEL_EMAIL = Phrase('e-mail', 'email')
CHANNEL_SMS = Phrase('SMS', 'SMS')
CHANNEL_LETTER = Phrase('courrier', 'letter')
CHANNEL_CALL = Phrase('appel', 'call')
CHANNEL_AGENCY = Phrase('agence', 'agency')
YES = Phrase('oui', 'yes')
NO = Phrase('non', 'no')

# --------------------------------------------------------------------------- console and summary

AGED_BALANCE = Phrase("Balance âgée au {date}", "Aged balance on {date}")
BUCKET = Phrase("Tranche", "Bucket")
SUMMARY_TITLE = Phrase("Encours clients au {date}", "Receivables as of {date}")
SUMMARY_BUCKET_CURRENT = Phrase("non échu", "current")
SUMMARY_BUCKET_1_30 = Phrase("1-30 j", "1-30 d")
SUMMARY_BUCKET_31_60 = Phrase("31-60 j", "31-60 d")
SUMMARY_BUCKET_61_90 = Phrase("61-90 j", "61-90 d")
SUMMARY_BUCKET_OVER_90 = Phrase("> 90 j", "> 90 d")
STEP_IN_SCENARIO = Phrase("{step} ({scenario})", "{step} ({scenario})")

# --------------------------------------------------------------------------- notes (engine/kpi.py)

NOTE_MEASURED_AT = Phrase(
    "Le DSO, le BPDSO et l'ADD sont mesurés au {measured}, dernière fin de mois au plus tard le {as_of}.",
    "DSO, BPDSO and ADD are measured at {measured}, the last month end on or before {as_of}.")
NOTE_NO_SALES = Phrase(
    "Aucune vente enregistrée en {currency} jusqu'au {last} : le DSO, le BPDSO et l'ADD ont besoin "
    "des ventes mensuelles ; ajoutez-les dans l'onglet {tab}.",
    "No sales recorded in {currency} up to {last}: DSO, BPDSO and ADD need monthly sales; add them "
    "in the {tab} tab.")
NOTE_SALES_MISSING = Phrase(
    "Aucune vente enregistrée {span} : le DSO sur {months} mois a besoin de {months} mois de ventes ; "
    "ajoutez-les dans l'onglet {tab}.",
    "No sales recorded {span}: the {months}-month DSO needs {months} months of sales; add them in the "
    "{tab} tab.")
NOTE_NO_NET_SALES = Phrase(
    "Aucune vente nette {span} : le DSO sur {months} mois ne peut pas être calculé.",
    "No net sales {span}: the {months}-month DSO cannot be computed.")
NOTE_COUNTBACK_SHORT = Phrase(
    "{figures} countback : l'encours au {measured} dépasse toutes les ventes enregistrées depuis le "
    "{first} ; ajoutez les mois antérieurs dans l'onglet {tab}.",
    "{figures} countback: the receivables at {measured} exceed all the sales recorded since {first}; "
    "add earlier months in the {tab} tab.")
NOTE_PERIOD_NOT_BEGUN = Phrase(
    "CEI et taux de recouvrement : la période commence le {start}, après le {as_of} ; choisissez une "
    "période déjà commencée.",
    "CEI and recovery rate: the period starts {start}, after {as_of}; choose a period that has begun.")
NOTE_CEI_NOTHING = Phrase(
    "CEI {span} : rien n'était à encaisser (aucun encours au début et aucune vente sur la période).",
    "CEI {span}: nothing was collectible (no receivables at the start and no sales in the period).")
NOTE_RECOVERY_NOTHING = Phrase(
    "Taux de recouvrement {span} : aucune facture n'était échue le {eve}, il n'y avait donc rien à "
    "recouvrer.",
    "Recovery rate {span}: no invoice was past due on {eve}, so there was nothing to recover.")
BOTH = Phrase("{first} et {second}", "{first} and {second}")
PERIOD_SHORT = Phrase("{period}, {days} seulement : moins d'un mois", '{period}, only {days}: less than a month')
PERIOD_DAYS = Phrase('{period} ({days})', '{period} ({days})')
SPAN = Phrase("du {first} au {last}", "from {first} to {last}")

# --- risk grades: the reasons of a customer's grade (engine/scoring.py) ------------------------
REASON_NO_PAYMENT = Phrase("aucun règlement reçu à ce jour", "no payment received yet")
REASON_DAYS_LATE = Phrase("paie en moyenne {days} après l'échéance (pondéré par les montants)",
                          "pays {days} after the due date on average (weighted by amount)")
REASON_LATER = Phrase("retards en hausse : {recent} sur les {months} derniers mois contre {before} avant",
                      "paying later: {recent} late over the last {months} months against {before} before")
REASON_SOONER = Phrase("retards en baisse : {recent} sur les {months} derniers mois contre {before} avant",
                       "paying sooner: {recent} late over the last {months} months against {before} before")
REASON_LATE_SHARE = Phrase(
    "{share} des factures réglées l'ont été après l'échéance ({late} sur {settled})",
    "{share} of settled invoices were paid after their due date ({late} of {settled})")
REASON_PAST_DUE = Phrase("{amount} échus impayés, en retard de {days} en moyenne",
                         "{amount} past due and unpaid, {days} late on average")
REASON_NOTHING_PAST_DUE = Phrase("rien d'échu impayé", "nothing past due")
REASON_EXPOSURE = Phrase("encours de {amount}, {ratio} fois l'encours habituel ({usual})",
                         "open balance of {amount}, {ratio} times the usual ({usual})")
REASON_DISPUTES = Phrase("{n} factures en litige", "{n} invoices in dispute",
                         fr_one="{n} facture en litige", en_one="{n} invoice in dispute")
REASON_BROKEN_PROMISES = Phrase(
    "{n} promesses de paiement non tenues sur {months} mois",
    "{n} broken promises to pay in the last {months} months",
    fr_one="{n} promesse de paiement non tenue sur {months} mois",
    en_one="{n} broken promise to pay in the last {months} months")

# --- s18-cfo ---
EFF_PERIOD = Phrase(
    "Période : {period}. Relances envoyées dans la période ; « payé sous N jours » porte sur les relances "
    "dont les N jours se sont achevés dans la période ; promesses échues et factures soldées dans la période.",
    "Period: {period}. Reminders sent in the period; \"paid within N days\" covers the reminders whose N days "
    "ended in the period; promises falling due and invoices settled in the period.")
EFF_EMPTY_PERIOD = Phrase("Aucune relance ni promesse à mesurer sur {period}.",
                          "No reminder or promise to measure in {period}.")
EFF_ALL = Phrase("Rien à mesurer sur la période ({period}) ; voici toutes les relances jusqu'au {day}.",
                 "Nothing to measure in the period ({period}); here is every reminder up to {day}.")
