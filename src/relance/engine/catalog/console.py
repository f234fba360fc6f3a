"""Catalog: console (see relance.engine.catalog). Module-level Phrase constants only.

What the command line prints (cli.py, demo.py), every `--help` text, and the problems and fixes
of the errors relance raises (RelanceError and its subclasses, rendered by the CLI). Counts take
their plural from the `n` argument (French: 0 and 1 singular).
"""

from __future__ import annotations

from relance.engine.i18n import Phrase

# --------------------------------------------------------------------------- help: the app and the help screen

HELP_APP = Phrase("relance : relances clients pilotées depuis un classeur.",
                  "relance: accounts-receivable reminders driven from a workbook.")
HELP_LANG = Phrase("Langue de la console avant qu'un classeur soit lu : fr ou en (par défaut : LANG, "
                   "sinon fr) ; une fois le classeur lu, sa langue.",
                   "Language of the console before a workbook is read: fr or en (default: LANG, else fr); "
                   "once the workbook is read, its language.")
HELP_HELP = Phrase("Affiche cette aide et quitte.", "Show this message and exit.")
HELP_USAGE = Phrase("Utilisation :", "Usage:")
HELP_OPTIONS = Phrase("Options", "Options")
HELP_ARGUMENTS = Phrase("Arguments", "Arguments")
HELP_COMMANDS = Phrase("Commandes", "Commands")
HELP_DEFAULT = Phrase("par défaut : {value}", "default: {value}")
HELP_REQUIRED = Phrase("obligatoire", "required")

# --------------------------------------------------------------------------- help: arguments and options

HELP_BOOK = Phrase("Le classeur : un fichier .xlsx, gs://bucket/classeur.xlsx (Cloud Storage), gsheet:ID "
                   "(Google Sheets) ou excel:[classeur ouvert] (Excel, Windows et macOS).",
                   "The workbook: an .xlsx file, gs://bucket/book.xlsx (Cloud Storage), gsheet:ID (Google Sheets) or "
                   "excel:[open workbook] (Excel, Windows and macOS).")
HELP_AS_OF = Phrase("Date de l'exécution, AAAA-MM-JJ (par défaut : aujourd'hui dans le fuseau horaire du classeur).",
                    "Run date, YYYY-MM-DD (default: today in the workbook's time zone).")
HELP_JSON = Phrase("Affiche un objet JSON au lieu des tableaux.", "Print one JSON object instead of tables.")
HELP_INIT = Phrase("Écrit un nouveau modèle de classeur (français ou anglais), éventuellement rempli de "
                   "données de démonstration.",
                   "Write a new workbook template (French or English), optionally with demo data.")
HELP_INIT_LANG = Phrase("Langue du classeur : fr ou en (par défaut : celle de la console).",
                        "Language of the workbook: fr or en (default: the console's).")
HELP_INIT_DEMO = Phrase("Le remplit avec une PME française réaliste.", "Fill it with a realistic French SME.")
HELP_SEED = Phrase("Graine des données de démonstration.", "Demo data seed.")
HELP_CUSTOMERS = Phrase("Nombre de clients de démonstration.", "Demo customers.")
HELP_INVOICES = Phrase("Nombre de factures de démonstration.", "Demo invoices.")
HELP_FORCE = Phrase("Remplace un fichier existant (une copie de sauvegarde est gardée).",
                    "Overwrite an existing file (a backup is kept).")
HELP_CHECK = Phrase("Valide le classeur et rend chaque modèle de message une fois sur des données d'exemple ; "
                    "code de sortie 1 quand une ligne est inutilisable ou un modèle cassé.",
                    "Validate the workbook and render every template once on sample data; exit 1 when a row "
                    "is unusable or a template broken.")
HELP_PLAN = Phrase("Montre ce que la prochaine exécution enverrait ; rien n'est envoyé.",
                   "Preview what the next run would send; nothing is sent.")
HELP_PLAN_WRITE = Phrase("Remplit l'onglet du plan.", "Fill the Plan tab.")
HELP_RUN = Phrase("L'exécution quotidienne : planifie, envoie une seule fois, écrit l'historique, les tâches, "
                  "le plan et les anomalies dans le classeur.",
                  "The daily job: plan, send exactly once, write History, Tasks, Plan and Anomalies back.")
HELP_CHANNEL = Phrase("`outbox` (par défaut), `mailjet` ou `smtp`.", "outbox (default), mailjet or smtp.")
HELP_OUTBOX = Phrase("Dossier d'envoi (par défaut : CLASSEUR_outbox à côté du classeur).",
                     "Outbox folder (default: BOOK_outbox beside it).")
HELP_DRY_RUN = Phrase("Planifie et rend les messages, sans rien envoyer ni écrire.",
                      "Plan and render, send and write nothing.")
HELP_ANYTIME = Phrase("Envoie maintenant, même hors de la plage d'envoi (week-end, jour férié, avant "
                      "`send_hour`).",
                      "Send now even outside the send window (weekend, holiday, before send_hour).")
HELP_BASELINE = Phrase("Dit une fois où vous en êtes avant relance : inscrit dans l'historique l'étape déjà "
                       "atteinte hors de relance, pour que la prochaine exécution reprenne à l'étape suivante. "
                       "N'envoie rien.",
                       "Say once where you stand before relance: record in History the step already reached "
                       "outside relance, so the next run goes on from the following step. Sends nothing.")
HELP_STEP = Phrase("La dernière étape déjà envoyée hors de relance, par exemple `reminder_2` (une étape des "
                   "scénarios des clients).",
                   "The last step already sent outside relance, e.g. reminder_2 (a step of the customers' "
                   "ladders).")
HELP_CUSTOMER = Phrase("Seulement ce client (répétable ; par défaut : chaque client ayant des factures échues).",
                       "Only this customer (repeatable; default: every customer with overdue invoices).")
HELP_BASELINE_DRY = Phrase("Montre ce qui serait inscrit, sans rien écrire.",
                           "Show what would be recorded; write nothing.")
HELP_REPORT = Phrase("Balance âgée, DSO, CEI, pénalités, indemnités, efficacité des relances et notes des "
                     "payeurs.",
                     "Aging, DSO, CEI, penalties, indemnity, reminder effectiveness and payer grades.")
HELP_PERIOD = Phrase("Mois AAAA-MM du CEI et du taux de recouvrement (par défaut : le mois de la date du "
                     "passage).",
                     "YYYY-MM for CEI and recovery rate (default: the month of as_of).")
HELP_HTML = Phrase("Écrit un rapport HTML d'une page avec graphiques.", "Write a one-page HTML report with charts.")
HELP_REPORT_WRITE = Phrase("Reconstruit l'onglet Tableau_de_bord (chiffres et graphiques natifs).",
                           "Rebuild the Dashboard tab (figures and native charts).")
HELP_SUMMARY = Phrase("L'e-mail de synthèse hebdomadaire : chiffres clés et un graphique ; envoyé une fois "
                      "par semaine ISO.",
                      "The weekly summary e-mail: headline figures and a chart; sent once per ISO week.")
HELP_TO = Phrase("Son destinataire (le directeur financier).", "Who receives it (the finance manager).")
HELP_SUMMARY_CHANNEL = Phrase("`outbox` (par défaut).", "outbox (default).")
HELP_DEMO = Phrase("Construit un classeur de démonstration, puis le planifie, l'exécute et en fait le "
                   "rapport : tout le produit en une commande.",
                   "Build a demo workbook, then plan, run and report on it: the whole product in one command.")
HELP_DEMO_FOLDER = Phrase("Où construire la démonstration.", "Where to build the demo.")

# --------------------------------------------------------------------------- counts (plural by n)

N_MESSAGES = Phrase("{n} messages", "{n} messages", fr_one="{n} message", en_one="{n} message")
N_TASKS = Phrase("{n} tâches", "{n} tasks", fr_one="{n} tâche", en_one="{n} task")
N_CUSTOMERS = Phrase("{n} clients", "{n} customers", fr_one="{n} client", en_one="{n} customer")
N_INVOICES = Phrase("{n} factures", "{n} invoices", fr_one="{n} facture", en_one="{n} invoice")
N_DOCUMENTS = Phrase("{n} factures ou avoirs", "{n} invoices and credit notes", fr_one="{n} facture ou avoir",
                     en_one="{n} invoice or credit note")
N_PAYMENTS = Phrase("{n} paiements", "{n} payments", fr_one="{n} paiement", en_one="{n} payment")
N_ERRORS = Phrase("{n} erreurs", "{n} errors", fr_one="{n} erreur", en_one="{n} error")
N_WARNINGS = Phrase("{n} avertissements", "{n} warnings", fr_one="{n} avertissement", en_one="{n} warning")
N_ROWS = Phrase("{n} lignes", "{n} rows", fr_one="{n} ligne", en_one="{n} row")

# --------------------------------------------------------------------------- check

READ_BOOK = Phrase("Lu : {customers}, {documents} et {payments}.", "Read {customers}, {documents} and {payments}.")
NO_ANOMALY = Phrase("Aucune anomalie : chaque ligne est utilisable.", "No anomaly: every row is usable.")
ANOMALIES_TITLE = Phrase("Anomalies : {errors}, {warnings}", "Anomalies: {errors}, {warnings}")
COL_CELL = Phrase("cellule", "cell")
COL_VALUE = Phrase("valeur", "value")
COL_PROBLEM = Phrase("problème", "problem")
COL_FIX = Phrase("correction", "fix")
MORE_ANOMALIES = Phrase("… et {n} autres (toutes sont dans l'onglet Anomalies après une exécution, ou avec `--json`)",
                        "… and {n} more (all of them are in the Anomalies tab after a run, or with --json)",
                        fr_one="… et {n} autre (toutes sont dans l'onglet Anomalies après une exécution, "
                               "ou avec `--json`)")
BOOK_ANOMALIES = Phrase("{errors} et {warnings} dans le classeur", "{errors} and {warnings} in the workbook")
SEE_CHECK = Phrase("(voir `relance check`, ou l'onglet Anomalies après une exécution).",
                   "(see `relance check`, or the Anomalies tab after a run).")

# --------------------------------------------------------------------------- plan and run

PLAN_TITLE = Phrase("Plan du {day} : {messages}", "Plan for {day}: {messages}")
PLANNED = Phrase("{messages} prévus", "{messages} planned", fr_one="{messages} prévu")
COL_STEP = Phrase("étape", "step")
COL_CHANNEL = Phrase("canal", "channel")
COL_MESSAGES = Phrase("messages", "messages")
NOT_SENT = Phrase("Non envoyés, avec leur raison : {reasons}", "Not sent, with reason: {reasons}")
REASON_COUNT = Phrase("{reason} {n}", "{reason} {n}")
MORE_ACTIONS = Phrase("… {n} de plus", "… {n} more")
RUN_TOTALS = Phrase("Envoyés {sent}, tâches {tasks}, échecs {failed}, en attente de validation {waiting}.",
                    "Sent {sent}, tasks {tasks}, failed {failed}, awaiting approval {waiting}.")
PLAN_WRITTEN = Phrase("L'onglet {tab} les liste ; cochez « valider » là où une étape demande une validation.",
                      "The {tab} tab lists them; tick 'approve' where a step needs approval.")
TITLE_DRY_RUN = Phrase("Essai à blanc {run} du {day}", "Dry run {run} for {day}")
TITLE_SIMULATION = Phrase("Simulation {run} du {day}", "Simulation {run} for {day}")
TITLE_RUN = Phrase("Passage {run} du {day}", "Run {run} for {day}")
TITLE_SIMULATION_SHORT = Phrase("Simulation {run}", "Simulation {run}")
TITLE_RUN_SHORT = Phrase("Passage {run}", "Run {run}")
SIMULATION_LINE = Phrase(
    "Simulation, rien n'est envoyé : le {day} n'est pas aujourd'hui ({today} à {zone}) ; {messages} classés "
    "dans {folder}{tasks}, marqués simulés dans l'historique ; une exécution sans `--as-of` envoie pour de vrai.",
    "Simulation, nothing sent: {day} is not today ({today} in {zone}); {messages} filed in {folder}{tasks}, "
    "marked simulated in History; a run without --as-of sends for real.",
    fr_one="Simulation, rien n'est envoyé : le {day} n'est pas aujourd'hui ({today} à {zone}) ; {messages} "
           "classé dans {folder}{tasks}, marqué simulé dans l'historique ; une exécution sans `--as-of` envoie pour "
           "de vrai.")
SIMULATION_TASKS = Phrase(" ({tasks} non créées)", " ({tasks} not created)", fr_one=" ({tasks} non créée)")
DEFERRED = Phrase("Rien n'est envoyé maintenant : {why}. La prochaine plage d'envoi ouvre le {when} ({messages} "
                  "l'attendent ; `--anytime` envoie maintenant).",
                  "Nothing sent now: {why}. The next send window opens {when} ({messages} wait for it; "
                  "--anytime sends now).",
                  fr_one="Rien n'est envoyé maintenant : {why}. La prochaine plage d'envoi ouvre le {when} "
                         "({messages} l'attend ; `--anytime` envoie maintenant).",
                  en_one="Nothing sent now: {why}. The next send window opens {when} ({messages} waits for it; "
                         "--anytime sends now).")
WINDOW_WEEKEND = Phrase("c'est le week-end", "weekend")
WINDOW_HOLIDAY = Phrase("jour férié : {name}", "public holiday: {name}")
WINDOW_BEFORE = Phrase("avant {hour} h ({zone})", "before {hour}:00 {zone}")
SETTLED = Phrase("{rows} laissées en attente par une exécution interrompue sont réglées.",
                 "Settled {rows} left pending by an interrupted run.",
                 fr_one="{rows} laissée en attente par une exécution interrompue est réglée.")
UNSETTLED = Phrase("{rows} de l'historique restent en attente : le dossier d'envoi qu'elles nomment est illisible, "
                   "elles ne sont donc jamais renvoyées tant qu'il ne l'est pas (Anomalies, R620).",
                   "{rows} of History stay pending: the outbox folder they name cannot be read, so they are never "
                   "sent again until it can (Anomalies, R620).",
                   fr_one="{rows} de l'historique reste en attente : le dossier d'envoi qu'elle nomme est illisible, "
                          "elle n'est donc jamais renvoyée tant qu'il ne l'est pas (Anomalies, R620).",
                   en_one="{rows} of History stays pending: the outbox folder it names cannot be read, so it is "
                          "never sent again until it can (Anomalies, R620).")
OUTBOX_AT = Phrase("Dossier d'envoi : {folder}", "Outbox: {folder}")
MISSING_SETTINGS = Phrase("{messages} n'ont pas pu partir : l'onglet {tab} n'a pas de {keys}",
                          "{messages} could not leave: the {tab} tab has no {keys}",
                          fr_one="{messages} n'a pas pu partir : l'onglet {tab} n'a pas de {keys}")
MISSING_SETTINGS_FIX = Phrase("renseignez {keys} dans {tab} (l'expéditeur de chaque relance et l'adresse de retour "
                              "des courriers), puis relancez ; rien d'autre n'a été retenu",
                              "fill {keys} in {tab} (the sender of every reminder, and the return address of "
                              "letters), then run again; nothing else was held back")

# --------------------------------------------------------------------------- channels

CHANNEL_EMAIL = Phrase("e-mail", "e-mail")
CHANNEL_SMS = Phrase("SMS", "SMS")
CHANNEL_LETTER = Phrase("courrier", "letter")
CHANNEL_CALL = Phrase("appel", "call")
CHANNEL_AGENCY = Phrase("recouvrement", "agency")

# --------------------------------------------------------------------------- why not sent (planner and baseline codes)

REASON_DISPUTED = Phrase("litige", "disputed")
REASON_HOLD = Phrase("bloquée", "on hold")
REASON_PROMISE = Phrase("promesse de paiement", "promise to pay")
REASON_CUSTOMER_PAUSED = Phrase("client suspendu", "customer paused")
REASON_OPT_OUT = Phrase("client opposé aux relances", "opted out")
REASON_NO_WRITTEN_REMINDER = Phrase("sans relance écrite avant la mise en demeure",
                                    "no written reminder before the formal notice")
REASON_NO_FORMAL_NOTICE = Phrase("sans mise en demeure échue", "no formal notice past its deadline")
REASON_NOTICE_DEADLINE = Phrase("délai de la mise en demeure en cours", "formal notice deadline not passed")
REASON_COURTESY_PAST = Phrase("déjà échue (plus de rappel avant échéance)", "already due (no courtesy reminder)")
REASON_NO_ADDRESS = Phrase("sans adresse", "no address")
REASON_COOLDOWN = Phrase("trop tôt après le dernier contact", "too soon after the last contact")
REASON_BELOW_MIN_BALANCE = Phrase("solde sous le minimum", "balance below the minimum")
REASON_SETTING_MISSING = Phrase("paramètre manquant", "setting missing")
REASON_SCENARIO_BROKEN = Phrase("scénario inutilisable", "scenario broken")
REASON_SCENARIO_UNKNOWN = Phrase("scénario inconnu", "unknown scenario")
REASON_HAS_HISTORY = Phrase("historique déjà présent", "already has History")
REASON_STEP_UNKNOWN = Phrase("étape absente de son scénario", "step not on its ladder")

# --------------------------------------------------------------------------- init, baseline, summary

WROTE = Phrase("Écrit : {path}", "Wrote {path}")
WROTE_DEMO = Phrase("Écrit : {path} ({customers}, {invoices})", "Wrote {path} ({customers}, {invoices})")
BASELINE_DONE = Phrase("Étape {step} inscrite comme atteinte le {day} pour {customers} ; rien n'a été envoyé.",
                       "Recorded step {step} as reached on {day} for {customers}; nothing was sent.")
BASELINE_WOULD = Phrase("Étape {step} à inscrire comme atteinte le {day} pour {customers} ; rien n'a été envoyé.",
                        "Would record step {step} as reached on {day} for {customers}; nothing was sent.")
LEFT_OUT = Phrase("Laissés de côté, avec leur raison : {reasons}", "Left out, with reason: {reasons}")
SUMMARY_AGAIN = Phrase("La synthèse de cette semaine a déjà été envoyée à {to} ; rien n'est envoyé.",
                       "This week's summary was already sent to {to}; nothing sent.")
SUMMARY_SIMULATED = Phrase("Simulation, rien n'est envoyé : la synthèse du {day} (pas aujourd'hui) est classée "
                           "pour {to} sous {file}.",
                           "Simulation, nothing sent: the summary of {day} (not today) was filed for {to} as {file}.")
SUMMARY_SENT = Phrase("Synthèse hebdomadaire envoyée à {to} ({file}).", "Weekly summary sent to {to} ({file}).")

# --------------------------------------------------------------------------- report

AGED_BALANCE = Phrase("Balance âgée au {day}", "Aged balance on {day}")
BUCKET_CURRENT = Phrase("non échu", "current")
BUCKET_1_30 = Phrase("1 à 30 jours", "1-30 days")
BUCKET_31_60 = Phrase("31 à 60 jours", "31-60 days")
BUCKET_61_90 = Phrase("61 à 90 jours", "61-90 days")
BUCKET_OVER_90 = Phrase("plus de 90 jours", "> 90 days")
BUCKET_CREDITS = Phrase("avoirs et trop-perçus", "unapplied credits")
BUCKET_NET = Phrase("encours net", "net receivables")
BUCKET_PAST_DUE = Phrase("dont échu", "of which past due")
LATE_PENALTIES = Phrase("pénalités de retard exigibles, factures ouvertes (L441-10)",
                        "late-payment interest claimable, open invoices (L441-10)")
LATE_PENALTIES_PAID_LATE = Phrase("pénalités acquises sur factures payées en retard, non réclamées",
                                  "interest accrued on invoices paid late, not claimed")
KPI_DSO = Phrase("DSO (méthode countback)", "DSO (countback)")
KPI_DSO_3M = Phrase("DSO sur 3 mois", "DSO 3 months")
KPI_BPDSO = Phrase("BPDSO", "BPDSO")
KPI_ADD = Phrase("ADD (retard moyen)", "ADD")
KPI_CEI = Phrase("CEI ({period})", "CEI ({period})")
KPI_RECOVERY = Phrase("taux de recouvrement ({period})", "recovery rate ({period})")
NOTE_LINE = Phrase("{currency} : {note}", "{currency}: {note}")
INDEMNITIES = Phrase("Indemnités forfaitaires (D441-5) exigibles sur les factures ouvertes : {count} × {unit} = "
                     "{amount} ; acquises sur des factures payées en retard, recouvrables jusqu'à la prescription "
                     "mais non réclamées : {late_count} × {unit} = {late_amount}",
                     "Fixed recovery indemnities (D441-5) claimable on open invoices: {count} × {unit} = {amount}; "
                     "accrued on invoices paid late, recoverable until prescription but not claimed: "
                     "{late_count} × {unit} = {late_amount}")
MOST_OVERDUE = Phrase("Clients les plus en retard", "Most overdue customers")
COL_CUSTOMER = Phrase("client", "customer")
COL_PAST_DUE = Phrase("échu", "past due")
COL_DAYS_LATE = Phrase("retard moyen", "avg days late")
HTML_REPORT = Phrase("Rapport HTML : {path}", "HTML report: {path}")
DASHBOARD_REBUILT = Phrase("Onglet {tab} reconstruit dans {book}.", "Tab {tab} rebuilt in {book}.")

# --------------------------------------------------------------------------- demo

DEMO_BOOK = Phrase("1. Classeur de démonstration", "1. Demo workbook")
DEMO_BOOK_AT = Phrase("{path} (une PME française, au {day})", "{path} (a French SME, as of {day})")
DEMO_PLAN = Phrase("2. Plan", "2. Plan")
DEMO_RUN = Phrase("3. Passage", "3. Run")
DEMO_AGAIN = Phrase("Une seconde exécution le même jour envoie {messages} (jamais deux fois).",
                    "A second run the same day sends {messages} (never twice).")
DEMO_REPORT = Phrase("4. Rapport", "4. Report")
DEMO_PAGE = Phrase("Rapport HTML : {page} ; onglet {tab} reconstruit.", "HTML report: {page}; Dashboard tab {tab} "
                   "rebuilt.")
DEMO_SUMMARY = Phrase("Synthèse hebdomadaire au directeur financier : {file}",
                      "Weekly summary to the finance manager: {file}")
DEMO_OPEN = Phrase("Ouvrez {path} (onglets {tabs}), {page} et les e-mails de {outbox}.",
                   "Open {path} (tabs {tabs}), {page}, and the e-mails in {outbox}.")

# --------------------------------------------------------------------------- progress

PROGRESS_READING = Phrase("Lecture et contrôle du classeur", "Reading and checking the workbook")
PROGRESS_SENDING = Phrase("Envoi", "Sending")
PROGRESS_SIMULATING = Phrase("Simulation", "Simulating")

# --------------------------------------------------------------------------- errors: the command line

ERROR_PREFIX = Phrase("relance :", "relance:")
AS_OF_NOT_A_DATE = Phrase("--as-of {value} n'est pas une date", "--as-of {value} is not a date")
AS_OF_FORMAT = Phrase("écrivez-la sous la forme AAAA-MM-JJ, par exemple `2025-03-31`",
                      "write it as YYYY-MM-DD, e.g. 2025-03-31")
AS_OF_OUT_OF_RANGE = Phrase("--as-of {value} sort des années que relance connaît (1900 à 2200)",
                            "--as-of {value} is outside the years relance works with (1900 to 2200)")
AS_OF_WRITE = Phrase("écrivez la date de l'exécution, par exemple `2025-03-31`", "write the run date, e.g. 2025-03-31")
LANG_UNSUPPORTED = Phrase("--lang {value} n'est pas une langue de relance", "--lang {value} is not supported")
LANG_USE = Phrase("utilisez `--lang fr` ou `--lang en`", "use --lang fr or --lang en")
EXISTS = Phrase("{path} existe déjà ; relance n'écrase jamais un classeur",
                "{path} already exists; relance never overwrites a workbook")
EXISTS_FIX = Phrase("choisissez un autre nom, ou ajoutez `--force`", "choose another name, or add --force")
PERIOD_NOT_A_MONTH = Phrase("--period {value} n'est pas un mois", "--period {value} is not a month")
PERIOD_FORMAT = Phrase("écrivez-le sous la forme AAAA-MM, par exemple `2025-03`", "write it as YYYY-MM, e.g. 2025-03")
TO_NOT_AN_ADDRESS = Phrase("--to {value} n'est pas une adresse e-mail", "--to {value} is not an e-mail address")
TO_FORMAT = Phrase("écrivez-la sous la forme `daf@example.fr`", "write it as daf@example.fr")
DISK_FULL = Phrase("le disque est plein : libérez de la place, puis relancez",
                   "the disk is full: free some space, then run again")
CHECK_PATH = Phrase("vérifiez le chemin et ses droits d'accès", "check the path and its permissions")

# --------------------------------------------------------------------------- errors: connecting (app/connect.py)

BACKEND_LATER = Phrase("{kind} : ces classeurs ne sont pas disponibles dans cette version",
                       "{kind}: workbooks are not available in this version")
BACKEND_LATER_FIX = Phrase("utilisez un fichier .xlsx local pour l'instant", "use a local .xlsx file for now")
CHANNEL_UNKNOWN = Phrase("le canal {name} n'est pas un canal que relance connaît",
                         "channel {name} is not a channel relance knows")
CHANNEL_USE = Phrase("utilisez `--channel {names}`", "use --channel {names}")
CHANNEL_NOT_AVAILABLE = Phrase("le canal {name} n'est pas disponible dans cette version",
                               "channel {name} is not available in this version")
CHANNEL_USE_OUTBOX = Phrase("utilisez `--channel outbox`", "use --channel outbox")
DATED_RUN_REAL_CHANNEL = Phrase(
    "--as-of {as_of} n'est pas aujourd'hui ({today} à {zone}) : une exécution datée n'est qu'une simulation, et le "
    "canal {name} remettrait vraiment des messages datés du {as_of}",
    "--as-of {as_of} is not today ({today} in {zone}): a dated run is only a simulation, and channel {name} "
    "would really deliver messages dated {as_of}")
DATED_RUN_REAL_CHANNEL_FIX = Phrase(
    "retirez `--as-of` pour envoyer aujourd'hui, utilisez `--channel outbox` pour classer une simulation, ou "
    "`--dry-run` pour un aperçu",
    "drop --as-of to send today, use --channel outbox to file a simulation, or --dry-run to preview")

# --------------------------------------------------------------------------- errors: jobs (app/jobs.py, resources.py)

FOREIGN_TAB = Phrase(
    "l'onglet {names} de ce classeur n'est pas celui de relance, mais relance écrit un onglet sous ce nom ; "
    "il n'écrase jamais vos onglets, donc rien n'a été envoyé ni écrit",
    "the tab {names} of this workbook is not relance's, but relance writes a tab under that name; it never "
    "overwrites your tabs, so nothing was sent or written")
FOREIGN_TABS = Phrase(
    "les onglets {names} de ce classeur ne sont pas ceux de relance, mais relance écrit des onglets sous ces "
    "noms ; il n'écrase jamais vos onglets, donc rien n'a été envoyé ni écrit",
    "the tabs {names} of this workbook are not relance's, but relance writes a tab under these names; it never "
    "overwrites your tabs, so nothing was sent or written")
FOREIGN_TAB_OTHERS = Phrase("{hint} (et de même pour les autres)", "{hint} (and likewise for the others)")
DATED_RUN_SENDS = Phrase(
    "une exécution datée du {as_of} (aujourd'hui : {today} à {zone}) n'est qu'une simulation, et le canal {name} "
    "enverrait vraiment",
    "a run dated {as_of} (today is {today} in {zone}) is only a simulation, and channel {name} would really send")
DATED_RUN_SENDS_FIX = Phrase(
    "ouvrez le canal avec `relance.app.connect.open_channel(..., as_of=...)`, ou utilisez `--dry-run`",
    "open the channel with relance.app.connect.open_channel(..., as_of=...), or use --dry-run")
SENDING_STOPPED = Phrase(
    "{cause} : l'envoi s'est arrêté. {done} ; {left} non envoyés, marqués en échec dans l'historique "
    "(enregistré) : la prochaine exécution les planifie de nouveau, et n'en envoie jamais un deux fois",
    "{cause}: sending stopped. {done}; {left} not sent, marked failed in History (saved): the next run plans "
    "them again, and never sends one twice")
SHIPPED_SCENARIO_BROKEN = Phrase("un scénario livré avec relance est cassé : {problems}",
                                 "a shipped scenario is broken: {problems}")
REINSTALL = Phrase("réinstallez relance", "reinstall relance")

# --------------------------------------------------------------------------- errors: the outbox (channels/outbox.py)

OUTBOX_UNUSABLE = Phrase("le dossier d'envoi {folder} est inutilisable ({cause})",
                         "the outbox folder {folder} cannot be used ({cause})")
OUTBOX_UNUSABLE_FIX = Phrase("choisissez un dossier où vous pouvez écrire avec `--outbox DOSSIER`",
                             "choose a folder you can write to with --outbox DIR")

# --------------------------------------------------------------------------- errors: the workbook file (workbook/xlsx.py)

OPEN_IN_OFFICE = Phrase("{name} est ouvert dans Excel ou LibreOffice (fichier de verrou {lock})",
                        "{name} is open in Excel or LibreOffice (lock file {lock})")
OPEN_IN_OFFICE_FIX = Phrase("fermez-le dans ce programme et relancez ; si aucun programme ne l'a ouvert, supprimez "
                            "le fichier de verrou resté là : {lock}",
                            "close it there and run again; if no program has it open, delete the leftover lock "
                            "file {lock}")
BOOK_MISSING = Phrase("le classeur {path} n'existe pas", "the workbook {path} does not exist")
BOOK_MISSING_FIX = Phrase("vérifiez le chemin, ou créez un classeur avec `relance init {path}`",
                          "check the path, or create a workbook with `relance init {path}`")
BOOK_UNOPENABLE = Phrase("le classeur {path} ne peut pas être ouvert : {cause}",
                         "the workbook {path} cannot be opened: {cause}")
BOOK_UNOPENABLE_FIX = Phrase("vérifiez le chemin et les droits d'accès de ses dossiers",
                             "check the path and the permissions of its folders")
BOOK_IS_FOLDER = Phrase("{path} est un dossier, pas un classeur", "{path} is a folder, not a workbook")
BOOK_IS_FOLDER_FIX = Phrase("donnez le chemin du fichier .xlsx lui-même", "give the path of the .xlsx file itself")
BOOK_NOT_REGULAR = Phrase("{path} n'est pas un fichier ordinaire", "{path} is not a regular file")
BOOK_NOT_REGULAR_FIX = Phrase("donnez le chemin d'un fichier .xlsx", "give the path of an .xlsx file")
BOOK_PASSWORD = Phrase("{name} est protégé par un mot de passe", "{name} is password-protected")
BOOK_PASSWORD_FIX = Phrase("retirez le mot de passe (Fichier > Informations > Protéger le classeur > Chiffrer avec "
                           "mot de passe, puis un mot de passe vide) et enregistrez de nouveau",
                           "remove the password (File > Info > Protect Workbook > Encrypt with Password, then an "
                           "empty password) and save again")
BOOK_XLS = Phrase("{name} est un ancien classeur Excel 97-2003 (.xls)",
                  "{name} is an old Excel 97-2003 workbook (.xls)")
BOOK_XLS_FIX = Phrase("ouvrez-le dans Excel ou LibreOffice et enregistrez-le au format .xlsx (Classeur Excel)",
                      "open it in Excel or LibreOffice and save it as .xlsx (Excel Workbook)")
BOOK_PERMISSION = Phrase("{name} ne peut pas être lu : accès refusé", "{name} cannot be read: permission denied")
BOOK_PERMISSION_FIX = Phrase("donnez-vous le droit de lecture sur le fichier",
                             "give yourself read permission on the file")
BOOK_UNREADABLE = Phrase("{name} ne peut pas être lu : {cause}", "{name} cannot be read: {cause}")
CHECK_FILE_AND_DISK = Phrase("vérifiez le fichier et le disque", "check the file and the disk")
NOT_XLSX = Phrase("{name} n'est pas un classeur .xlsx{detail}", "{name} is not an .xlsx workbook{detail}")
NOT_XLSX_FIX = Phrase("relance lit les classeurs Excel : ouvrez le fichier dans Excel ou LibreOffice et "
                      "enregistrez-le au format .xlsx (Classeur Excel)",
                      "relance reads Excel workbooks: open the file in Excel or LibreOffice and save it as .xlsx "
                      "(Excel Workbook)")
NOT_XLSX_XLSB = Phrase(" (c'est un classeur binaire .xlsb)", " (it is a binary .xlsb workbook)")
NOT_XLSX_ODS = Phrase(" (c'est un classeur OpenDocument)", " (it is an OpenDocument spreadsheet)")
NOT_XLSX_NO_PART = Phrase(" (il n'a pas de partie xl/workbook.xml)", " (it has no xl/workbook.xml part)")
IN_BOOK = Phrase("{name} : {problem}", "{name}: {problem}")
FOLDER_READ_ONLY = Phrase("le dossier {folder} n'est pas accessible en écriture", "the folder {folder} is not writable")
FOLDER_READ_ONLY_FIX = Phrase("relance enregistre le classeur via un fichier temporaire et une copie de sauvegarde "
                              "à côté : donnez-vous le droit d'écriture sur le dossier, ou déplacez le classeur",
                              "relance saves the workbook through a temporary file and a backup beside it: give "
                              "yourself write permission on the folder, or move the workbook")
BOOK_READ_ONLY = Phrase("{name} est en lecture seule", "{name} is read-only")
BOOK_READ_ONLY_FIX = Phrase("retirez l'attribut lecture seule du fichier (ou copiez-le) et relancez",
                            "remove the read-only attribute of the file (or copy it) and run again")
TWO_PARTS = Phrase("le classeur contient deux parties nommées {part}", "the workbook holds two parts named {part}")
PART_MISSING = Phrase("la partie {part} manque", "the part {part} is missing")
PART_NOT_UTF8 = Phrase("la partie {part} n'est pas du XML en UTF-8", "the part {part} is not UTF-8 XML")
RESAVE = Phrase("ouvrez le classeur dans Excel ou LibreOffice et enregistrez-le de nouveau",
                "open the workbook in Excel or LibreOffice and save it again")
RESAVE_XLSX = Phrase("ouvrez le classeur dans Excel ou LibreOffice et enregistrez-le de nouveau au format .xlsx",
                     "open the workbook in Excel or LibreOffice and save it again as .xlsx")
TRIM_TAB = Phrase("supprimez ce qui se trouve au-delà de votre tableau dans cet onglet (dans Excel, Ctrl+Fin "
                  "montre la dernière cellule utilisée : sélectionnez les lignes sous votre tableau et les "
                  "colonnes à sa droite, supprimez-les), enregistrez et relancez",
                  "delete what lies beyond your table in that tab (in Excel, Ctrl+End shows the last used cell: "
                  "select the rows below your table and the columns to its right, delete them), save, and run "
                  "again")
LABEL_PART = Phrase("la partie {part}", "the part {part}")
LABEL_STRINGS = Phrase("la table des textes du classeur ({part})", "the workbook's table of texts ({part})")
LABEL_TAB = Phrase("l'onglet « {tab} » ({part})", "the tab '{tab}' ({part})")
TAB_TOO_LARGE = Phrase("{name} : l'onglet « {tab} » a des cellules en {far}, il couvre donc {rows} lignes × {cols} "
                       "colonnes : plus que les {limit} cellules que relance lit dans un onglet",
                       "{name}: the tab '{tab}' has cells at {far}, so it spans {rows} rows × {cols} columns: more "
                       "than the {limit} cells relance reads in one tab")
TAB_TOO_LARGE_ONE = Phrase("{name} : l'onglet « {tab} » a une cellule en {far}, il couvre donc {rows} lignes × "
                           "{cols} colonnes : plus que les {limit} cellules que relance lit dans un onglet",
                           "{name}: the tab '{tab}' has a cell at {far}, so it spans {rows} rows × {cols} columns: "
                           "more than the {limit} cells relance reads in one tab")
BOOK_TOO_LARGE = Phrase("{name} : les onglets de relance couvrent ensemble {total} cellules, plus que les {limit} "
                        "qu'il lit à la fois",
                        "{name}: relance's tabs span {total} cells together, more than the {limit} it reads at once")
BOOK_TOO_LARGE_FIX = Phrase("déplacez les anciennes lignes (factures payées, leurs paiements, anciennes archives de "
                            "l'historique) vers un autre classeur, ou supprimez ce qui se trouve au-delà des "
                            "tableaux (Ctrl+Fin dans Excel montre la dernière cellule utilisée d'un onglet)",
                            "move old rows (paid invoices, their payments, old History archives) to another "
                            "workbook, or delete what lies beyond the tables (Ctrl+End in Excel shows a tab's last "
                            "used cell)")
TAB_WRITTEN_TWICE = Phrase("l'onglet {tab} est écrit deux fois dans un même enregistrement",
                           "the tab {tab} is written twice in one save")
REPORT_BUG = Phrase("signalez-le comme un bogue", "report this as a bug")
BOOK_KEPT_CHANGING = Phrase("{name} a changé sans cesse pendant que relance l'enregistrait",
                            "{name} kept changing while relance was saving it")
BOOK_KEPT_CHANGING_FIX = Phrase("fermez le programme qui le modifie et relancez",
                                "close the program that is editing it and run again")
BOOK_NOT_SAVED = Phrase("{name} n'a pas pu être enregistré : {cause}", "{name} could not be saved: {cause}")
BOOK_NOT_SAVED_FIX = Phrase("vérifiez l'espace libre sur le disque et les droits du dossier ; le classeur est resté "
                            "tel quel",
                            "check the free disk space and the permissions of the folder; the workbook was left as "
                            "it was")
RUN_LOCKED = Phrase("une autre exécution de relance utilise {name}{holder}",
                    "another relance run is using {name}{holder}")
RUN_LOCKED_FIX = Phrase("attendez que cette exécution se termine : son verrou {lock} est libéré à sa fin",
                        "wait for it to finish: its lock {lock} is released when it ends")
RUN_LOCK_UNCREATABLE = Phrase("impossible de créer le verrou d'exécution {lock} : {cause}",
                              "cannot create the run lock {lock}: {cause}")
RUN_LOCK_UNCREATABLE_FIX = Phrase("donnez-vous le droit d'écriture sur le dossier du classeur",
                                  "give yourself write permission on the workbook's folder")
NOT_A_WORKSHEET = Phrase("l'onglet {tab} n'est pas une feuille de calcul (une feuille de graphique ou de macros ?)",
                         "the tab {tab} is not a worksheet (a chart or macro sheet?)")
NOT_A_WORKSHEET_FIX = Phrase("renommez cet onglet pour que relance puisse créer son propre onglet {name}",
                             "rename that tab so that relance can create its own {name} tab")

# --------------------------------------------------------------------------- errors: the package (workbook/xlsx_parts.py)

TAB_NAME_LENGTH = Phrase("le nom d'onglet {name} doit compter de 1 à {limit} caractères",
                         "tab name {name} must be 1 to {limit} characters long")
TAB_NAME_SHORTER = Phrase("choisissez un nom d'onglet plus court", "choose a shorter tab name")
TAB_NAME_CHARACTERS = Phrase("le nom d'onglet {name} contient des caractères qu'Excel refuse dans un nom d'onglet",
                             "tab name {name} contains characters Excel does not allow in a tab name")
TAB_NAME_CHARACTERS_FIX = Phrase("un nom d'onglet ne peut contenir ni [ ] : * ? / \\ ni caractère de contrôle, "
                                 "ni commencer ou finir par une apostrophe",
                                 "tab names cannot contain [ ] : * ? / \\ or control characters, nor start or end "
                                 "with an apostrophe")
TAB_TOO_MANY_ROWS = Phrase("l'onglet {name} aurait {rows} lignes ; une feuille en contient au plus {limit}",
                           "tab {name} would have {rows} rows; a worksheet holds at most {limit}")
ARCHIVE_ROWS = Phrase("archivez les lignes les plus anciennes dans un autre onglet", "archive older rows into another tab")
TAB_TOO_MANY_COLUMNS = Phrase("l'onglet {name} aurait {cols} colonnes ; une feuille en contient au plus {limit}",
                              "tab {name} would have {cols} columns; a worksheet holds at most {limit}")
BOOK_TOO_BIG_TO_WRITE = Phrase("le classeur serait trop gros pour que relance l'écrive (4 Go ou 65 535 parties)",
                               "the workbook would be too large for relance to write (4 GB or 65,535 parts)")
BOOK_TOO_BIG_TO_WRITE_FIX = Phrase("archivez les anciennes lignes ou divisez le classeur",
                                   "archive old rows or split the workbook")
ZIP_ENTRY_DAMAGED = Phrase("l'entrée zip {name} est endommagée", "the zip entry {name} is damaged")
ZIP_ENTRY_TRUNCATED = Phrase("l'entrée zip {name} est tronquée", "the zip entry {name} is truncated")
NOT_WELL_FORMED = Phrase("{what} n'est pas du XML bien formé ({cause})", "{what} is not well-formed XML ({cause})")
STRICT_XML = Phrase("le classeur est enregistré au format « Strict Open XML »",
                    "the workbook is saved in the 'Strict Open XML' format")
STRICT_XML_FIX = Phrase("enregistrez-le comme un « Classeur Excel (.xlsx) » ordinaire",
                        "save it as a regular 'Excel Workbook (.xlsx)'")
ELEMENT_MISSING = Phrase("aucun élément </{element}> là où il en faut un",
                         "no </{element}> element found where one is required")
PART_TOO_BIG = Phrase("{what} se décompresse en {size} ({packed} dans le fichier), plus que les {limit} que "
                      "relance lit dans une partie",
                      "{what} inflates to {size} ({packed} in the file), more than the {limit} relance reads in "
                      "one part")
PART_TOO_BIG_FIX = Phrase("ouvrez le classeur dans Excel ou LibreOffice et enregistrez-le de nouveau ; s'il reste "
                          "aussi gros, le fichier est endommagé ou a été construit pour épuiser la mémoire",
                          "open the workbook in Excel or LibreOffice and save it again; if it stays this large, "
                          "the file is damaged or was built to exhaust memory")
PART_NO_HEADER = Phrase("{what} est endommagé (l'en-tête de son entrée zip manque)",
                        "{what} is damaged (its zip entry header is missing)")
PART_LYING = Phrase("{what} se décompresse au-delà des {size} que déclare son en-tête zip : le fichier est "
                    "endommagé, ou a été construit pour épuiser la mémoire de qui l'ouvre",
                    "{what} inflates past the {size} its zip header declares: the file is damaged, or was built "
                    "to exhaust the memory of whoever opens it")
PART_LYING_FIX = Phrase("ouvrez le classeur dans Excel ou LibreOffice et enregistrez-le de nouveau ; n'utilisez "
                        "pas un classeur d'une source dont vous n'êtes pas sûr",
                        "open the workbook in Excel or LibreOffice and save it again; do not use a workbook from "
                        "a source you do not trust")
PART_TRUNCATED = Phrase("{what} est tronqué", "{what} is truncated")
PART_METHOD = Phrase("{what} est compressé avec la méthode {method}, qu'Excel n'écrit jamais",
                     "{what} is compressed with method {method}, which Excel never writes")
PART_BAD_DATA = Phrase("{what} est endommagé (ses données compressées sont invalides)",
                       "{what} is damaged (its compressed data is invalid)")
PART_NO_END = Phrase("{what} est tronqué (ses données compressées ne finissent pas)",
                     "{what} is truncated (its compressed data does not end)")
STRINGS_NOT_WELL_FORMED = Phrase("la table des textes n'est pas du XML bien formé ({cause})",
                                 "the shared strings are not well-formed XML ({cause})")
NO_SHEETS_ELEMENT = Phrase("la partie du classeur n'a pas d'élément <sheets>",
                           "the workbook part has no <sheets> element")
DONE_SENT = Phrase("{messages} envoyés ({place}){tasks}", "{messages} sent (in {place}){tasks}",
                   fr_one="{messages} envoyé ({place}){tasks}")
DONE_FILED = Phrase("{messages} classés comme simulation ({place}){tasks}",
                    "{messages} filed as a simulation (in {place}){tasks}",
                    fr_one="{messages} classé comme simulation ({place}){tasks}")
DONE_TASKS = Phrase(" et {tasks} créées", " and {tasks} created", fr_one=" et {tasks} créée")
OUTBOX_FULL = Phrase("le disque du dossier d'envoi est plein ({cause} : {folder})",
                     "the outbox disk is full ({cause}: {folder})")
OUTBOX_FULL_FIX = Phrase("libérez de la place sur ce disque (ou choisissez un autre dossier avec `--outbox`) et "
                         "relancez : les messages non envoyés sont planifiés de nouveau, et aucun n'est jamais "
                         "envoyé deux fois",
                         "free some space on that disk (or choose another folder with --outbox) and run again: "
                         "the messages not sent are planned again, and none is ever sent twice")
RUN_HOLDER = Phrase(" : processus {pid} sur {host} (lancé le {started})", ": process {pid} on {host} (started {started})")
# --- s18-gcs ---
GCS_BAD_URL = Phrase("{url} n'est pas l'adresse d'un classeur dans Cloud Storage",
                     "{url} is not the address of a workbook in Cloud Storage")
GCS_BAD_URL_FIX = Phrase("écrivez gs://<bucket>/<dossier>/<classeur>.xlsx (un fichier .xlsx ou .xlsm)",
                         "write gs://<bucket>/<folder>/<workbook>.xlsx (an .xlsx or .xlsm file)")
GCS_NOT_FOUND = Phrase("le classeur {url} n'existe pas dans Cloud Storage (ni cet objet, ou pas de bucket {bucket})",
                       "the workbook {url} does not exist in Cloud Storage (no such object, or no bucket {bucket})")
GCS_NOT_FOUND_FIX = Phrase("vérifiez le nom avec `gcloud storage ls gs://{bucket}/`, ou déposez-y le classeur "
                           "avec `gcloud storage cp classeur.xlsx {url}`",
                           "check the name with `gcloud storage ls gs://{bucket}/`, or put the workbook there "
                           "with `gcloud storage cp book.xlsx {url}`")
GCS_FORBIDDEN = Phrase("accès refusé au classeur {url} ({cause})", "access to the workbook {url} is denied ({cause})")
GCS_FORBIDDEN_FIX = Phrase("donnez au compte qui exécute relance le rôle roles/storage.objectUser sur le bucket : "
                           "`gcloud storage buckets add-iam-policy-binding gs://{bucket} "
                           "--member=serviceAccount:<compte> --role=roles/storage.objectUser`",
                           "give the account that runs relance the role roles/storage.objectUser on the bucket: "
                           "`gcloud storage buckets add-iam-policy-binding gs://{bucket} "
                           "--member=serviceAccount:<account> --role=roles/storage.objectUser`")
GCS_UNREACHABLE = Phrase("Cloud Storage ne répond pas pour le classeur {url} ({cause})",
                         "Cloud Storage does not answer for the workbook {url} ({cause})")
GCS_UNREACHABLE_FIX = Phrase("relancez plus tard : relance a déjà réessayé plusieurs fois, et rien n'a été envoyé "
                             "ni écrit",
                             "run again later: relance has already retried several times, and nothing was sent "
                             "or written")
GCS_NOT_SAVED = Phrase("le classeur {url} n'a pas pu être enregistré dans Cloud Storage ({cause})",
                       "the workbook {url} could not be saved to Cloud Storage ({cause})")
GCS_NOT_SAVED_FIX = Phrase("relancez plus tard : la version en ligne n'a pas été écrasée, et rien n'est jamais "
                           "envoyé deux fois",
                           "run again later: the version online was not overwritten, and nothing is ever sent "
                           "twice")
GCS_CHANGED = Phrase("le classeur {url} a été modifié par quelqu'un d'autre depuis que relance l'a lu "
                     "(génération {read}, maintenant {live}) : rien n'a été écrasé",
                     "the workbook {url} was changed by someone else since relance read it "
                     "(generation {read}, now {live}): nothing was overwritten")
GCS_CHANGED_FIX = Phrase("relancez : relance relira la nouvelle version ; ce qui n'a pas été enregistré n'a pas été "
                         "envoyé, et rien n'est jamais envoyé deux fois",
                         "run again: relance will read the new version; what was not saved was not sent, and "
                         "nothing is ever sent twice")
GCS_LOCKED = Phrase("une autre exécution de relance utilise le classeur {url}{holder} ; son bail court jusqu'au "
                    "{expires}",
                    "another relance run is using the workbook {url}{holder}; its lease runs until {expires}")
GCS_LOCKED_FIX = Phrase("attendez qu'elle se termine ; si elle s'est arrêtée, son bail {lock} expire le {expires} "
                        "et l'exécution suivante le reprend",
                        "wait for it to finish; if it stopped, its lease {lock} expires at {expires} and the "
                        "next run takes it over")
GCS_HOLDER = Phrase(" (processus {pid} sur {host}, lancé le {started})", " (process {pid} on {host}, started {started})")
GCS_LEASE_LOST = Phrase("le bail d'exécution {lock} a été repris par une autre exécution : relance n'écrit plus "
                        "dans {url}",
                        "the run lease {lock} was taken over by another run: relance no longer writes to {url}")
GCS_NO_CREDENTIALS = Phrase("aucun identifiant Google Cloud pour ouvrir le classeur {url} ({cause})",
                            "no Google Cloud credentials to open the workbook {url} ({cause})")
GCS_NO_CREDENTIALS_FIX = Phrase("sur un poste : `gcloud auth application-default login` ; dans Cloud Functions : le "
                                "compte de service de la fonction, avec le rôle roles/storage.objectUser sur le "
                                "bucket {bucket}",
                                "on a computer: `gcloud auth application-default login`; in Cloud Functions: the "
                                "function's service account, with the role roles/storage.objectUser on the "
                                "bucket {bucket}")
GCS_MISSING_LIBRARY = Phrase("la bibliothèque google-cloud-storage manque pour ouvrir le classeur {url}",
                             "the google-cloud-storage library is missing to open the workbook {url}")
GCS_MISSING_LIBRARY_FIX = Phrase("installez-la : `pip install 'relance[cloud]'`", "install it: `pip install 'relance[cloud]'`")
GCS_TOO_LARGE = Phrase("le classeur {url} pèse {size} octets, plus que les {limit} que relance télécharge",
                       "the workbook {url} weighs {size} bytes, more than the {limit} relance downloads")
GCS_INIT_LOCAL = Phrase("`relance init` écrit un classeur sur ce poste, pas directement dans Cloud Storage ({url})",
                        "`relance init` writes a workbook on this computer, not straight into Cloud Storage ({url})")
GCS_INIT_LOCAL_FIX = Phrase("écrivez-le ici, puis copiez-le : `relance init relances.xlsx` et "
                            "`gcloud storage cp relances.xlsx {url}`",
                            "write it here, then copy it: `relance init relances.xlsx` and "
                            "`gcloud storage cp relances.xlsx {url}`")

# --- s18-mailjet ---
HELD_BACK = Phrase(
    "{messages} retenus par le plafond journalier de {cap} (envoyés aujourd'hui : {used}) : ils partiront "
    "au prochain envoi, les plus en retard d'abord.",
    "{messages} held back by the daily cap of {cap} (sent today: {used}): they go with the next run, the "
    "most overdue first.",
    fr_one="{messages} retenu par le plafond journalier de {cap} (envoyés aujourd'hui : {used}) : il partira "
           "au prochain envoi.",
    en_one="{messages} held back by the daily cap of {cap} (sent today: {used}): it goes with the next run.")

# --- s18-events ---
REASON_UNSUBSCRIBED = Phrase("client désabonné (ou relance signalée comme indésirable)",
                             "customer unsubscribed (or reported a reminder as spam)")
REASON_ADDRESS_BOUNCED = Phrase("adresse e-mail invalide (non distribué)", "e-mail address bounced")
HELP_SCHEDULE = Phrase("Affiche la ligne crontab, le minuteur systemd et la commande du Planificateur de tâches "
                       "Windows qui lancent l'exécution quotidienne sur cette machine, à l'heure d'envoi du classeur.",
                       "Print the crontab line, the systemd timer and the Windows Task Scheduler command that run the "
                       "daily job on this machine, at the workbook's send hour.")
HELP_INSTALL = Phrase("Installe aussi la tâche : la ligne crontab (remplacée, jamais en double), ou avec --systemd "
                      "les unités systemd de l'utilisateur.",
                      "Also install it: the crontab line (replaced, never duplicated), or with --systemd the user's "
                      "systemd units.")
HELP_SYSTEMD = Phrase("Avec --install : écrit le minuteur et le service systemd de l'utilisateur au lieu de la "
                      "ligne crontab.",
                      "With --install: write the user's systemd timer and service instead of the crontab line.")
SCHEDULE_INTRO = Phrase("Exécution quotidienne de {book} : {days} à {hour} ({zone}), heure d'envoi de l'onglet {tab}.",
                        "Daily job for {book}: {days} at {hour} ({zone}), the send hour of {tab}.")
SCHEDULE_WEEKDAYS = Phrase("du lundi au vendredi (jours fériés exclus par relance run)",
                           "Monday to Friday (public holidays left out by relance run)")
SCHEDULE_EVERY_DAY = Phrase("tous les jours", "every day")
SCHEDULE_SAME_ZONE = Phrase("Cette machine vit à la même heure ({zone}) : cron et Windows lancent la tâche à {hour}.",
                            "This machine keeps the same time ({zone}): cron and Windows start the job at {hour}.")
SCHEDULE_CONVERTED = Phrase("Cette machine vit à l'heure {machine_zone} : pour cron et Windows, {hour} ({zone}) devient "
                            "{machine_hour}{days_note} ; systemd compte lui-même en {zone}.",
                            "This machine keeps {machine_zone} time: for cron and Windows, {hour} ({zone}) is "
                            "{machine_hour}{days_note}; systemd counts in {zone} itself.")
SCHEDULE_EITHER_HOUR = Phrase("{first} ou {last}", "{first} or {last}")
SCHEDULE_DAYS_SHIFTED = Phrase("(le jour change : {days})", "(the day changes: {days})")
SCHEDULE_DRIFT = Phrase("L'écart entre les deux fuseaux varie dans l'année : {hour} ({zone}) tombe à {hours} "
                        "selon la saison. cron lance la tâche aux deux heures (la seconde exécution du jour n'envoie "
                        "rien de plus, jamais deux fois), Windows à la plus tardive : quelques semaines par an, "
                        "l'envoi y part une heure plus tard.",
                        "The gap between the two zones changes during the year: {hour} ({zone}) falls at {hours} "
                        "depending on the season. cron starts the job at both hours (the day's second run sends "
                        "nothing more, never twice), Windows at the later one: a few weeks a year the reminders "
                        "leave an hour later there.")
SCHEDULE_CRON_TITLE = Phrase("cron (Linux, macOS) : une ligne de « crontab -e »", "cron (Linux, macOS): a line of 'crontab -e'")
SCHEDULE_SYSTEMD_TITLE = Phrase("systemd (Linux) : le service et le minuteur {name}", "systemd (Linux): the service and timer {name}")
SCHEDULE_WINDOWS_TITLE = Phrase("Windows : le Planificateur de tâches (dans une invite de commandes)",
                                "Windows: the Task Scheduler (in a command prompt)")
SCHEDULE_SERVICE_DESCRIPTION = Phrase("relance : exécution quotidienne de {book}", "relance: daily job for {book}")
SCHEDULE_TIMER_DESCRIPTION = Phrase("relance : déclenche l'exécution quotidienne de {book}",
                                    "relance: starts the daily job for {book}")
SCHEDULE_SECRETS = Phrase("Les secrets d'envoi (MAILJET_*, SMTP_*) ne sont pas dans ces lignes : cron et Windows "
                          "les lisent dans l'environnement de l'utilisateur, systemd dans ~/.config/relance/env.",
                          "The sending secrets (MAILJET_*, SMTP_*) are not in these lines: cron and Windows read them "
                          "from the user's environment, systemd from ~/.config/relance/env.")
SCHEDULE_CRON_INSTALLED = Phrase("Ligne ajoutée à la crontab de l'utilisateur : {line}",
                                 "Line added to the user's crontab: {line}")
SCHEDULE_CRON_REPLACED = Phrase("Ligne de ce classeur remplacée dans la crontab de l'utilisateur (aucun doublon) : {line}",
                                "This workbook's line replaced in the user's crontab (no duplicate): {line}")
SCHEDULE_SYSTEMD_INSTALLED = Phrase("Unités écrites : {files}. Activez le minuteur : systemctl --user daemon-reload && "
                                    "systemctl --user enable --now {name}.timer",
                                    "Units written: {files}. Start the timer: systemctl --user daemon-reload && "
                                    "systemctl --user enable --now {name}.timer")
SCHEDULE_NO_CRONTAB = Phrase("impossible de lancer crontab : {error}", "crontab cannot be started: {error}")
SCHEDULE_NO_CRONTAB_FIX = Phrase("installez cron (paquet cron), ou utilisez --install --systemd, ou copiez la ligne "
                                 "affichée avec « crontab -e »",
                                 "install cron (the cron package), or use --install --systemd, or paste the line "
                                 "shown with 'crontab -e'")
SCHEDULE_CRONTAB_REFUSED = Phrase("crontab a refusé la nouvelle table : {error}", "crontab refused the new table: {error}")
SCHEDULE_DAY_NAMES = Phrase("lundi,mardi,mercredi,jeudi,vendredi,samedi,dimanche",
                            "Monday,Tuesday,Wednesday,Thursday,Friday,Saturday,Sunday")

# --- s18-cfo ---
MOST_OVERDUE_IN = Phrase("Clients les plus en retard ({currency})", "Most overdue customers ({currency})")

# --- lead: a save that fails during a run ---
NOT_SAVED_BEFORE = Phrase(
    "le classeur n'a pas pu être enregistré avant l'envoi ({cause}). Rien n'a été envoyé : les lignes de "
    "l'historique sont enregistrées avant que le moindre message parte. Relancez une fois qu'il peut l'être",
    "the workbook could not be saved before sending ({cause}). Nothing was sent: History rows are saved before "
    "any message leaves. Run again once it can be saved")
NOT_SAVED_AFTER = Phrase(
    "le classeur n'a pas pu être enregistré après l'envoi ({cause}). {stop}{done}. L'historique garde les "
    "{rows} lignes de cette exécution « en attente », comme enregistrées avant l'envoi ; les onglets des "
    "tâches, des validations et des anomalies n'ont pas été mis à jour. La prochaine exécution règle ces lignes "
    "d'après la boîte d'envoi : ce qui est parti est confirmé et jamais renvoyé, le reste est planifié de nouveau",
    "the workbook could not be saved after sending ({cause}). {stop}{done}. History keeps this run's {rows} "
    "rows `pending`, as saved before sending; the Taches, A_valider and Anomalies tabs were not updated. The "
    "next run settles those rows from the outbox: what was sent is confirmed and never sent again, the rest is "
    "planned again")
NOT_SAVED_STOP = Phrase("{cause} ; ", "{cause}; ")
NOT_SAVED_HINT = Phrase("vérifiez l'espace disque libre et les droits sur le dossier",
                        "check the free disk space and the permissions")

# --- s18-sheets ---
SHEETS_BAD_ID = Phrase("{text} n'est ni l'identifiant ni l'adresse d'une feuille Google Sheets",
                       "{text} is neither the id nor the address of a Google Sheets spreadsheet")
SHEETS_BAD_ID_FIX = Phrase("écrivez `gsheet:` suivi de l'identifiant (la partie de l'adresse entre /d/ et /edit) "
                           "ou de l'adresse complète de la feuille",
                           "write `gsheet:` followed by the id (the part of the address between /d/ and /edit) "
                           "or the whole address of the spreadsheet")
SHEETS_NO_CREDENTIALS = Phrase("aucun identifiant Google n'a été trouvé ({cause})",
                               "no Google credentials were found ({cause})")
SHEETS_NO_CREDENTIALS_FIX = Phrase("indiquez le fichier de clé d'un compte de service dans "
                                   "GOOGLE_APPLICATION_CREDENTIALS, ou lancez relance sur Google Cloud avec "
                                   "un compte de service (voir docs/google-sheets.md)",
                                   "set GOOGLE_APPLICATION_CREDENTIALS to the key file of a service account, or "
                                   "run relance on Google Cloud with a service account (see docs/google-sheets.md)")
SHEETS_DENIED = Phrase("Google Sheets refuse l'accès à la feuille {sheet} ({cause})",
                       "Google Sheets denies access to spreadsheet {sheet} ({cause})")
SHEETS_DENIED_FIX = Phrase("partagez la feuille avec l'adresse du compte de service ({account}) en tant "
                           "qu'éditeur, puis relancez",
                           "share the spreadsheet with the service account's address ({account}) as an editor, "
                           "then run again")
SHEETS_NOT_FOUND = Phrase("Google Sheets ne connaît pas la feuille {sheet}",
                          "Google Sheets knows no spreadsheet {sheet}")
SHEETS_NOT_FOUND_FIX = Phrase("vérifiez l'identifiant (la partie de l'adresse entre /d/ et /edit) et que la "
                              "feuille est partagée avec le compte de service ({account})",
                              "check the id (the part of the address between /d/ and /edit) and that the "
                              "spreadsheet is shared with the service account ({account})")
SHEETS_REFUSED = Phrase("Google Sheets a refusé la requête ({cause})",
                        "Google Sheets refused the request ({cause})")
SHEETS_GAVE_UP = Phrase("Google Sheets n'a pas répondu après {attempts} essais ({cause})",
                        "Google Sheets did not answer after {attempts} tries ({cause})")
SHEETS_GAVE_UP_FIX = Phrase("relancez dans quelques minutes : le quota de Google est de 60 requêtes par minute "
                            "et par compte, et aucune relance n'est jamais envoyée deux fois",
                            "run again in a few minutes: Google's quota is 60 requests a minute per account, "
                            "and no reminder is ever sent twice")
SHEETS_ROWS_LOST = Phrase("les lignes écrites par cette exécution dans l'onglet {tab} ne s'y trouvent plus",
                          "the rows this run wrote in tab {tab} are no longer there")
SHEETS_ROWS_LOST_FIX = Phrase("ne supprimez ni ne triez les lignes de cet onglet pendant une exécution ; "
                              "relancez : rien n'est envoyé deux fois",
                              "do not delete or sort that tab's rows while a run works; run again: nothing "
                              "is sent twice")
SHEETS_TAB_APPEARED = Phrase("un onglet {tab} a été créé dans la feuille pendant l'exécution, sans la marque de relance",
                             "a tab {tab} was created in the spreadsheet during the run, without relance's mark")
SHEETS_TAB_APPEARED_FIX = Phrase("renommez cet onglet (relance écrit sous ce nom) puis relancez : rien n'est jamais "
                                 "envoyé deux fois",
                                 "rename that tab (relance writes under that name) and run again: nothing is ever "
                                 "sent twice")
INIT_SHEET_LATER = Phrase("`relance init` ne sait pas encore préparer ce classeur ({kind}) : dans cette version, "
                          "il écrit un fichier .xlsx, ou le modèle vide d'une feuille Google Sheets",
                          "`relance init` cannot prepare this workbook yet ({kind}): in this version it writes an "
                          ".xlsx file, or the empty template of a Google Sheets spreadsheet")
INIT_SHEET_LATER_FIX = Phrase("écrivez le modèle en .xlsx (`relance init modele.xlsx`), importez-le dans Google "
                              "Sheets (Fichier > Importer), puis partagez la feuille avec le compte de service "
                              "(docs/google-sheets.md)",
                              "write the template as .xlsx (`relance init template.xlsx`), import it into Google "
                              "Sheets (File > Import), then share the sheet with the service account "
                              "(docs/google-sheets.md)")
SHEETS_NOT_EMPTY = Phrase("la feuille n'est pas vide (onglets {tabs}) : `relance init` ne prépare qu'une feuille vide",
                          "the spreadsheet is not empty (tabs {tabs}): `relance init` only prepares an empty one")
SHEETS_NOT_EMPTY_FIX = Phrase("créez une nouvelle feuille Google Sheets, partagez-la avec le compte de service, "
                              "puis relancez `relance init gsheet:<identifiant>`",
                              "create a new Google Sheets spreadsheet, share it with the service account, then "
                              "run `relance init gsheet:<id>` again")
# --- s18-appscript ---
DRIVE_UNREACHABLE = Phrase("l'API Google Drive ne répond pas ({cause})",
                           "the Google Drive API does not answer ({cause})")
DRIVE_UNREACHABLE_FIX = Phrase("réessayez dans quelques minutes", "try again in a few minutes")
DRIVE_NOT_SHARED = Phrase("le compte de service ne voit pas la feuille {id} dans Google Drive",
                          "the service account cannot see the spreadsheet {id} in Google Drive")
DRIVE_NOT_SHARED_FIX = Phrase("partagez la feuille avec l'adresse du compte de service, comme éditeur "
                              "(docs/google-sheets.md)",
                              "share the spreadsheet with the service account's address, as an editor "
                              "(docs/google-sheets.md)")
DRIVE_DISABLED = Phrase("l'API Google Drive n'est pas activée dans le projet ({cause})",
                        "the Google Drive API is not enabled in the project ({cause})")
DRIVE_DISABLED_FIX = Phrase("activez-la : console Google Cloud, API et services, Bibliothèque, Google Drive API",
                            "enable it: Google Cloud console, APIs & Services, Library, Google Drive API")
DRIVE_REFUSED = Phrase("l'API Google Drive a refusé la demande ({status} : {cause})",
                       "the Google Drive API refused the request ({status}: {cause})")
DRIVE_REFUSED_FIX = Phrase("vérifiez que la feuille est partagée avec le compte de service comme éditeur, puis "
                           "réessayez (docs/google-sheets.md)",
                           "check that the spreadsheet is shared with the service account as an editor, then "
                           "try again (docs/google-sheets.md)")
HELP_INIT_SHARE = Phrase("Avec gsheet:new : l'adresse à qui partager la nouvelle feuille, comme éditeur "
                         "(répétable).",
                         "With gsheet:new: the address to share the new spreadsheet with, as editor (repeatable).")
INIT_SHARE_NEEDED = Phrase("`relance init gsheet:new` créerait une feuille que seul le compte de service peut ouvrir",
                           "`relance init gsheet:new` would create a spreadsheet only the service account can open")
INIT_SHARE_NEEDED_FIX = Phrase("indiquez qui doit l'ouvrir : `relance init gsheet:new --share vous@exemple.fr`",
                               "say who is to open it: `relance init gsheet:new --share you@example.com`")
INIT_SHARE_ONLY_NEW = Phrase("--share ne sert qu'à partager une feuille que `relance init gsheet:new` crée",
                             "--share only shares a spreadsheet that `relance init gsheet:new` creates")
INIT_SHARE_ONLY_NEW_FIX = Phrase("partagez vous-même une feuille existante (bouton Partager de Google Sheets)",
                                 "share an existing spreadsheet yourself (the Share button of Google Sheets)")
INIT_SHEET_TITLE = Phrase("Relances", "Reminders")
INIT_SHEET_CREATED = Phrase("Feuille créée et partagée avec {emails} : {url}",
                            "Created the spreadsheet, shared with {emails}: {url}")
SHEETS_CREATE_REFUSED = Phrase("Google a refusé de créer la feuille ({cause})",
                               "Google refused to create the spreadsheet ({cause})")
SHEETS_CREATE_REFUSED_FIX = Phrase("créez-la vous-même dans Google Sheets, partagez-la avec le compte de service "
                                   "comme éditeur, puis lancez `relance init gsheet:<identifiant>`",
                                   "create it yourself in Google Sheets, share it with the service account as an "
                                   "editor, then run `relance init gsheet:<id>`")

# --- s18-ribbon ---
EXCEL_NOT_HERE = Phrase("Excel n'est pas disponible sur cette machine ({system}) : un classeur `excel:` se lit "
                        "dans un Excel ouvert, sous Windows ou macOS",
                        "Excel is not available on this machine ({system}): an `excel:` workbook is read from "
                        "a running Excel, on Windows or macOS")
EXCEL_NOT_HERE_FIX = Phrase("ici, passez le fichier lui-même (`relance run classeur.xlsx`) ; sous Windows ou macOS, "
                            "installez relance avec `pip install relance[excel]` et ouvrez le classeur dans Excel "
                            "(docs/excel.md)",
                            "here, give the file itself (`relance run book.xlsx`); on Windows or macOS, install "
                            "relance with `pip install relance[excel]` and open the workbook in Excel "
                            "(docs/excel.md)")
EXCEL_NO_BOOK = Phrase("aucun classeur {name} n'est ouvert dans Excel ({cause})",
                       "no workbook {name} is open in Excel ({cause})")
EXCEL_NO_BOOK_FIX = Phrase("ouvrez le classeur dans Excel, puis relancez avec `excel:` (le classeur actif), "
                           "`excel:Nom.xlsx` ou `excel:C:\\chemin\\Nom.xlsx`",
                           "open the workbook in Excel, then run again with `excel:` (the active workbook), "
                           "`excel:Name.xlsx` or `excel:C:\\path\\Name.xlsx`")
EXCEL_FAILED = Phrase("Excel a refusé l'opération sur le classeur {name} : {cause}",
                      "Excel refused the operation on workbook {name}: {cause}")
EXCEL_FAILED_FIX = Phrase("fermez toute boîte de dialogue ouverte dans Excel, quittez le mode édition d'une cellule "
                          "(Échap), ôtez la protection du classeur, puis relancez : rien n'est envoyé deux fois",
                          "close any dialog open in Excel, leave a cell's edit mode (Esc), unprotect the workbook, "
                          "then run again: nothing is sent twice")
EXCEL_USER_TAB = Phrase("l'onglet {tab} du classeur {name} est le vôtre (il ne porte pas la marque de relance) : "
                        "relance ne l'écrase pas",
                        "tab {tab} of workbook {name} is yours (it has no relance mark): relance does not "
                        "overwrite it")
EXCEL_USER_TAB_FIX = Phrase("renommez votre onglet, puis relancez : relance créera le sien",
                            "rename your tab, then run again: relance will create its own")
EXCEL_RUN_LOCKED = Phrase("une autre exécution de relance travaille déjà sur le classeur {name}",
                          "another relance run is already working on workbook {name}")
EXCEL_RUN_LOCKED_FIX = Phrase("attendez qu'elle se termine (la barre d'état d'Excel la suit), puis recommencez ; "
                              "le verrou {lock} est libéré dès qu'elle s'arrête, même en cas de plantage",
                              "wait for it to finish (Excel's status bar follows it), then try again; the lock "
                              "{lock} is released as soon as it stops, even if it crashes")
RIBBON_WORKING = Phrase("relance : {step}…", "relance: {step}…")
RIBBON_STEP_READING = Phrase("lecture du classeur", "reading the workbook")
RIBBON_STEP_CHECKING = Phrase("vérification", "checking")
RIBBON_STEP_PLANNING = Phrase("préparation des relances", "planning the reminders")
RIBBON_STEP_SENDING = Phrase("envoi {done}/{total}", "sending {done}/{total}")
RIBBON_STEP_DASHBOARD = Phrase("tableau de bord", "dashboard")
RIBBON_STEP_AGING = Phrase("recalcul des retards", "recalculating the aging")
RIBBON_TITLE = Phrase("Relance", "Relance")
RIBBON_CHECK_OK = Phrase("Classeur vérifié : {customers}, {documents}, {payments}. Aucun problème.",
                         "Workbook checked: {customers}, {documents}, {payments}. No problem.")
RIBBON_CHECK_FOUND = Phrase("Classeur vérifié : {customers}, {documents}, {payments}. {errors}, {warnings} : "
                            "voir l'onglet {tab}. Premier : {first}",
                            "Workbook checked: {customers}, {documents}, {payments}. {errors}, {warnings}: "
                            "see tab {tab}. First: {first}")
RIBBON_PREVIEW_DONE = Phrase("Aperçu au {day} : à envoyer, {messages} ; rien n'a été envoyé. La liste est dans "
                             "l'onglet {tab} ; cochez-y les validations demandées.",
                             "Preview for {day}: {messages} to send; nothing was sent. The list is in tab {tab}; "
                             "tick the approvals asked for there.")
RIBBON_SENT = Phrase("Envoi terminé : {sent} sur {planned} prévus ({failed} en échec), dans {place}. "
                     "L'historique est dans l'onglet {tab}.",
                     "Sending done: {sent} of {planned} planned ({failed} failed), filed in {place}. "
                     "History is in tab {tab}.")
RIBBON_DASHBOARD_DONE = Phrase("Tableau de bord mis à jour au {day} (onglet {tab}).",
                               "Dashboard updated for {day} (tab {tab}).")
RIBBON_AGING_DONE = Phrase("Retards recalculés au {day} : {open} ouverts dont {past_due} échus.",
                           "Aging recalculated for {day}: {open} open, {past_due} past due.")
RIBBON_HELP = Phrase("Relance planifie et envoie vos relances depuis ce classeur.\n"
                     "• Recalculer les retards : met à jour les colonnes RELANCE_… et le total échu.\n"
                     "• Aperçu des relances : écrit le plan dans l'onglet {plan}, n'envoie rien.\n"
                     "• Envoyer maintenant : envoie ce qui est dû, jamais deux fois.\n"
                     "• Tableau de bord : reconstruit l'onglet {dashboard}.\n"
                     "• Vérifier le classeur : liste les lignes à corriger dans l'onglet {anomalies}.\n"
                     "Documentation : docs/excel.md",
                     "Relance plans and sends your reminders from this workbook.\n"
                     "• Refresh aging: updates the RELANCE_… columns and the past-due total.\n"
                     "• Preview reminders: writes the plan in tab {plan}, sends nothing.\n"
                     "• Send now: sends what is due, never twice.\n"
                     "• Update dashboard: rebuilds tab {dashboard}.\n"
                     "• Check workbook: lists the rows to fix in tab {anomalies}.\n"
                     "Documentation: docs/excel.md")
RIBBON_FAILED = Phrase("relance n'a pas pu terminer : {problem}\n\n→ {fix}",
                       "relance could not finish: {problem}\n\n→ {fix}")
RIBBON_BUG = Phrase("relance s'est arrêté sur une erreur inattendue ({cause}) ; rien n'a été envoyé deux fois",
                    "relance stopped on an unexpected error ({cause}); nothing was sent twice")
ADDIN_NO_EXCEL = Phrase("Excel n'existe pas sur cette machine ({system}) : le complément Relance ne s'installe "
                        "que sous Windows ou macOS",
                        "Excel does not exist on this machine ({system}): the Relance add-in installs only on "
                        "Windows or macOS")
ADDIN_NO_EXCEL_FIX = Phrase("sur le poste Windows ou Mac de l'utilisateur : `pip install relance[excel]`, "
                            "`python addin/build.py`, puis `relance addin install` (docs/excel.md) ; ici, "
                            "`relance run classeur.xlsx` fait le même travail sur le fichier",
                            "on the user's Windows or Mac: `pip install relance[excel]`, `python addin/build.py`, "
                            "then `relance addin install` (docs/excel.md); here, `relance run book.xlsx` does the "
                            "same work on the file")
ADDIN_MISSING = Phrase("le complément {path} n'existe pas", "add-in {path} does not exist")
ADDIN_MISSING_FIX = Phrase("construisez-le d'abord : `python addin/build.py` (docs/excel.md)",
                           "build it first: `python addin/build.py` (docs/excel.md)")
ADDIN_INSTALLED = Phrase("Complément copié dans {target} ; configuration écrite dans {config} (interpréteur "
                         "{python}, module des fonctions {udfs}). Redémarrez Excel.",
                         "Add-in copied to {target}; configuration written to {config} (interpreter {python}, "
                         "function module {udfs}). Restart Excel.")
HELP_ADDIN = Phrase("Installe le complément Excel Relance (ruban et fonctions) sous Windows ou macOS.",
                    "Install the Relance Excel add-in (ribbon and functions) on Windows or macOS.")
HELP_ADDIN_ACTION = Phrase("install : copie le .xlam dans le dossier de démarrage d'Excel et écrit sa configuration.",
                           "install: copy the .xlam into Excel's startup folder and write its configuration.")
HELP_ADDIN_FILE = Phrase("Le complément à installer (par défaut : addin/dist/relance.xlam).",
                         "The add-in to install (default: addin/dist/relance.xlam).")
