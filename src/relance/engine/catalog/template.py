"""Catalog: the template `relance init` writes (see relance.engine.catalog). Module-level Phrase constants only.

`NOTE_<TAB>_<COLUMN>` is the note on each input column's header (workbook/starter.py reads it by
the contract's tab and column keys; tests/test_starter.py checks that every column has one): what
goes there and an example. `HOWTO_*` make the instructions tab, the first of the template.
"""

from __future__ import annotations

from relance.engine.i18n import Phrase

# --------------------------------------------------------------------------- Factures / Invoices

NOTE_INVOICES_INVOICE_ID = Phrase(
    "Numéro de la facture ou de l'avoir, unique dans l'onglet. Ex. F2026-0142",
    "Number of the invoice or credit note, unique in the tab. E.g. F2026-0142")
NOTE_INVOICES_CUSTOMER_ID = Phrase(
    "Code du client, tel qu'il figure dans l'onglet Clients. Ex. C0042",
    "The customer's code, as in the Customers tab. E.g. C0042")
NOTE_INVOICES_ISSUE_DATE = Phrase(
    "Date d'émission de la facture. Ex. 15/03/2026",
    "Date the invoice was issued. E.g. 15/03/2026")
NOTE_INVOICES_DUE_DATE = Phrase(
    "Date d'échéance imprimée sur la facture. Vide : calculée avec le délai de paiement. Ex. 14/04/2026",
    "Due date printed on the invoice. Blank: computed from the payment terms. E.g. 14/04/2026")
NOTE_INVOICES_AMOUNT = Phrase(
    "Montant TTC de la facture, positif, même pour un avoir. Ex. 1\u00a0138,46",
    "Amount including VAT, positive, even for a credit note. E.g. 1,138.46")
NOTE_INVOICES_CURRENCY = Phrase(
    "Code ISO de la devise. Vide : la devise par défaut des Paramètres. Ex. EUR",
    "ISO currency code. Blank: the Settings default currency. E.g. EUR")
NOTE_INVOICES_KIND = Phrase(
    "facture ou avoir. Vide : facture",
    "invoice or credit note. Blank: invoice")
NOTE_INVOICES_APPLIES_TO = Phrase(
    "Pour un avoir : le numéro de la facture qu'il réduit. Ex. F2026-0142",
    "For a credit note: the number of the invoice it reduces. E.g. F2026-0142")
NOTE_INVOICES_PAID_AMOUNT = Phrase(
    "Montant déjà réglé, si vous ne tenez pas l'onglet Reglements. Ex. 500",
    "Amount already paid, if you do not keep the Payments tab. E.g. 500")
NOTE_INVOICES_PAYMENT_TERMS = Phrase(
    "Délai propre à cette facture. Vide : celui du client. Ex. 30 jours, 45 jours fin de mois",
    "Terms of this invoice only. Blank: the customer's. E.g. 30 days, 45 days end of month")
NOTE_INVOICES_STATUS = Phrase(
    "ouverte, litige, bloquée (ne pas relancer) ou annulée. Vide : ouverte",
    "open, disputed, on hold (do not remind) or cancelled. Blank: open")
NOTE_INVOICES_PDF_URL = Phrase(
    "Lien vers le PDF de la facture, repris dans les relances. Ex. https://factures.exemple.fr/F2026-0142.pdf",
    "Link to the invoice's PDF, given in reminders. E.g. https://invoices.example.com/F2026-0142.pdf")
NOTE_INVOICES_PAYMENT_URL = Phrase(
    "Lien de paiement en ligne de cette facture. Ex. https://payer.exemple.fr/F2026-0142",
    "Online payment link of this invoice. E.g. https://pay.example.com/F2026-0142")

# --------------------------------------------------------------------------- Clients / Customers

NOTE_CUSTOMERS_CUSTOMER_ID = Phrase(
    "Code unique du client, repris dans les onglets Factures et Reglements. Ex. C0042",
    "The customer's unique code, used in the Invoices and Payments tabs. E.g. C0042")
NOTE_CUSTOMERS_NAME = Phrase(
    "Raison sociale (ou nom d'un particulier). Ex. Boulangerie Martin SARL",
    "Company name (or a consumer's name). E.g. Martin Bakery Ltd")
NOTE_CUSTOMERS_EMAIL = Phrase(
    "Adresse e-mail où partent les relances. Ex. compta@martin.fr",
    "E-mail address reminders go to. E.g. accounts@martin.co.uk")
NOTE_CUSTOMERS_CC = Phrase(
    "Adresses en copie, séparées par des virgules. Ex. direction@martin.fr",
    "Addresses in copy, separated by commas. E.g. director@martin.co.uk")
NOTE_CUSTOMERS_PHONE = Phrase(
    "Téléphone pour les SMS et les appels. Ex. 06 12 34 56 78",
    "Phone for text messages and calls. E.g. 07700 900123")
NOTE_CUSTOMERS_LANGUAGE = Phrase(
    "Langue des messages : fr ou en. Vide : la langue des Paramètres",
    "Language of the messages: fr or en. Blank: the Settings language")
NOTE_CUSTOMERS_CUSTOMER_TYPE = Phrase(
    "B2B (entreprise : pénalités et indemnité de 40 € réclamées) ou B2C (particulier : jamais)",
    "B2B (business: penalties and the 40 € indemnity are claimed) or B2C (consumer: never)")
NOTE_CUSTOMERS_SEGMENT = Phrase(
    "Segment libre ; un scénario du même nom s'applique. Ex. grands_comptes",
    "Free segment; a scenario of the same name applies. E.g. grands_comptes")
NOTE_CUSTOMERS_SCENARIO = Phrase(
    "Scénario de relance de ce client. Vide : celui des Paramètres. Ex. standard, particuliers",
    "Reminder scenario of this customer. Blank: the Settings one. E.g. standard, particuliers")
NOTE_CUSTOMERS_PAYMENT_TERMS = Phrase(
    "Délai de paiement du client. Vide : celui des Paramètres. Ex. 30 jours, 45 jours fin de mois",
    "The customer's payment terms. Blank: the Settings ones. E.g. 30 days, 45 days end of month")
NOTE_CUSTOMERS_OPT_OUT = Phrase(
    "oui : ce client n'est jamais relancé. Vide : non",
    "yes: this customer is never reminded. Blank: no")
NOTE_CUSTOMERS_PAUSED_UNTIL = Phrase(
    "Aucune relance jusqu'à cette date incluse. Ex. 31/05/2026",
    "No reminder until this date, included. E.g. 31/05/2026")
NOTE_CUSTOMERS_CONTACT_NAME = Phrase(
    "Personne à qui s'adressent les messages. Ex. Alain Martin",
    "Person the messages are addressed to. E.g. Alain Martin")
NOTE_CUSTOMERS_ADDRESS = Phrase(
    "Adresse postale, pour les mises en demeure par courrier. Ex. 3 place du Marché",
    "Postal address, for formal notices by letter. E.g. 3 Market Square")
NOTE_CUSTOMERS_POSTAL_CODE = Phrase("Code postal. Ex. 69003", "Postal code. E.g. SW1A 1AA")
NOTE_CUSTOMERS_CITY = Phrase("Ville. Ex. Lyon", "City. E.g. London")
NOTE_CUSTOMERS_COUNTRY = Phrase("Pays, s'il n'est pas la France. Ex. Belgique",
                                "Country, when not France. E.g. United Kingdom")
NOTE_CUSTOMERS_OWNER = Phrase(
    "Qui suit ce client : ses tâches d'appel lui sont attribuées. Ex. Julie",
    "Who follows this customer: call tasks are assigned to them. E.g. Julie")

# --------------------------------------------------------------------------- Reglements / Payments

NOTE_PAYMENTS_DATE = Phrase("Date à laquelle le règlement a été reçu. Ex. 02/04/2026",
                            "Date the payment was received. E.g. 02/04/2026")
NOTE_PAYMENTS_AMOUNT = Phrase("Montant reçu. Ex. 1\u00a0138,46", "Amount received. E.g. 1,138.46")
NOTE_PAYMENTS_INVOICE_ID = Phrase(
    "Facture réglée. Vide : le règlement va aux plus anciennes factures du client. Ex. F2026-0142",
    "Invoice paid. Blank: the payment goes to the customer's oldest invoices. E.g. F2026-0142")
NOTE_PAYMENTS_CUSTOMER_ID = Phrase(
    "Code du client, utile quand le numéro de facture est vide. Ex. C0042",
    "The customer's code, needed when the invoice number is blank. E.g. C0042")
NOTE_PAYMENTS_CURRENCY = Phrase("Devise du règlement. Vide : celle de la facture. Ex. EUR",
                                "Currency of the payment. Blank: the invoice's. E.g. EUR")
NOTE_PAYMENTS_REFERENCE = Phrase("Référence libre : virement, chèque… Ex. VIR 0412 MARTIN",
                                 "Free reference: transfer, cheque… E.g. TRF 0412 MARTIN")

# --------------------------------------------------------------------------- CA_mensuel / Sales

NOTE_SALES_MONTH = Phrase("Mois, écrit année-mois. Ex. 2026-03", "Month, written year-month. E.g. 2026-03")
NOTE_SALES_CURRENCY = Phrase("Devise de ce chiffre d'affaires. Ex. EUR", "Currency of these sales. E.g. EUR")
NOTE_SALES_AMOUNT = Phrase(
    "Ventes à crédit TTC du mois, avoirs déduits ; remplace celles déduites des factures pour le DSO. Ex. 84\u00a0500",
    "Credit sales of the month incl. VAT, net of credit notes; replaces those derived from the invoices in "
    "the DSO. E.g. 84,500")

# --------------------------------------------------------------------------- Scenarios

NOTE_SCENARIOS_SCENARIO = Phrase("Nom du scénario ; un nom livré le remplace. Ex. standard",
                                 "Name of the scenario; a shipped name replaces that one. E.g. standard")
NOTE_SCENARIOS_STEP = Phrase("Nom de l'étape, unique dans le scénario. Ex. relance_1",
                             "Name of the step, unique in the scenario. E.g. reminder_1")
NOTE_SCENARIOS_OFFSET_DAYS = Phrase("Jours après l'échéance (négatif : avant). Ex. -5, 7, 30",
                                    "Days after the due date (negative: before). E.g. -5, 7, 30")
NOTE_SCENARIOS_CHANNEL = Phrase("email, sms, courrier, appel (tâche) ou agence (recouvrement)",
                                "email, sms, letter, call (a task) or agency (collection)")
NOTE_SCENARIOS_TEMPLATE = Phrase("Modèle du message (fichiers livrés ou onglet Modeles). Ex. relance_1",
                                 "Template of the message (shipped files or the Templates tab). E.g. reminder_1")
NOTE_SCENARIOS_MIN_BALANCE = Phrase("Solde échu minimum pour cette étape. Ex. 100",
                                    "Smallest overdue balance for this step. E.g. 100")
NOTE_SCENARIOS_REQUIRES_APPROVAL = Phrase("oui : l'étape attend votre validation dans A_valider",
                                          "yes: the step waits for your approval in the Plan tab")
NOTE_SCENARIOS_MIN_GAP_DAYS = Phrase("Jours minimum depuis le message précédent. Ex. 7",
                                     "Fewest days since the previous message. E.g. 7")

# --------------------------------------------------------------------------- Modeles / Templates

NOTE_TEMPLATES_TEMPLATE = Phrase("Nom du modèle, celui de la colonne Modèle des Scenarios. Ex. relance_1",
                                 "Name of the template, as in the Scenarios Template column. E.g. reminder_1")
NOTE_TEMPLATES_LANGUAGE = Phrase("Langue de ce texte : fr ou en", "Language of this text: fr or en")
NOTE_TEMPLATES_PART = Phrase(
    "Partie du message : subject (objet), html, text (texte brut) ou sms ; letter (la mise en demeure imprimée) ou "
    "package (le dossier de recouvrement)",
    "Part of the message: subject, html, text (plain text) or sms; letter (the printed formal notice) or package "
    "(the collection file)")
NOTE_TEMPLATES_BODY = Phrase(
    "Texte du modèle (Jinja2). Ex. Relance de {{{{ company.name }}}} : facture en attente",
    "Text of the template (Jinja2). E.g. {{{{ company.name }}}}: invoice awaiting payment")

# --------------------------------------------------------------------------- Promesses / Promises

NOTE_PROMISES_CUSTOMER_ID = Phrase("Code du client qui a promis. Ex. C0042",
                                   "Code of the customer who promised. E.g. C0042")
NOTE_PROMISES_INVOICE_IDS = Phrase("Factures concernées, séparées par des virgules. Vide : toutes. Ex. F2026-0142",
                                   "Invoices concerned, separated by commas. Blank: all. E.g. F2026-0142")
NOTE_PROMISES_PROMISED_DATE = Phrase("Date de paiement promise ; pas de relance d'ici là. Ex. 20/04/2026",
                                     "Promised payment date; no reminder until then. E.g. 20/04/2026")
NOTE_PROMISES_AMOUNT = Phrase("Montant promis. Ex. 600", "Amount promised. E.g. 600")
NOTE_PROMISES_SOURCE = Phrase("D'où vient la promesse : appel, e-mail… Ex. appel",
                              "Where the promise came from: call, e-mail… E.g. call")
NOTE_PROMISES_STATUS = Phrase("ouverte, tenue ou non tenue. Vide : ouverte",
                              "open, kept or broken. Blank: open")

# --------------------------------------------------------------------------- Litiges / Disputes

NOTE_DISPUTES_INVOICE_ID = Phrase("Facture contestée ; elle n'est plus relancée. Ex. F2026-0142",
                                  "Disputed invoice; it is no longer reminded. E.g. F2026-0142")
NOTE_DISPUTES_OPENED = Phrase("Date d'ouverture du litige. Ex. 10/04/2026", "Date the dispute opened. E.g. 10/04/2026")
NOTE_DISPUTES_REASON = Phrase("Motif du litige. Ex. livraison incomplète",
                              "Reason of the dispute. E.g. incomplete delivery")
NOTE_DISPUTES_STATUS = Phrase("ouvert ou résolu (les relances reprennent). Vide : ouvert",
                              "open or resolved (reminders resume). Blank: open")
NOTE_DISPUTES_RESOLVED_ON = Phrase("Date de résolution. Ex. 25/04/2026", "Date it was resolved. E.g. 25/04/2026")

# --------------------------------------------------------------------------- Parametres / Settings

NOTE_SETTINGS_KEY = Phrase("Nom du paramètre, à garder tel quel. Ex. company_name",
                           "Name of the setting, kept as it is. E.g. company_name")
NOTE_SETTINGS_VALUE = Phrase("Votre valeur ; vide : la valeur par défaut. Voir la description à droite",
                             "Your value; blank: the default. See the description on the right")
SETTINGS_HELP_HEADER = Phrase("Description", "Description")
NOTE_SETTINGS_HELP = Phrase("Ce que règle chaque paramètre ; cette colonne n'est pas lue",
                            "What each setting does; this column is not read")

# --------------------------------------------------------------------------- validation messages

VALIDATION_TITLE = Phrase("Valeur inattendue", "Unexpected value")
VALIDATION_LIST = Phrase("Valeurs attendues : {values}. Conserver quand même cette valeur ?",
                         "Expected values: {values}. Keep this value anyway?")
VALIDATION_DATE = Phrase("Une date est attendue, ex. 15/03/2026. Conserver quand même cette valeur ?",
                         "A date is expected, e.g. 15/03/2026. Keep this value anyway?")
VALIDATION_MONEY = Phrase("Un montant est attendu, ex. 1\u00a0138,46. Conserver quand même cette valeur ?",
                          "An amount is expected, e.g. 1,138.46. Keep this value anyway?")
VALIDATION_WHOLE = Phrase("Un nombre entier est attendu, ex. 7 ou -5. Conserver quand même cette valeur ?",
                          "A whole number is expected, e.g. 7 or -5. Keep this value anyway?")

# --------------------------------------------------------------------------- the instructions tab

HOWTO_TAB = Phrase("Mode d'emploi", "How to use")
HOWTO_TITLE = Phrase("relance : vos relances clients depuis ce classeur",
                     "relance: your customer reminders from this workbook")
HOWTO_INTRO = Phrase(
    "Ce classeur est la source de vérité : vous y tenez vos factures, vos clients et vos règlements ; relance "
    "calcule les retards, planifie les relances selon un scénario, les envoie une seule fois et écrit ce qu'il a "
    "fait dans ses propres onglets. Chaque en-tête porte une note : survolez-le pour savoir quoi y mettre.",
    "This workbook is the source of truth: you keep your invoices, customers and payments in it; relance "
    "computes what is late, plans reminders along a scenario, sends each one once and writes what it did in "
    "its own tabs. Every header has a note: hover over it to see what goes there.")
HOWTO_YOUR_TABS = Phrase("Les onglets que vous remplissez", "The tabs you fill in")
HOWTO_INVOICES = Phrase(
    "Une ligne par facture ou avoir : numéro, client, date, échéance, montant TTC. Obligatoire.",
    "One row per invoice or credit note: number, customer, date, due date, amount. Required.")
HOWTO_CUSTOMERS = Phrase(
    "Une ligne par client : code, raison sociale, e-mail, téléphone, type B2B ou B2C. Obligatoire.",
    "One row per customer: code, name, e-mail, phone, type B2B or B2C. Required.")
HOWTO_PAYMENTS = Phrase(
    "Les règlements reçus, avec la facture réglée (ou le code client).",
    "Payments received, with the invoice paid (or the customer code).")
HOWTO_SALES = Phrase(
    "Facultatif : votre chiffre d'affaires mensuel TTC, s'il diffère de celui des factures (il sert au DSO).",
    "Optional: your monthly sales incl. VAT, when they differ from the invoices' (used for the DSO).")
HOWTO_SCENARIOS = Phrase(
    "Facultatif : vos propres scénarios de relance, étape par étape ; sinon ceux livrés (standard, "
    "grands_comptes, risque, particuliers).",
    "Optional: your own reminder scenarios, step by step; otherwise the shipped ones (standard, "
    "grands_comptes, risque, particuliers).")
HOWTO_TEMPLATES = Phrase("Facultatif : vos propres textes de messages, qui remplacent ceux livrés.",
                         "Optional: your own message texts, replacing the shipped ones.")
HOWTO_PROMISES = Phrase("Les promesses de paiement : pas de relance avant la date promise.",
                        "Promises to pay: no reminder before the promised date.")
HOWTO_DISPUTES = Phrase("Les litiges ouverts : la facture n'est plus relancée jusqu'à leur résolution.",
                        "Open disputes: the invoice is not reminded until they are resolved.")
HOWTO_SETTINGS = Phrase(
    "Votre entreprise (raison sociale, adresse, IBAN, expéditeur) et les règles de relance. Remplissez au "
    "moins company_name, sender_email et company_address.",
    "Your company (name, address, IBAN, sender) and the reminder rules. Fill in at least company_name, "
    "sender_email and company_address.")
HOWTO_DAILY = Phrase("Chaque jour", "Every day")
HOWTO_CHECK = Phrase(
    "relance check classeur.xlsx : chaque problème du classeur, avec sa cellule et la correction.",
    "relance check workbook.xlsx: every problem in the workbook, with its cell and the fix.")
HOWTO_PLAN = Phrase(
    "relance plan classeur.xlsx : ce qu'un envoi ferait aujourd'hui ; rien n'est envoyé.",
    "relance plan workbook.xlsx: what a run would send today; nothing is sent.")
HOWTO_RUN = Phrase(
    "relance run classeur.xlsx : envoie les relances du jour (à partir de l'heure d'envoi, les jours ouvrés) et "
    "écrit ce qui a été fait. Relancé le même jour, il n'envoie rien de nouveau.",
    "relance run workbook.xlsx: sends today's reminders (from the sending hour, on business days) and writes "
    "what was done. Run again the same day, it sends nothing new.")
HOWTO_REPORT = Phrase(
    "relance report classeur.xlsx --write : balance âgée, DSO, pénalités, et l'onglet Tableau_de_bord.",
    "relance report workbook.xlsx --write: aging, DSO, penalties, and the Dashboard tab.")
HOWTO_RESULTS = Phrase("Où lire les résultats : les onglets que relance écrit",
                       "Where the results appear: the tabs relance writes")
HOWTO_HISTORY = Phrase("Historique : une ligne par message envoyé, la preuve de ce qui est parti.",
                       "Reminder_log: one row per message sent, the proof of what left.")
HOWTO_PLAN_TAB = Phrase("A_valider : les étapes qui attendent votre accord ; mettez « oui » dans la colonne valider.",
                        "Plan: the steps awaiting your approval; write “yes” in the approve column.")
HOWTO_TASKS = Phrase("Taches : les appels à passer et les dossiers à transmettre ; notez le résultat de chacun.",
                     "Tasks: calls to make and files to hand off; write the outcome of each.")
HOWTO_ANOMALIES = Phrase("Anomalies : chaque cellule à corriger, avec la correction proposée.",
                         "Anomalies: each cell to correct, with the proposed fix.")
HOWTO_DASHBOARD = Phrase("Tableau_de_bord : les indicateurs et leurs graphiques, après relance report --write.",
                         "Dashboard: the figures and their charts, after relance report --write.")
HOWTO_OWNED = Phrase(
    "relance n'écrit que dans ses propres onglets ; vos onglets restent tels que vous les avez laissés.",
    "relance writes only its own tabs; yours stay as you left them.")
