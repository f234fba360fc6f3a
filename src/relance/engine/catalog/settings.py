"""Catalog: the Settings / Parametres tab (see relance.engine.catalog). Module-level Phrase constants only.

`HELP_<KEY>` is what each setting means, shown beside it in the template (workbook/starter.py) and
listed by docs/workbook.md; the rest are the problems and fixes engine/settings.py reports.
Setting keys and values are quoted ('grouping', 'taux_fixe'): they are written as typed.
"""

from __future__ import annotations

from relance.engine.i18n import Phrase

# --------------------------------------------------------------------------- what each setting means

HELP_COMPANY_NAME = Phrase(
    "Raison sociale de votre entreprise, reprise dans chaque message (obligatoire : sans elle, rien n'est envoyé)",
    "Your company name, used in every message (required: without it nothing is sent)")
HELP_COMPANY_ADDRESS = Phrase(
    "Adresse postale imprimée sur les courriers, lignes séparées par « ; », ex. 12 rue des Artisans ; 69003 Lyon "
    "(obligatoire pour les courriers)",
    "Postal address printed on letters, lines separated by ';', e.g. 12 rue des Artisans; 69003 Lyon "
    "(required for letters)")
HELP_COMPANY_CITY = Phrase(
    "Ville de la ligne de date des courriers (« Lyon, le 1er décembre 2026 »)",
    "City in the letters' date line ('Lyon, 1 December 2026')")
HELP_COMPANY_PHONE = Phrase(
    "Téléphone indiqué dans les messages et sur les courriers, ex. 04 65 71 20 40",
    "Phone number given in messages and on letters, e.g. 04 65 71 20 40")
HELP_LEGAL_MENTIONS = Phrase(
    "Mentions légales imprimées sur les courriers et sous les e-mails (forme, capital, RCS, SIREN, n° de TVA)",
    "Legal mentions printed on letters and under e-mails (legal form, capital, RCS, SIREN, VAT number)")
HELP_SIGNATORY_NAME = Phrase("Signataire des courriers, ex. Jeanne Dupont",
                             "Who signs the letters, e.g. Jeanne Dupont")
HELP_SIGNATORY_TITLE = Phrase("Fonction du signataire, ex. Gérante",
                              "The signatory's title, e.g. Managing director")
HELP_IBAN = Phrase(
    "IBAN des virements, indiqué dans chaque relance ; espaces permis, clé vérifiée, "
    "ex. FR76 3000 6000 0112 3456 7890 189",
    "IBAN for bank transfers, given in every reminder; spaces allowed, check digits verified, "
    "e.g. FR76 3000 6000 0112 3456 7890 189")
HELP_BIC = Phrase("BIC (code SWIFT) de ce compte, 8 ou 11 caractères, ex. AGRIFRPP",
                  "BIC (SWIFT code) of that account, 8 or 11 characters, e.g. AGRIFRPP")
HELP_SENDER_EMAIL = Phrase(
    "Adresse d'expédition des relances, ex. relances@votre-entreprise.fr (obligatoire pour les e-mails)",
    "From address of reminders, e.g. relances@your-company.co.uk (required for e-mails)")
HELP_SENDER_NAME = Phrase("Nom affiché comme expéditeur, ex. Service comptabilité",
                          "Name shown as sender, e.g. Accounts department")
HELP_REPLY_TO = Phrase("Adresse à laquelle les clients répondent, si ce n'est pas l'adresse d'expédition",
                       "Reply-To address, when replies go elsewhere than the From address")
HELP_DEFAULT_CURRENCY = Phrase("Devise des lignes dont la devise est vide (code ISO : EUR, USD, GBP…)",
                               "Currency of rows with a blank currency (ISO code: EUR, USD, GBP…)")
HELP_LOCALE = Phrase(
    "Langue du classeur (onglets, anomalies, rapport) et des clients sans langue : fr_FR ou en_GB",
    "Language of the workbook (tabs, anomalies, report) and of customers with none: fr_FR or en_GB")
HELP_TIMEZONE = Phrase("Fuseau horaire de la date du jour et des envois, ex. Europe/Paris",
                       "Time zone of the run date and of sending, e.g. Europe/Paris")
HELP_DEFAULT_PAYMENT_TERMS = Phrase(
    "Délai de paiement quand ni la facture ni le client n'en donnent : 30 jours, 60 jours, 45 jours fin de mois…",
    "Terms when neither the invoice nor the customer gives any: 30 days, 60 days, 45 days end of month…")
HELP_EOM_METHOD = Phrase(
    "Calcul des délais « fin de mois » : 'jours_puis_fin_de_mois' (date + N jours, puis fin de ce mois) "
    "ou 'fin_de_mois_puis_jours' (fin du mois de la facture, puis + N jours)",
    "How 'end of month' terms are counted: 'days_then_eom' (date + N days, then that month's end) "
    "or 'eom_then_days' (end of the invoice's month, then + N days)")
HELP_DEFAULT_SCENARIO = Phrase("Scénario de relance des clients qui n'en ont pas, ex. standard",
                               "Reminder scenario of customers with none, e.g. standard")
HELP_DEFAULT_CUSTOMER_TYPE = Phrase(
    "Type des clients dont le type est vide : B2B (pénalités de retard et indemnité de 40 € réclamées) ou B2C "
    "(jamais) ; sans cette ligne, rien de tout cela ne leur est réclamé",
    "Type of customers whose type is blank: B2B (late-payment penalties and the 40 € indemnity are claimed) "
    "or B2C (never); without this row, neither is claimed from them")
HELP_SEND_HOUR = Phrase("Heure à partir de laquelle les relances partent, de 0 à 23",
                        "Hour of the day reminders leave from, 0 to 23")
HELP_BUSINESS_DAYS_ONLY = Phrase("Envoyer uniquement les jours ouvrés : oui ou non",
                                 "Send on business days only: yes or no")
HELP_HOLIDAY_COUNTRY = Phrase("Jours fériés à éviter (FR, ou FR-57 / FR-67 / FR-68 pour l'Alsace-Moselle)",
                              "Public holidays to avoid (FR, or FR-57 / FR-67 / FR-68 for Alsace-Moselle)")
HELP_GROUPING = Phrase("'client' (un message par client, toutes ses factures) ou 'facture' (un message par facture)",
                       "'customer' (one message per customer, all its invoices) or 'invoice' (one message per invoice)")
HELP_PENALTY_RATE_MODE = Phrase(
    "'taux_legal_semestriel' (taux de la BCE du semestre + 10 points ; une ligne 'ecb_rate_2026_H2' = 2,15 "
    "ajoute ou corrige le taux d'un semestre) ou 'taux_fixe' (le taux ci-dessous)",
    "'legal_semester' (the semester's ECB rate + 10 points; a row 'ecb_rate_2026_H2' = 2.15 adds or corrects "
    "a semester's rate) or 'fixed' (the rate below)")
HELP_PENALTY_ANNUAL_RATE = Phrase("Taux annuel des pénalités, en %, si le mode est 'taux_fixe', ex. 12,5",
                                  "Annual penalty rate in percent when the mode is 'fixed', e.g. 12.5")
HELP_RECOVERY_INDEMNITY = Phrase("Indemnité forfaitaire pour frais de recouvrement, en euros, par facture payée en "
                                 "retard (clients B2B)",
                                 "Fixed recovery indemnity in euros per invoice paid late (B2B customers)")
HELP_MIN_BALANCE = Phrase("En dessous de ce solde, dans chaque devise, aucune relance n'est envoyée",
                          "Below this balance, in each currency, nothing is reminded")
HELP_AGENCY_MIN_BALANCE = Phrase("Solde minimum, en euros, pour transmettre un dossier au recouvrement",
                                 "Smallest balance in euros handed off to a collection agency")
HELP_COOLDOWN_DAYS = Phrase(
    "Un client ne reçoit jamais deux messages en moins de ce nombre de jours (au moins 1 : deux exécutions le "
    "même jour n'écrivent jamais toutes deux)",
    "A customer never gets two messages within this many days (at least 1: two runs on one day never both write)")
HELP_PROMISE_GRACE_DAYS = Phrase("Jours de grâce après une date promise avant que les relances reprennent",
                                 "Days after a promised date before reminders resume")
HELP_HISTORY_MAX_ROWS = Phrase("Lignes gardées dans Historique avant d'archiver les plus anciennes",
                               "History rows kept before the oldest are archived")
HELP_PORTAL_URL = Phrase("Lien de votre portail client, indiqué dans les relances",
                         "Your customer portal link, given in reminders")
HELP_PRIVACY_URL = Phrase("Lien vers votre politique de confidentialité, indiqué dans chaque relance",
                          "Privacy notice link shown in every reminder")
HELP_CHANNEL = Phrase(
    "Mode d'envoi : 'outbox' (fichiers dans un dossier, rien ne part), 'mailjet' ou 'smtp'",
    "How messages leave: 'outbox' (files in a folder, nothing leaves), 'mailjet' or 'smtp'")

# --------------------------------------------------------------------------- problems and fixes

NOT_A_RATE = Phrase("n'est pas un taux", "is not a rate")
WRITE_ECB_RATE = Phrase("écrivez le taux de la BCE en pourcentage, par exemple 2,15",
                        "write the ECB rate in percent, e.g. 2.15")
UNKNOWN_SETTING = Phrase("n'est pas un paramètre que relance connaît ; la ligne a été ignorée",
                         "is not a setting relance knows; it was ignored")
CHECK_SPELLING = Phrase("vérifiez son orthographe dans la liste de l'onglet Mode d'emploi ou du README",
                        "check the spelling against the list in the README")
DEFAULT_USED = Phrase("{problem} pour le paramètre '{key}' ; la valeur par défaut a été utilisée",
                      "{problem} for setting '{key}'; the default was used")
NOT_AN_EMAIL = Phrase("n'est pas une adresse e-mail valide ({reason})", "is not a valid e-mail address ({reason})")
WRITE_AN_EMAIL = Phrase("écrivez une adresse comme relances@example.fr",
                        "write an address such as relances@example.fr")
LINE_BREAK = Phrase("contient un saut de ligne ; les e-mails portent '{key}' sur une seule ligne, le saut "
                    "devient une espace",
                    "has a line break; e-mails carry '{key}' on one line, the break as a space")
ONE_LINE = Phrase("écrivez-le sur une seule ligne", "write it on one line")
LEFT_OUT = Phrase("{problem} ; il est omis de chaque message jusqu'à sa correction",
                  "{problem}; it is left out of every message until corrected")
COPY_IBAN = Phrase("recopiez l'IBAN du RIB de votre banque, ex. {example}",
                   "copy the IBAN from your bank's RIB, e.g. {example}")
COPY_BIC = Phrase("recopiez le BIC (code SWIFT) du RIB de votre banque, ex. AGRIFRPP ou BNPAFRPPXXX",
                  "copy the BIC (code SWIFT) from your bank's RIB, e.g. AGRIFRPP or BNPAFRPPXXX")
IS_BLANK = Phrase("est vide", "is blank")
IBAN_CHARACTERS = Phrase("n'est pas un IBAN : seuls les lettres et les chiffres sont permis",
                         "is not an IBAN: only letters and digits are allowed")
IBAN_LENGTH = Phrase("n'est pas un IBAN : il compte {n} caractères, un IBAN de {country} en compte {expected}",
                     "is not an IBAN: it has {n} characters, an IBAN of {country} has {expected}")
IBAN_SHAPE = Phrase("n'est pas un IBAN : il commence par le code du pays et deux chiffres de clé, ex. {example}",
                    "is not an IBAN: it starts with a country code and two check digits, e.g. {example}")
IBAN_CHECKSUM = Phrase("n'est pas un IBAN valide : sa clé ne correspond pas (un caractère mal recopié ?)",
                       "is not a valid IBAN: its check digits do not match (a mistyped character?)")
BIC_LENGTH = Phrase("n'est pas un BIC : il compte {n} caractères, un BIC en compte 8 ou 11",
                    "is not a BIC: it has {n} characters, a BIC has 8 or 11")
BIC_SHAPE = Phrase("n'est pas un BIC : 4 lettres (banque), 2 lettres (pays), 2 lettres ou chiffres, puis "
                   "3 facultatifs",
                   "is not a BIC: 4 letters (bank), 2 letters (country), 2 letters or digits, then optionally 3")
NOT_A_CUSTOMER_TYPE = Phrase(
    "n'est ni B2B ni B2C pour le paramètre 'default_customer_type' ; les clients dont le type est vide sont de "
    "type inconnu : ni pénalité ni indemnité ne leur est réclamée",
    "is neither B2B nor B2C for setting 'default_customer_type'; customers with a blank type_client are of "
    "unknown type: no penalty nor indemnity is claimed from them")
WRITE_CUSTOMER_TYPE = Phrase("écrivez B2B (entreprises) ou B2C (particuliers)",
                             "write B2B (businesses) or B2C (consumers)")
NOT_A_CHOICE = Phrase("n'est pas une valeur possible", "is not a valid choice")
USE_ONE_OF = Phrase("choisissez l'une de ces valeurs : {choices}", "use one of: {choices}")
NOT_A_CURRENCY = Phrase("n'est pas un code de devise ISO 4217", "is not an ISO 4217 currency code")
USE_A_CURRENCY = Phrase("écrivez EUR, USD, GBP…", "use EUR, USD, GBP…")
NOT_A_LOCALE = Phrase("n'est pas une langue prise en charge", "is not a supported locale")
USE_A_LOCALE = Phrase("écrivez fr_FR ou en_GB", "use fr_FR or en_GB")
NOT_A_TIMEZONE = Phrase("n'est pas un fuseau horaire", "is not a time zone")
USE_A_TIMEZONE = Phrase("écrivez un nom comme Europe/Paris", "use a name such as Europe/Paris")
NOT_TERMS = Phrase("n'est pas un délai de paiement", "is not a payment term")
WRITE_TERMS = Phrase("écrivez un délai comme 30, « 60 jours », « 45 FDM » ou « 30 jours fin de mois »",
                     "write terms as 30, '60 days', '45 EOM' or '30 days end of month'")
OUT_OF_RANGE = Phrase("est hors limites", "is out of range")
WHOLE_NUMBER = Phrase("écrivez un nombre entier de {low} à {high}", "use a whole number from {low} to {high}")
NOT_YES_NO = Phrase("n'est ni oui ni non", "is neither yes nor no")
WRITE_YES_NO = Phrase("écrivez oui ou non", "write yes or no")
NOT_POSITIVE = Phrase("n'est pas un nombre positif", "is not a positive number")
WRITE_A_NUMBER = Phrase("écrivez un nombre comme 12,5 (pour cent) ou 40",
                        "write a number such as 12.5 (percent) or 40")
NOT_AN_AMOUNT = Phrase("n'est pas un montant positif ou nul", "is not an amount of zero or more")
WRITE_AN_AMOUNT = Phrase("écrivez un montant comme 5", "write an amount such as 5")
WRITE_EUROS = Phrase("écrivez un montant en euros comme 150", "write an amount in euros such as 150")
FIXED_WITHOUT_RATE = Phrase(
    "le mode de pénalité est '{fixed}' mais 'penalty_annual_rate' est vide ; le taux légal a été utilisé",
    "penalty_rate_mode is '{fixed}' but penalty_annual_rate is blank; the legal rate was used")
ADD_ANNUAL_RATE = Phrase(
    "ajoutez une ligne 'penalty_annual_rate' (en %), ou passez le mode à '{legal}'",
    "add a penalty_annual_rate row (percent), or set the mode to {legal}")
BIC_COUNTRY = Phrase("le pays du BIC ({bic}) n'est pas celui de l'IBAN ({iban})",
                     "the BIC's country ({bic}) is not the IBAN's ({iban})")
SAME_ACCOUNT = Phrase("vérifiez que l'IBAN et le BIC sont ceux du même compte",
                      "check that the IBAN and the BIC are those of the same account")
NO_SENDER = Phrase("aucune adresse d'expédition n'est renseignée ; aucun e-mail ne part tant qu'elle manque",
                   "no sender address is set; no e-mail is sent until it is")
ADD_SENDER = Phrase("ajoutez dans {tab} une ligne 'sender_email' avec l'adresse d'où partent les relances, "
                    "ex. relances@example.fr",
                    "add a {tab} row sender_email with the address reminders come from, e.g. relances@example.fr")
NO_COMPANY = Phrase("aucune raison sociale n'est renseignée ; aucun message ne part tant qu'elle manque "
                    "(chaque e-mail, SMS et courrier est signé de ce nom)",
                    "no company name is set; no message is sent until it is "
                    "(every e-mail, SMS and letter is signed with it)")
ADD_COMPANY = Phrase("ajoutez dans {tab} une ligne 'company_name' avec la raison sociale de votre entreprise",
                     "add a {tab} row company_name with your company's name")
NO_ADDRESS = Phrase("aucune adresse postale n'est renseignée ; aucun courrier ne part tant qu'elle manque "
                    "(une mise en demeure indique l'adresse de l'expéditeur)",
                    "no company address is set; no letter is sent until it is "
                    "(a formal notice gives the sender's postal address)")
ADD_ADDRESS = Phrase("ajoutez dans {tab} une ligne 'company_address', lignes séparées par « ; », "
                     "ex. 12 rue des Artisans ; 69003 Lyon",
                     "add a {tab} row company_address, lines separated by ';', e.g. 12 rue des Artisans; 69003 Lyon")

# --- s18-mailjet ---
HELP_DAILY_SEND_CAP = Phrase(
    "Messages par jour au plus par Mailjet (e-mails et SMS), selon votre formule, ex. 6000 ; vide ou 0 : "
    "aucun plafond. Ce qui dépasse part au prochain envoi, les plus en retard d'abord "
    "(MAILJET_DAILY_CAP le remplace s'il est défini)",
    "Messages a day at most through Mailjet (e-mails and text messages), your plan's limit, e.g. 6000; "
    "blank or 0: no cap. What goes beyond leaves with the next run, the most overdue first "
    "(MAILJET_DAILY_CAP overrides it when set)")
