"""Catalog: anomalies (see relance.engine.catalog). Module-level Phrase constants only.

Every problem and every fix of the Anomalies tab and of `relance check`. A problem is said of the
cell's value, so it starts with its verb ("n'est pas une date réelle", "is not a real date"); a fix
is an instruction ("corrigez le jour", "correct the day"). Tab, column and setting names are
arguments, spelt as the workbook spells them; so are the values. The codes (R0xx…) are listed
with their texts in docs/anomalies.md.
"""

from __future__ import annotations

from relance.engine.i18n import Phrase

__all__ = ["Phrase"]

# --------------------------------------------------------------------------- shared pieces

#: A sentence, then what relance did about it.
THEN = Phrase("{first} ; {then}", "{first}; {then}")
#: A place in the workbook without a column: "Factures, ligne 3".
AT_ROW = Phrase("{tab}, ligne {row}", "{tab} row {row}")
#: One anomaly on one line (`relance check`, logs): place, value, problem and fix.
ANOMALY_LINE = Phrase("{place} :{value} {problem} ; {hint}", "{place}:{value} {problem}; {hint}")
#: The cell's value inside ANOMALY_LINE (with its leading space).
LINE_VALUE = Phrase(" « {value} »", " '{value}'")
BLANK = Phrase("est vide", "is blank")
ROW_SKIPPED = Phrase("{problem} ; la ligne a été ignorée", "{problem}; the row was skipped")
ROW_IGNORED = Phrase("{problem} ; la ligne a été ignorée", "{problem}; the row was ignored")
ONE_OF = Phrase("utilisez l'une des valeurs suivantes : {choices}", "use one of: {choices}")
NO_NAME = Phrase("(sans nom)", "(no name)")
LEGAL_MAXIMUM = Phrase(
    "dépasse le délai légal maximal (60 jours, ou 45 jours fin de mois, art. L441-10 du Code de commerce)",
    "exceeds the legal maximum (60 days, or 45 days end of month, C. com. L441-10)")
TERMS_HINT = Phrase("écrivez le délai sous la forme 30, « 60 jours », « 45 FDM » ou « 30 jours fin de mois »",
                    "write terms as 30, '60 jours', '45 FDM' or '30 jours fin de mois'")
CORRECT_INVOICE = Phrase("corrigez le numéro de facture", "correct the invoice number")
CORRECT_CUSTOMER = Phrase("corrigez le code client", "correct the customer code")
MORE_DECIMALS = Phrase("a plus de décimales que {currency} n'en admet ; {rounded} a été retenu",
                       "has more decimals than {currency} allows; {rounded} was used")
ROUND_TO_CENTS = Phrase("arrondissez le montant au centime", "round the amount to cents")
NEGATIVE = Phrase("est négatif", "is negative")

# --------------------------------------------------------------------------- cells (engine/cells.py)

JANUARY = Phrase("janvier", "January")
FEBRUARY = Phrase("février", "February")
MARCH = Phrase("mars", "March")
APRIL = Phrase("avril", "April")
MAY = Phrase("mai", "May")
JUNE = Phrase("juin", "June")
JULY = Phrase("juillet", "July")
AUGUST = Phrase("août", "August")
SEPTEMBER = Phrase("septembre", "September")
OCTOBER = Phrase("octobre", "October")
NOVEMBER = Phrase("novembre", "November")
DECEMBER = Phrase("décembre", "December")

DATE_HINT = Phrase("écrivez la date sous la forme 28/02/2025 (ou AAAA-MM-JJ), ou saisissez-la dans une "
                   "cellule au format date",
                   "write it as 2025-02-28 (ISO) or 28/02/2025, or make it a real date cell")
RANGE_HINT = Phrase("vérifiez l'année : relance lit les dates de {first} à {last} (par exemple 28/02/2025)",
                    "check the year: relance reads dates from {first} to {last} (e.g. 2025-02-28)")
YEAR_OUT_OF_RANGE = Phrase("est hors limites (année {year} ; relance lit les années {first} à {last})",
                           "is out of range (year {year}; relance reads {first} to {last})")
NOT_A_REAL_DAY = Phrase("n'est pas une date réelle ({month} {year} compte {last} jours)",
                        "is not a real date ({month} {year} has {last} days)")
CORRECT_DAY = Phrase("corrigez le jour, par exemple {last:02d}/{month:02d}/{year:04d}",
                     "correct the day, e.g. {year:04d}-{month:02d}-{last:02d}")
NO_SUCH_MONTH_DATE = Phrase("n'est pas une date réelle (il n'y a pas de mois {month})",
                            "is not a real date (no month {month})")
NOT_A_DATE = Phrase("n'est pas une date", "is not a date")
NUMBER_NOT_DATE = Phrase("est un nombre, pas une date", "is a number, not a date")
SERIAL_OUT_OF_RANGE = Phrase(
    "est un nombre, pas une date (lu comme une date Excel, ce serait le {day}, hors des années que relance lit)",
    "is a number, not a date (as an Excel date it would be {day}, out of the years relance reads)")
AMOUNT_TOO_LARGE = Phrase("est trop grand pour un montant (mille milliards ou plus)",
                          "is too large for an amount (one thousand billion or more)")
AMOUNT_RANGE_HINT = Phrase("vérifiez le montant : relance lit les montants inférieurs à mille milliards (10^12)",
                           "check the amount: relance reads amounts below one thousand billion (10^12)")
NOT_AN_AMOUNT = Phrase("n'est pas un montant", "is not an amount")
AMOUNT_HINT = Phrase("saisissez un nombre, par exemple 1234,56", "enter a number such as 1234.56")
AMOUNT_SEPARATORS_HINT = Phrase("écrivez-le sous la forme 1234,56 ou 1234.56", "write it as 1234,56 or 1234.56")
AMOUNT_TEXT_HINT = Phrase("saisissez un nombre, par exemple 1 234,56 (ou 1234.56)",
                          "enter a number such as 1234.56 (or 1 234,56)")
NOT_A_CURRENCY = Phrase("n'est pas un code de devise ISO 4217", "is not an ISO 4217 currency code")
CURRENCY_HINT = Phrase("utilisez un code tel que EUR, USD, GBP ou CHF", "use a code such as EUR, USD, GBP or CHF")
NOT_YES_OR_NO = Phrase("n'est ni oui ni non", "is neither yes nor no")
YES_OR_NO_HINT = Phrase("écrivez oui ou non, ou cochez la case", "write oui/non (or yes/no), or tick the box")
NOT_A_WHOLE_NUMBER = Phrase("n'est pas un nombre entier", "is not a whole number")
WHOLE_NUMBER_HINT = Phrase("saisissez un nombre entier, par exemple 7 ou -5", "enter a whole number such as 7 or -5")

# --------------------------------------------------------------------------- tabs and headers (engine/table.py)

R000_MISSING_TAB = Phrase("l'onglet « {fr} » (« {en} » en anglais) est introuvable",
                          "tab '{fr}' / '{en}' is missing")
R000_HINT = Phrase("lancez `relance init` pour voir les onglets attendus, ou renommez votre onglet",
                   "run `relance init` to see the expected tabs, or rename your tab")
R001_SECOND_TAB = Phrase("est un deuxième onglet « {read} » ; il a été ignoré",
                         "is a second '{read}' tab; it was ignored")
R001_HINT = Phrase("gardez un seul onglet et renommez ou supprimez « {tab} » (relance a lu « {read} »)",
                   "keep one tab and rename or delete '{tab}' (relance read '{read}')")
R002_SECOND_COLUMN = Phrase("est une deuxième colonne « {column} » ; seule la première est lue",
                            "is a second '{column}' column; only the first one is read")
R002_HINT = Phrase("renommez ou supprimez l'une des deux colonnes", "rename or delete one of the two columns")
R003_NO_COLUMN = Phrase("n'a pas de colonne « {column} », aucune ligne de cet onglet ne peut donc être utilisée",
                        "has no '{column}' column, so no row of this tab can be used")
R003_HINT = Phrase("ajoutez une colonne intitulée « {column} » (ou « {other} ») à la ligne d'en-tête {row}",
                   "add a column headed '{column}' (or '{other}') to the header row {row}")
R004_BLANK_ROW = Phrase("est une ligne vide ; elle a été ignorée", "is a blank row; it was ignored")
R004_HINT = Phrase("supprimez la ligne vide", "delete the empty row")
R005_HEADER_AGAIN = Phrase("répète la ligne d'en-tête ; elle a été ignorée", "repeats the header row; it was ignored")
R005_HINT = Phrase("supprimez cette ligne d'en-tête répétée", "delete this repeated header row")
R006_TAB = Phrase("son onglet « {name} »", "its '{name}' tab")
R006_ARCHIVE = Phrase("ses onglets d'archive « Historique_AAAA »", "its 'Reminder_log_YYYY' (formerly 'History_YYYY') archive tabs")
R006_FOREIGN_TAB = Phrase(
    "est un onglet à vous, or relance écrit {what} sous ce nom (sans tenir compte de la casse ni des accents) ; "
    "relance n'écrase jamais vos onglets : rien n'est envoyé ni écrit tant que celui-ci n'est pas renommé",
    "is your own tab, yet relance writes {what} under this name (case and accents ignored); relance never "
    "overwrites your tabs, so nothing is sent or written until this one is renamed")
R006_HINT = Phrase(
    "renommez votre onglet « {tab} » (par exemple « {example} (perso) ») ; ou, si relance l'a créé et que sa "
    "ligne d'en-tête a été modifiée, rétablissez celle de relance : {header}",
    "rename your tab '{tab}' (for example '{example} (mine)'); or, if relance made it and its header row was "
    "changed, put back relance's header row: {header}")

# --------------------------------------------------------------------------- Factures / Invoices (engine/invoice.py)

R100_NO_NUMBER = Phrase("n'a pas de numéro de facture ; la ligne a été ignorée",
                        "has no invoice number; the row was skipped")
R100_HINT = Phrase("indiquez le numéro de chaque facture", "give every invoice its number")
R101_DUPLICATE = Phrase("est un numéro de facture en double (première occurrence : {first}) ; cette ligne a été ignorée",
                        "is a duplicate invoice number (first at {first}); this row was skipped")
R101_HINT = Phrase("chaque numéro de facture ne doit figurer qu'une fois : supprimez le doublon ou corrigez le numéro",
                   "each invoice number must appear once: delete the duplicate or correct the number")
R102_UNKNOWN_CUSTOMER = Phrase("n'est pas un client de l'onglet {tab} ; la facture a été ignorée",
                               "is not a customer of the {tab} tab; the invoice was skipped")
R102_BLANK = Phrase("est vide ; la facture a été ignorée", "is blank; the invoice was skipped")
R102_HINT = Phrase("ajoutez ce client dans l'onglet {tab}, ou corrigez le code",
                   "add this customer to the {tab} tab, or correct the code")
R105_HINT = Phrase("saisissez le montant TTC", "enter the amount including VAT")
R106_KIND = Phrase("n'est ni une facture ni un avoir ; la ligne a été ignorée",
                   "is neither 'invoice' nor 'credit_note'; the row was skipped")
R106_HINT = Phrase("écrivez facture ou avoir", "write invoice or credit_note (facture or avoir)")
R107_HINT = Phrase("saisissez les avoirs avec un montant positif et le type « avoir »",
                   "enter credit notes with a positive amount and type 'avoir' (credit_note)")
R110_ZERO = Phrase("est nul ; la facture est exclue de la balance âgée, des pénalités et des relances",
                   "is zero; the invoice is left out of aging, penalties and reminders")
R110_HINT = Phrase("saisissez le montant réel, ou supprimez la ligne", "enter the real amount, or delete the row")
R111_STATUS = Phrase("n'est pas un statut connu ; la facture est bloquée (aucune relance) jusqu'à correction",
                     "is not a known status; the invoice is put on hold (no reminder) until corrected")
R111_HINT = Phrase("écrivez ouverte, litige, bloquée ou annulée", "write open, disputed, hold or cancelled")
R112_TERMS = Phrase("n'est pas un délai de paiement ; celui du client est appliqué",
                    "is not a payment term; the customer's terms are used")
R113_BEFORE_ISSUE = Phrase("est antérieure à la date de facture", "is before the invoice date")
R113_HINT = Phrase("vérifiez la date d'échéance", "check the due date")
R114_DUE_LATE = Phrase(
    "tombe {days} jours après la date de facture, au-delà du délai légal maximal (60 jours, ou 45 jours fin de "
    "mois, art. L441-10 du Code de commerce)",
    "is {days} days after the invoice date, beyond the legal maximum (60 days, or 45 days end of month, "
    "C. com. L441-10)")
R114_HINT = Phrase("convenez d'un délai plus court ; la facture est tout de même traitée",
                   "agree shorter terms; the invoice is still processed")
R115_PAID = Phrase("n'est pas un montant réglé utilisable ; il a été ignoré (la facture est traitée comme impayée)",
                   "is not a usable paid amount; it was ignored (the invoice is treated as unpaid)")
R115_HINT = Phrase("saisissez le montant déjà réglé, ou laissez la cellule vide",
                   "enter the amount already paid, or leave it blank")
R116_NOT_AN_INVOICE = Phrase(
    "n'est pas une facture de l'onglet {tab} ; l'avoir est conservé comme crédit non imputé",
    "is not an invoice of the {tab} tab; the credit note is kept as an unapplied credit")
R116_HINT = Phrase("corrigez le numéro de facture, ou laissez la cellule vide pour un crédit non imputé",
                   "correct the invoice number, or leave it blank for an unapplied credit")
R117_OTHER = Phrase(
    "appartient à un autre client ou est dans une autre devise ; l'avoir est conservé comme crédit non imputé",
    "belongs to another customer or currency; the credit note is kept as an unapplied credit")
R117_HINT = Phrase("vérifiez le client, la devise et la facture liée de l'avoir",
                   "check the credit note's customer, currency and linked invoice")
R118_PAID_DISAGREES = Phrase(
    "{column} ne concorde pas avec les lignes de l'onglet {tab} pour {invoice} ({paid}) ; ce sont ces lignes "
    "qui sont retenues",
    "{column} disagrees with the {tab} rows for {invoice} ({paid}); the {tab} rows are used")
R118_HINT = Phrase("videz {column}, ou corrigez-le pour qu'il corresponde aux règlements",
                   "clear {column}, or correct it to match the payments")

# --------------------------------------------------------------------------- Clients / Customers (engine/customer.py)

R200_NO_CODE = Phrase("n'a pas de code client ; la ligne a été ignorée", "has no customer code; the row was skipped")
R200_HINT = Phrase("indiquez pour chaque client un code unique (colonne {column})",
                   "give every customer a unique {column}")
R201_EMAIL = Phrase("n'est pas une adresse e-mail valide ; elle n'est pas utilisée",
                    "is not a valid e-mail address; it is not used")
R201_HINT = Phrase("corrigez l'adresse ; séparez plusieurs adresses par un point-virgule",
                   "correct the address; separate several addresses with ';'")
R202_DUPLICATE = Phrase("est un code client en double (première occurrence : {first}) ; cette ligne a été ignorée",
                        "is a duplicate customer code (first at {first}); this row was skipped")
R202_HINT = Phrase("attribuez un code unique à chaque client, ou fusionnez les deux lignes",
                   "give each customer a unique code, or merge the two rows")
R203_LANGUAGE = Phrase("n'est pas une langue prise en charge ; « {language} » est utilisée",
                       "is not a supported language; '{language}' is used")
R203_HINT = Phrase("écrivez fr ou en", "write fr or en")
NOT_B2B_OR_B2C = Phrase("n'est ni B2B ni B2C", "is neither B2B nor B2C")
TYPE_APPLIED_B2C = Phrase(
    "le type {type} (paramètre {setting} de l'onglet {tab}) a été appliqué ; aucune pénalité de retard ni "
    "indemnité n'est réclamée",
    "{type} ({tab} {setting}) was applied; no late-payment penalty nor indemnity is claimed")
TYPE_APPLIED_B2B = Phrase(
    "le type {type} (paramètre {setting} de l'onglet {tab}) a été appliqué ; les pénalités de retard et "
    "l'indemnité forfaitaire sont réclamées lorsqu'elles sont exigibles",
    "{type} ({tab} {setting}) was applied; late-payment penalties and the fixed indemnity are claimed when due")
TYPE_UNKNOWN = Phrase(
    "le paramètre {setting} de l'onglet {tab} n'est pas renseigné, le type est donc inconnu : aucune pénalité "
    "de retard ni indemnité n'est réclamée dans les messages (le rapport les compte tout de même)",
    "{tab} {setting} is not set, so the type is unknown: no late-payment penalty nor indemnity is claimed in "
    "messages (the report still counts them)")
R204_HINT = Phrase("écrivez B2B ou B2C dans la colonne {column}", "write B2B or B2C in {column}")
R205_OPT_OUT = Phrase("n'est ni oui ni non ; par prudence, le client est traité comme ne souhaitant plus être relancé",
                      "is neither yes nor no; the customer is treated as opted out")
R205_HINT = Phrase("écrivez oui ou non", "write oui or non")
R206_PAUSED = Phrase("{problem} ; les relances de ce client restent suspendues jusqu'à sa correction",
                     "{problem}; reminders to this customer stay paused until it is corrected")
R207_TERMS = Phrase("n'est pas un délai de paiement ; le délai par défaut de l'onglet {tab} est appliqué",
                    "is not a payment term; the {tab} default is used")
R208_HINT = Phrase("convenez d'un délai plus court avec ce client", "agree shorter terms with this customer")

# --------------------------------------------------------------------------- Reglements / Payments (engine/payment.py)

PAYMENT_SKIPPED = Phrase("{problem} ; le règlement a été ignoré", "{problem}; the payment was skipped")
R302_NOT_POSITIVE = Phrase("est vide, nul ou négatif", "is blank, zero or negative")
R302_HINT = Phrase("saisissez le montant reçu (un nombre positif) ; enregistrez les remboursements comme un avoir",
                   "enter the amount received (a positive number); record refunds as a credit note")
R303_NOT_AN_INVOICE = Phrase("n'est pas une facture de l'onglet {tab} ; le règlement a été ignoré",
                             "is not an invoice of the {tab} tab; the payment was skipped")
R303_HINT = Phrase(
    "corrigez le numéro de facture, ou laissez-le vide et remplissez {column} pour imputer le règlement aux "
    "factures les plus anciennes du client",
    "correct the invoice number, or leave it blank and fill {column} to apply it to the customer's oldest invoices")
R304_OTHER_CUSTOMER = Phrase("diffère du client de la facture ({customer}) ; celui de la facture est retenu",
                             "differs from the invoice's customer {customer}; the invoice's is used")
R305_NEITHER = Phrase("n'a ni numéro de facture ni code client ; le règlement a été ignoré",
                      "has neither an invoice number nor a customer code; the payment was skipped")
R305_HINT = Phrase("remplissez {invoice}, ou {customer} pour imputer le règlement aux factures les plus anciennes",
                   "fill {invoice}, or {customer} to apply it to the oldest invoices")
R306_NOT_A_CUSTOMER = Phrase("n'est pas un client de l'onglet {tab} ; le règlement a été ignoré",
                             "is not a customer of the {tab} tab; the payment was skipped")
R308_OTHER_CURRENCY = Phrase(
    "diffère de la devise de la facture ({currency}) ; le règlement a été ignoré (relance ne convertit jamais "
    "les devises)",
    "differs from the invoice's currency {currency}; the payment was skipped (relance never converts currencies)")
R308_HINT = Phrase("enregistrez le montant dans la devise de la facture", "record the amount in the invoice's currency")
R309_HELD = Phrase(
    "ce règlement n'a pas pu être lu (voir l'autre remarque sur cette ligne) : la facture est bloquée (aucune "
    "relance) jusqu'à correction de la ligne",
    "this payment could not be read (see the other remark on this row): the invoice is put on hold (no reminder) "
    "until the row is corrected")
R309_HELD_CUSTOMER = Phrase(
    "ce règlement n'a pas pu être lu (voir l'autre remarque sur cette ligne) : les {n} factures ouvertes de ce "
    "client sont bloquées (aucune relance) jusqu'à correction de la ligne",
    "this payment could not be read (see the other remark on this row): this customer's {n} open invoices are put "
    "on hold (no reminder) until the row is corrected",
    fr_one="ce règlement n'a pas pu être lu (voir l'autre remarque sur cette ligne) : {n} facture ouverte de ce "
    "client est bloquée (aucune relance) jusqu'à correction de la ligne",
    en_one="this payment could not be read (see the other remark on this row): {n} open invoice of this customer is "
    "put on hold (no reminder) until the row is corrected")
R309_HINT = Phrase(
    "corrigez la ligne pour que le règlement soit pris en compte, ou supprimez-la s'il n'y a pas eu de règlement "
    "(un client qui a peut-être payé n'est pas relancé)",
    "correct the row so that the payment counts, or delete it if there was no payment (a customer who may have "
    "paid is not reminded)")

# --------------------------------------------------------------------------- Litiges, Promesses, Taches (engine/pause.py)

R401_NOT_AN_INVOICE = Phrase("n'est pas une facture de l'onglet {tab} ; le litige a été ignoré",
                             "is not an invoice of the {tab} tab; the dispute was ignored")
R402_STATUS = Phrase("n'est pas un statut de litige ; le litige est traité comme ouvert",
                     "is not a dispute status; the dispute is treated as open")
R402_HINT = Phrase("écrivez ouvert ou résolu", "write open or resolved")
DISPUTE_OPEN = Phrase("{problem} ; le litige est traité comme ouvert", "{problem}; the dispute is treated as open")
R411_HINT = Phrase("remplissez {column} (et les factures concernées)", "fill {column} (and the invoices it covers)")
PROMISE_IGNORED = Phrase("{problem} ; la promesse a été ignorée", "{problem}; the promise was ignored")
R412_NOT_AN_INVOICE = Phrase("n'est pas une facture de l'onglet {tab}", "is not an invoice of the {tab} tab")
R414_STATUS = Phrase("n'est pas un statut de promesse ; la promesse est traitée comme en cours",
                     "is not a promise status; the promise is treated as open")
R414_HINT = Phrase("écrivez en cours, tenue ou rompue", "write open, kept or broken")
R415_BROKEN = Phrase(
    "promesse de paiement non tenue : {invoices} toujours impayées au {day} ; les relances reprennent à "
    "l'étape suivante",
    "promise to pay broken: {invoices} still unpaid on {day}; reminders resumed at the next step",
    fr_one="promesse de paiement non tenue : {invoices} toujours impayée au {day} ; les relances reprennent à "
    "l'étape suivante")
R415_HINT = Phrase("une fois noté, indiquez « rompue » dans le statut de la promesse (onglet {tab}), ou "
                   "enregistrez le règlement",
                   "mark the promise 'broken' in {tab} once noted, or record the payment")
R421_OUTCOME = Phrase("n'est pas un résultat d'appel que relance comprend ; il a été ignoré",
                      "is not a call outcome relance understands; it was ignored")
R421_HINT = Phrase("écrivez promesse (avec une date), litige, pas de réponse ou payé",
                   "write promise (with a date), dispute, no answer or paid")
R422_NOT_RECORDED = Phrase("{problem} ; la promesse n'a pas été enregistrée", "{problem}; the promise was not recorded")
R422_HINT = Phrase("écrivez la date de paiement promise, par exemple 15/04/2025",
                   "write the promised payment date, e.g. 2025-04-15")

# --------------------------------------------------------------------------- Scenarios (engine/scenario.py)

R501_CHANNEL = Phrase("n'est pas un canal (scénario {scenario}, étape {step})",
                      "is not a channel (scenario {scenario}, step {step})")
R501_BLANK = Phrase("est vide (scénario {scenario}, étape {step})", "is blank (scenario {scenario}, step {step})")
R502_DUPLICATE = Phrase("est une étape en double du scénario {scenario}", "is a duplicate step of scenario {scenario}")
R502_HINT = Phrase("donnez à chaque étape un nom unique", "give each step a unique name")
R503_SAME_DAY = Phrase("est utilisé par deux étapes {channel} du scénario {scenario}",
                       "is used by two {channel} steps of scenario {scenario}")
R503_HINT = Phrase("donnez à chaque étape son propre décalage (deux étapes peuvent partager un jour sur des canaux "
                   "différents)",
                   "give each step its own offset_days (two steps may share a day on different channels)")
R504_NEGATIVE = Phrase("est un seuil négatif (scénario {scenario}, étape {step})",
                       "is a negative threshold (scenario {scenario}, step {step})")
R504_HINT = Phrase("indiquez 0 ou un seuil positif", "use 0 or a positive min_balance")
R505_NO_TEMPLATE = Phrase("l'étape {step} du scénario {scenario} n'a pas de modèle",
                          "step {step} of scenario {scenario} has no template")
R505_HINT = Phrase("indiquez le modèle de message de cette étape", "name the message template of this step")
R506_NO_STEPS = Phrase("n'a aucune étape", "has no steps")
R506_HINT = Phrase("ajoutez au moins une étape", "add at least one step")
R510_NO_STEP_NAME = Phrase("est vide (scénario {scenario})", "is blank (scenario {scenario})")
R510_STEP_HINT = Phrase("nommez l'étape (un nom unique dans son scénario)", "name the step (unique within its scenario)")
R510_NO_SCENARIO = Phrase("est vide : cette étape n'appartient à aucun scénario ; la ligne a été ignorée",
                          "is blank, so this step belongs to no scenario; the row was ignored")
R510_SCENARIO_HINT = Phrase("écrivez le nom du scénario auquel appartient cette étape",
                            "write the name of the scenario this step belongs to")
R511_HINT = Phrase("saisissez le nombre de jours après l'échéance (négatif avant)",
                   "enter the days after the due date (negative before it)")
R513_ORDER = Phrase("liste ses étapes dans le désordre ({offsets}) ; relance les prend dans l'ordre de {column}",
                    "lists its steps out of order ({offsets}); relance takes them by {column}")
R513_HINT = Phrase("listez les étapes de la plus précoce à la plus tardive",
                   "list the steps from the earliest to the latest")
R514_APPROVAL = Phrase("{problem} ; l'étape {step} du scénario {scenario} attend une validation dans l'onglet {tab}",
                       "{problem}; step {step} of scenario {scenario} waits for approval in {tab}")
R515_NEGATIVE = Phrase("est un écart négatif (scénario {scenario}, étape {step})",
                       "is a negative gap (scenario {scenario}, step {step})")
R515_HINT = Phrase("saisissez un nombre entier de jours, 0 ou plus, ou laissez la cellule vide",
                   "enter a whole number of days, 0 or more, or leave the cell blank")
R515_PRESET = Phrase("n'est pas un nombre entier de jours (min_gap_days, étape {step})",
                     "is not a whole number of days (min_gap_days, step {step})")
R515_PRESET_HINT = Phrase("écrivez un nombre entier de jours, 0 ou plus, ou omettez min_gap_days",
                          "write a whole number of days, 0 or more, or leave min_gap_days out")
SCENARIO_BROKEN = Phrase(
    "{problem} ; le scénario {scenario} n'est pas utilisé et ses clients ne reçoivent aucune relance tant que ce "
    "n'est pas corrigé",
    "{problem}; scenario {scenario} is not used, and its customers get no reminder until this is fixed")
R507_NO_TEMPLATE = Phrase(
    "n'est pas un modèle de message (scénario {scenario}, étape {step}) ; les messages de cette étape ne peuvent "
    "pas être envoyés",
    "is not a message template (scenario {scenario}, step {step}); this step's messages cannot be sent")
R507_HINT = Phrase("indiquez un modèle de scenarios/templates, ou ajoutez-le dans l'onglet {tab}",
                   "name a template of scenarios/templates, or add it in the {tab} tab")

# --------------------------------------------------------------------------- Settings-wide (book.py, position.py, jobs.py)

R094_SCENARIO = Phrase("n'est pas un scénario connu (paramètre {setting})", "is not a known scenario ({setting})")
R095_RATE = Phrase(
    "le taux BCE de {year} (semestre {half}) n'est pas fourni avec cette version ; le dernier taux connu a été "
    "utilisé pour les pénalités",
    "the ECB rate for {year} H{half} is not shipped with this version; the latest known rate was used for penalties")
R095_HINT = Phrase("ajoutez une ligne « {key} » dans l'onglet {tab}, avec le taux en pourcentage",
                   "add a {tab} row '{key}' with the rate in percent")
R095_RATES = Phrase(
    "les taux BCE de {first} (semestre {first_half}) à {last} (semestre {last_half}) ne sont pas fournis avec "
    "cette version ; le taux connu le plus proche a été utilisé pour les pénalités",
    "the ECB rates from {first} H{first_half} to {last} H{last_half} are not shipped with this version; the "
    "nearest known rate was used for penalties")
R095_RATES_HINT = Phrase(
    "vérifiez les dates des factures concernées, ou ajoutez dans l'onglet {tab} des lignes « ecb_rate_AAAA_H1 » "
    "et « ecb_rate_AAAA_H2 » avec les taux en pourcentage",
    "check the dates of the invoices concerned, or add {tab} rows 'ecb_rate_YYYY_H1' / '_H2' with the rates "
    "in percent")
R098_HOLIDAYS = Phrase(
    "n'est pas un calendrier de jours fériés que relance connaît (paramètre {setting}) ; les jours fériés "
    "français ont été utilisés",
    "is not a holiday calendar relance knows ({setting}); French public holidays were used")
R098_HINT = Phrase("écrivez FR, ou FR-57, FR-67, FR-68 pour l'Alsace-Moselle",
                   "write FR, or FR-57, FR-67, FR-68 for Alsace-Moselle")

# --------------------------------------------------------------------------- planning (planner.py, owned tabs)

R601_NO_SCENARIO = Phrase("n'a aucun scénario utilisable ; aucune relance n'est prévue pour ce client",
                          "has no usable scenario; no reminder is planned for this customer")
R601_HINT = Phrase("indiquez un scénario existant, ou corrigez le paramètre {setting} dans l'onglet {tab}",
                   "name an existing scenario, or fix {setting} in {tab}")
R602_UNKNOWN = Phrase("n'est pas un scénario connu ; aucune relance n'est prévue pour ce client",
                      "is not a known scenario; no reminder is planned for this customer")
R603_DROPPED = Phrase("action validée abandonnée : {why} ; rien n'a été envoyé",
                      "approved action dropped: {why}; nothing was sent")
R603_PAID = Phrase("factures {invoices} réglées entre-temps", "invoices {invoices} paid meanwhile",
                   fr_one="facture {invoices} réglée entre-temps", en_one="invoice {invoices} paid meanwhile")
R603_STALE = Phrase("elle n'est plus d'actualité (suspendue, modifiée ou déjà traitée)",
                    "no longer due (paused, changed or already handled)")
R603_HINT = Phrase("rien à faire ; une nouvelle étape sera planifiée dès qu'elle sera exigible",
                   "nothing to do; a new step will be planned if one becomes due")
R620_UNSETTLED = Phrase(
    "laissé « en attente » par une exécution interrompue, et {place} est illisible : impossible de savoir si le "
    "message à {customer} est parti ; il n'est jamais renvoyé tant que la ligne reste en attente",
    "left pending by an interrupted run, and {place} cannot be read to tell whether its message to {customer} "
    "was sent; it is never sent again while pending")
R620_HINT = Phrase(
    "rendez ce dossier de nouveau lisible (la prochaine exécution régularise la ligne), ou écrivez « {failed} » dans "
    "son statut si vous savez que rien n'est parti (la prochaine exécution l'enverra alors)",
    "make that folder readable again (the next run settles the row), or write '{failed}' in its status if you "
    "know it was not sent (then the next run sends it)")

# --------------------------------------------------------------------------- templates (app/executor.py, app/templates.py)

AT_LINE = Phrase(" (ligne {line})", " line {line}")
WHILE_RENDERING = Phrase(" (lors de la génération de {template})", " (while rendering {template})")
R701_SENDING = Phrase("le modèle ne peut pas être généré{line} : {detail} ; ses messages n'ont pas été envoyés",
                      "template cannot be rendered{line}: {detail}; its messages were not sent")
R701_SENDING_HINT = Phrase("corrigez le modèle dans l'onglet {tab} (ou supprimez la ligne qui le remplace)",
                           "fix the template in the {tab} tab (or remove the override)")
R701_CELL = Phrase("ce modèle ne peut pas être généré{line}{rendering} : {detail} ; ses messages ne seraient pas "
                   "envoyés",
                   "this template cannot be rendered{line}{rendering}: {detail}; its messages would not be sent")
R701_SHIPPED = Phrase("le modèle fourni {template} ne peut pas être généré{line}{rendering} : {detail} ; ses "
                      "messages ne seraient pas envoyés",
                      "the shipped template {template} cannot be rendered{line}{rendering}: {detail}; its messages "
                      "would not be sent")
R701_CELL_HINT = Phrase("corrigez le modèle dans cette cellule, ou supprimez la ligne pour utiliser celui fourni "
                        "avec relance",
                        "fix the template in this cell, or delete the row to use the shipped one")
R701_SHIPPED_HINT = Phrase("vérifiez les lignes de l'onglet {tab} qui utilisent ce modèle fourni",
                           "check the {tab} rows that use this shipped template")

# --------------------------------------------------------------------------- CA_mensuel / Sales (engine/sales.py)

MONTH_HINT = Phrase("écrivez le mois sous la forme 2025-03 (AAAA-MM) ou 03/2025, ou saisissez une date",
                    "write the month as 2025-03 (YYYY-MM), or make it a date cell")
NOT_A_MONTH = Phrase("n'est pas un mois", "is not a month")
NO_SUCH_MONTH = Phrase("n'est pas un mois (il n'y a pas de mois {month})", "is not a month (no month {month})")
R803_HINT = Phrase("saisissez le chiffre d'affaires à crédit du mois, TTC", "enter the month's credit sales including VAT")
R804_HINT = Phrase("saisissez le chiffre d'affaires à crédit net du mois (factures moins avoirs), nul ou positif",
                   "enter the month's net credit sales (invoices minus credit notes), zero or more")
R806_SECOND_ROW = Phrase("est une deuxième ligne pour {month} {currency} (première : {first}) ; cette ligne a été "
                         "ignorée",
                         "is a second row for {month} {currency} (first at {first}); this row was skipped")
R806_HINT = Phrase("gardez une ligne par mois et par devise : reportez le total du mois sur la première ligne et "
                   "supprimez celle-ci",
                   "keep one row per month and currency: put the month's total in the first row and delete this one")

# --------------------------------------------------------------------------- template problems (render/messages.py, render/sandbox.py)

TEMPLATE_NOT_FOUND_IN = Phrase("modèle introuvable (langue essayée : {tried})", "template not found (language tried: {tried})")
TEMPLATE_ADD_HINT = Phrase("ajoutez {path} ou une ligne dans l'onglet Modeles", "add {path} or a row in the Templates tab")
TEMPLATE_NOT_FOUND = Phrase("modèle introuvable", "template not found")
TEMPLATE_ADD_FILES_HINT = Phrase("ajoutez les fichiers {path} ou des lignes dans l'onglet Modeles",
                                 "add files {path} or rows in the Templates tab")
INCLUDED_NOT_FOUND = Phrase("modèle « {name} » introuvable", "template '{name}' not found")
SYNTAX_ERROR = Phrase("erreur de syntaxe : {detail}", "syntax error: {detail}")
SYNTAX_HINT = Phrase("vérifiez les balises {{{{ … }}}} et {{% … %}} (chaque if, for ou block a besoin de sa balise "
                     "de fin)",
                     "check the {{{{ … }}}} and {{% … %}} tags (every if/for/block needs its end tag)")
NOT_ALLOWED = Phrase("interdit dans un modèle : {detail}", "not allowed in a template: {detail}")
NOT_ALLOWED_HINT = Phrase("un modèle ne peut lire que les valeurs qui lui sont fournies",
                          "templates may only read the values they are given")
UNDEFINED_VALUE = Phrase("valeur non définie : {detail}", "undefined value: {detail}")
VARIABLES_HINT = Phrase("variables disponibles : {names}", "variables available: {names}")
MESSAGE_TOO_LONG = Phrase("le message ferait {size} caractères, plus que les {limit} autorisés pour un message",
                          "the message would be {size} characters long, more than the {limit} a message may have")
MESSAGE_TOO_LONG_HINT = Phrase("un message énumère ce qui reste à régler ; il lui faut bien moins de texte",
                               "a message lists what is due; it needs far less text")
LIMIT_STEPS = Phrase("arrêté après {count} étapes de calcul (tours de boucle, appels et filtres)",
                     "stopped after {count} steps (loop turns, calls and filters)")
LIMIT_SECONDS = Phrase("arrêté après {seconds} s, le temps accordé à un message",
                       "stopped after {seconds} s, the time a message may take")
LIMIT_PRODUCED = Phrase("arrêté après avoir produit {count} caractères ou éléments (texte écrit et valeurs créées)",
                        "stopped after making {count} characters or items (text written and values made)")
LIMIT_HINT = Phrase("un modèle de message n'a pas besoin d'autant : cherchez des boucles imbriquées, une boucle sur "
                    "range(), ou un texte ou une liste multipliés ou joints de nombreuses fois",
                    "a message template needs far less: look for nested loops, a loop over range(), or a string "
                    "or list multiplied or joined many times")

# --- s18-events ---
R630_BOUNCED = Phrase("l'adresse {address} est invalide : un e-mail du {day} y a été « {status} » ; relance n'y écrit "
                      "plus tant qu'elle figure ici",
                      "the address {address} is invalid: an e-mail of {day} to it was '{status}'; relance writes to it "
                      "no more while it is listed here")
R630_HINT = Phrase("corrigez ou remplacez l'adresse dans l'onglet {tab} (la nouvelle adresse sera utilisée dès la "
                   "prochaine exécution), ou retirez-la",
                   "correct or replace the address in {tab} (the new address is used from the next run), or remove it")
# --- s18-letters ---
LETTER_LEAVES_OUT = Phrase("le paragraphe « {block} » n'écrit pas {what}", "paragraph '{block}' leaves out {what}")
LETTER_LEAVES_OUT_HINT = Phrase("écrivez cette valeur avec {variable} dans ce paragraphe, ou supprimez le bloc pour garder le "
                                "texte fourni",
                                "print it with {variable} in this paragraph, or delete the block to keep the shipped text")
LETTER_UNKNOWN_BLOCKS = Phrase("paragraphes inconnus : {names}", "unknown paragraphs: {names}")
LETTER_BLOCKS_HINT = Phrase("une ligne de ce document ne contient que des {{% block nom %}}…{{% endblock %}} aux noms "
                            "de ses paragraphes : {names}",
                            "a row of this document holds only {{% block name %}}…{{% endblock %}} named after its "
                            "paragraphs: {names}")
WHAT_CLAIMED = Phrase("le montant réclamé ({amount})", "the amount claimed ({amount})")
WHAT_DEADLINE = Phrase("la date limite ({date})", "the deadline ({date})")
WHAT_PRINCIPAL = Phrase("le principal ({amount})", "the principal ({amount})")
WHAT_RATE = Phrase("le taux ({rate})", "the rate ({rate})")
WHAT_INDEMNITY = Phrase("l'indemnité par facture ({amount})", "the indemnity per invoice ({amount})")
R520_DOCUMENT = Phrase("le texte du document {template} ({part}) ne peut pas être utilisé{line} : {detail} ; le "
                       "texte fourni avec relance est utilisé à sa place",
                       "the wording of document {template} ({part}) cannot be used{line}: {detail}; the shipped "
                       "wording is used instead")
R520_HINT = Phrase("corrigez le modèle dans cette cellule, ou supprimez la ligne pour garder le texte fourni",
                   "fix the template in this cell, or delete the row to keep the shipped wording")
HEADER_COLUMNS = Phrase("l'en-tête « {block} » a {found} colonnes au lieu de {columns}",
                        "header '{block}' has {found} columns instead of {columns}")
HEADER_COLUMNS_HINT = Phrase("séparez les noms de colonnes par « ; », un par colonne du fichier",
                             "separate the column names with ';', one per column of the file")
NO_BLOCK = Phrase("pas de bloc « {block} » dans ce modèle", "no block '{block}' in this template")
# --- s18-kill ---
R622_NOT_LISTED_YET = Phrase(
    "laissé « en attente » par une exécution interrompue pendant un envoi par Mailjet, qui ne liste pas encore "
    "de message pour {customer} : Mailjet peut lister un message plusieurs minutes après l'avoir pris. Il n'est "
    "pas renvoyé maintenant ; une prochaine exécution par Mailjet le cherche de nouveau et ne l'envoie que si "
    "Mailjet n'en a toujours aucune trace une fois la ligne plus vieille que MAILJET_LOOKUP_GRACE (30 minutes "
    "par défaut)",
    "left pending by a run interrupted while sending through Mailjet, which does not list a message to "
    "{customer} yet: Mailjet may list a message minutes after taking it. It is not sent again now; a later run "
    "through Mailjet looks it up again and sends it only if Mailjet still has no trace of it once the row is older "
    "than MAILJET_LOOKUP_GRACE (30 minutes by default)")
R622_HINT = Phrase(
    "rien à faire : la prochaine exécution par Mailjet régularise la ligne (ou écrivez « {sent} » ou « {failed} » "
    "dans son statut si vous savez ce qu'il en est)",
    "nothing to do: the next run through Mailjet settles the row (or write '{sent}' or '{failed}' in its status "
    "if you know what became of it)")

# --- s19-approval ---
R603_DONE = Phrase("validation sans objet : cette action a déjà été faite le {day} (historique) ; elle n'est pas refaite",
                   "approval not needed any more: this action was done on {day} (log); it is not done again")
R603_PAUSED = Phrase("factures {invoices} suspendues entre-temps ({why})", "invoices {invoices} paused meanwhile ({why})",
                     fr_one="facture {invoices} suspendue entre-temps ({why})",
                     en_one="invoice {invoices} paused meanwhile ({why})")
R603_WHY_DISPUTED = Phrase("litige", "disputed")
R603_WHY_HOLD = Phrase("mise en attente", "on hold")
R603_WHY_PROMISE = Phrase("promesse de paiement en cours", "promise to pay open")
R603_WHY_CUSTOMER_PAUSED = Phrase("client suspendu", "customer paused")
R603_WHY_OPT_OUT = Phrase("client exclu des relances", "customer opted out of reminders")
R650_CHANGED = Phrase(
    "validation non reportée : cette étape porte maintenant sur les factures {invoices} (validée pour {was}) ; "
    "rien n'a été envoyé",
    "approval not carried over: this step now lists invoices {invoices} (approved for {was}); nothing was sent",
    fr_one="validation non reportée : cette étape porte maintenant sur la facture {invoices} (validée pour {was}) ; "
           "rien n'a été envoyé",
    en_one="approval not carried over: this step now lists invoice {invoices} (approved for {was}); nothing was sent")
R650_HINT = Phrase("si vous êtes d'accord, choisissez « oui » dans la colonne « {column} » de la ligne dont la clé "
                   "est {key}", "if you agree, choose “yes” in the “{column}” column of the row whose key is {key}")
R650_HINT_LATER = Phrase(
    "la nouvelle ligne paraîtra dans cet onglet quand l'étape sera due (après le délai depuis le dernier message "
    "au client) : choisissez-y « oui » si vous êtes d'accord",
    "its new row appears in this tab when the step is due (after the gap since the customer's last message): "
    "choose “yes” there if you agree")
