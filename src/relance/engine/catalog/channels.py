"""Catalog: the real transports (SMTP, Mailjet), see relance.engine.catalog.

What a History row, the console or an error says of a message a transport took, refused or
could not hand over. Module-level Phrase constants only.
"""

from __future__ import annotations

from relance.engine.i18n import Phrase

# --- configuration (read from the environment by app/connect.py) -----------------------------
MISSING_ENV = Phrase(
    "le canal {channel} a besoin de la variable d'environnement {names}",
    "channel {channel} needs the environment variable {names}")
MISSING_ENV_HINT = Phrase(
    "définissez-la avant de lancer relance (voir docs/sending.md) ; les secrets ne sont jamais lus "
    "dans le classeur",
    "set it before running relance (see docs/sending.md); secrets are never read from the workbook")
BAD_ENV = Phrase(
    "la variable d'environnement {name} vaut {value}, ce qui n'est pas utilisable : {why}",
    "the environment variable {name} is {value}, which cannot be used: {why}")
BAD_ENV_HINT = Phrase("corrigez-la (voir docs/sending.md)", "correct it (see docs/sending.md)")
MISSING_LIBRARY = Phrase(
    "le canal {channel} a besoin de la bibliothèque {library}, qui n'est pas installée",
    "channel {channel} needs the {library} library, which is not installed")
MISSING_LIBRARY_HINT = Phrase(
    "installez-la avec : pip install 'relance[mailjet]'",
    "install it with: pip install 'relance[mailjet]'")

# --- SMTP ---------------------------------------------------------------------------------------
SMTP_UNREACHABLE = Phrase(
    "le serveur SMTP {server} est injoignable ({why}, après {attempts} essais)",
    "the SMTP server {server} cannot be reached ({why}, after {attempts} attempts)")
SMTP_UNREACHABLE_HINT = Phrase(
    "vérifiez SMTP_HOST, SMTP_PORT et SMTP_SECURITY, et que le serveur répond ; les messages non "
    "envoyés sont planifiés à nouveau, aucun n'est jamais envoyé deux fois",
    "check SMTP_HOST, SMTP_PORT and SMTP_SECURITY, and that the server answers; the messages not "
    "sent are planned again, and none is ever sent twice")
SMTP_TLS = Phrase(
    "la connexion chiffrée au serveur SMTP {server} a échoué : {why}",
    "the encrypted connection to the SMTP server {server} failed: {why}")
SMTP_TLS_HINT = Phrase(
    "vérifiez SMTP_SECURITY (starttls, ssl ou none) et le certificat du serveur (SMTP_CA_FILE pour "
    "une autorité de certification à vous)",
    "check SMTP_SECURITY (starttls, ssl or none) and the server's certificate (SMTP_CA_FILE for a "
    "certificate authority of your own)")
SMTP_NO_STARTTLS = Phrase(
    "le serveur SMTP {server} ne propose pas STARTTLS : rien n'est envoyé en clair",
    "the SMTP server {server} does not offer STARTTLS: nothing is sent in clear text")
SMTP_AUTH = Phrase(
    "le serveur SMTP {server} refuse l'identification de {user} ({reply})",
    "the SMTP server {server} refuses the login of {user} ({reply})")
SMTP_AUTH_HINT = Phrase(
    "vérifiez SMTP_USERNAME et SMTP_PASSWORD",
    "check SMTP_USERNAME and SMTP_PASSWORD")
SMTP_ACCEPTED = Phrase("accepté par {server} : {reply}", "accepted by {server}: {reply}")
SMTP_REFUSED = Phrase("refusé par {server} pour {who} : {reply}", "refused by {server} for {who}: {reply}")
SMTP_SOME_REFUSED = Phrase(
    "accepté par {server} : {reply} ; mais refusé pour {who} : {refusal}",
    "accepted by {server}: {reply}; but refused for {who}: {refusal}")
SMTP_GAVE_UP = Phrase(
    "non envoyé, {server} répond encore {reply} après {attempts} essais ; planifié à nouveau",
    "not sent, {server} still answers {reply} after {attempts} attempts; planned again")
SMTP_LOST = Phrase(
    "connexion perdue après la remise du message à {server}, avant sa réponse : on ne peut pas "
    "savoir s'il l'a pris ; jamais renvoyé automatiquement, à décider par une personne",
    "connection lost after the message was handed to {server}, before its answer: whether it took "
    "it cannot be told; never sent again on its own, a person decides")
SMTP_UNKNOWN = Phrase(
    "envoi SMTP interrompu : un serveur SMTP ne peut pas dire s'il a pris le message ; jamais "
    "renvoyé automatiquement, à décider par une personne",
    "SMTP send interrupted: an SMTP server cannot say whether it took the message; never sent "
    "again on its own, a person decides")
UNKNOWN_PROBLEM = Phrase(
    "le message ({channel}) à {customer} était en cours d'envoi par {via} quand une exécution a "
    "été interrompue, et ce serveur ne peut pas dire s'il l'a pris : il n'est jamais renvoyé "
    "automatiquement",
    "the message ({channel}) to {customer} was being sent through {via} when a run was "
    "interrupted, and that server cannot say whether it took it: it is never sent again on its own")
UNKNOWN_HINT = Phrase(
    "cherchez-le dans les messages envoyés de la boîte ou le journal du serveur ; s'il n'est pas "
    "parti, écrivez « {failed} » dans son statut (la prochaine exécution l'envoie), sinon « {sent} »",
    "look for it in the mailbox's sent messages or the server's log; if it did not leave, write "
    "'{failed}' in its status (the next run sends it), else '{sent}'")

# --- Mailjet ------------------------------------------------------------------------------------
MAILJET_ACCEPTED = Phrase("accepté par Mailjet", "accepted by Mailjet")
MAILJET_SANDBOX = Phrase(
    "validé par Mailjet en mode bac à sable (SandboxMode) : rien n'a été remis",
    "validated by Mailjet in sandbox mode (SandboxMode): nothing was delivered")
MAILJET_REFUSED = Phrase("refusé par Mailjet : {errors}", "refused by Mailjet: {errors}")
MAILJET_GAVE_UP = Phrase(
    "non envoyé, Mailjet répond encore {reply} après {attempts} essais ; planifié à nouveau",
    "not sent, Mailjet still answers {reply} after {attempts} attempts; planned again")
MAILJET_DOWN = Phrase(
    "Mailjet ne répond pas ({why}, après {attempts} essais)",
    "Mailjet does not answer ({why}, after {attempts} attempts)")
MAILJET_DOWN_HINT = Phrase(
    "réessayez plus tard : ce qui n'est pas parti est planifié à nouveau, et un message en "
    "attente est vérifié auprès de Mailjet (CustomID) avant tout nouvel envoi",
    "try again later: what did not leave is planned again, and a pending message is checked with "
    "Mailjet (CustomID) before anything is sent again")
MAILJET_AUTH = Phrase(
    "Mailjet refuse les identifiants ({reply})",
    "Mailjet refuses the credentials ({reply})")
MAILJET_AUTH_HINT = Phrase(
    "vérifiez MAILJET_API_KEY et MAILJET_API_SECRET (et MAILJET_SMS_TOKEN pour les SMS)",
    "check MAILJET_API_KEY and MAILJET_API_SECRET (and MAILJET_SMS_TOKEN for text messages)")
MAILJET_CAP = Phrase(
    "plafond journalier de {cap} messages atteint (daily_send_cap)",
    "daily cap of {cap} messages reached (daily_send_cap)")
MAILJET_CAP_HINT = Phrase(
    "ce qui n'est pas parti aujourd'hui part à la prochaine exécution, les plus en retard d'abord",
    "what did not leave today goes with the next run, the most overdue first")
NO_JSON = Phrase("pas de réponse JSON", "no JSON answer")
MAILJET_UNSURE = Phrase(
    "Mailjet n'a pas répondu après la remise ({why}) ; la prochaine exécution le vérifie par son "
    "CustomID avant tout nouvel envoi",
    "Mailjet gave no answer after the hand-over ({why}); the next run checks it by its CustomID "
    "before anything is sent again")
SMS_BAD_NUMBER = Phrase(
    "numéro {number} inutilisable pour un SMS (il faut un numéro de mobile au format international)",
    "number {number} cannot take a text message (a mobile number in international format is needed)")
SMS_BAD_SENDER = Phrase(
    "nom d'expéditeur SMS {name} refusé : 3 à 11 lettres ou chiffres, sans espace ni accent "
    "(MAILJET_SMS_SENDER)",
    "text-message sender name {name} refused: 3 to 11 letters or digits, no space nor accent "
    "(MAILJET_SMS_SENDER)")
LETTER_FILED = Phrase(
    "courrier {file} déposé dans {folder} pour être imprimé et posté",
    "letter {file} filed in {folder} to be printed and posted")

# --- s18-mailjet ---
MAILJET_NOT_POSTED = Phrase(
    "non envoyé, l'envoi par Mailjet s'est arrêté avant ce message ({cause}) ; planifié à nouveau",
    "not sent, sending through Mailjet stopped before this message ({cause}); planned again")
