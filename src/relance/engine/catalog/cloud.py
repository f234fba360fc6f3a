"""Catalog: what the Cloud Functions (relance.cloud) answer, see relance.engine.catalog.

The refusals and failures of daily_run, menu_action, dispatch and worker, said in the caller's
language (a JSON `{"error": {"code", "message", "fix"}}`). Module-level Phrase constants only.
"""

from __future__ import annotations

from relance.engine.i18n import Phrase

CLOUD_BAD_BODY = Phrase(
    "le corps de la requête n'est pas un objet JSON",
    "the request body is not a JSON object")
CLOUD_BAD_BODY_FIX = Phrase(
    'envoyez un objet JSON, par exemple {example}, avec l\'en-tête Content-Type: application/json',
    "send a JSON object, for instance {example}, with the header Content-Type: application/json")
CLOUD_NO_WORKBOOK = Phrase(
    "la requête ne nomme aucun classeur",
    "the request names no workbook")
CLOUD_NO_WORKBOOK_FIX = Phrase(
    "donnez `workbook` (un classeur) ou `workbooks` (une liste non vide de classeurs)",
    "give `workbook` (one workbook) or `workbooks` (a non-empty list of workbooks)")
CLOUD_BAD_FIELD = Phrase(
    "le champ `{field}` vaut {value}, ce qui n'est pas utilisable",
    "the field `{field}` is {value}, which cannot be used")
CLOUD_BAD_FIELD_FIX = Phrase(
    "`{field}` attend {expected}",
    "`{field}` expects {expected}")
CLOUD_LOCAL_REFUSED = Phrase(
    "le classeur {book} est un chemin local, refusé par cette fonction",
    "the workbook {book} is a local path, which this function refuses")
CLOUD_LOCAL_REFUSED_FIX = Phrase(
    "nommez un classeur `gsheet:<id>` ou `gs://<bucket>/<fichier>.xlsx` ; un chemin local n'est accepté "
    "que lorsque la variable d'environnement RELANCE_LOCAL_WORKBOOKS vaut 1 (hébergement sur votre "
    "machine, tests)",
    "name a `gsheet:<id>` or `gs://<bucket>/<file>.xlsx` workbook; a local path is accepted only when "
    "the environment variable RELANCE_LOCAL_WORKBOOKS is 1 (self-hosting, tests)")
CLOUD_BAD_SCHEDULE_TIME = Phrase(
    "l'en-tête X-CloudScheduler-ScheduleTime vaut {value}, qui n'est pas une date-heure RFC 3339",
    "the header X-CloudScheduler-ScheduleTime is {value}, which is not an RFC 3339 date-time")
CLOUD_BAD_SCHEDULE_TIME_FIX = Phrase(
    "laissez Cloud Scheduler le poser, ou donnez une date-heure comme `2026-12-01T07:00:00Z`",
    "let Cloud Scheduler set it, or give a date-time such as `2026-12-01T07:00:00Z`")
CLOUD_BUSY = Phrase(
    "une autre exécution travaille déjà sur ce classeur ; rien n'a été envoyé par cet appel",
    "another run is already working on this workbook; this call sent nothing")
CLOUD_BUSY_FIX = Phrase(
    "réessayez quand elle sera finie : ce qu'elle a envoyé ne le sera jamais une seconde fois",
    "try again once it is over: what it sent will never be sent a second time")
MENU_NO_TOKEN = Phrase(
    "l'appel ne porte aucun jeton d'identité",
    "the call carries no identity token")
MENU_NO_TOKEN_FIX = Phrase(
    "le menu doit envoyer l'en-tête Authorization: Bearer <ScriptApp.getIdentityToken()>, avec la "
    "portée `openid` dans appsscript.json",
    "the menu must send the header Authorization: Bearer <ScriptApp.getIdentityToken()>, with the "
    "`openid` scope in appsscript.json")
MENU_BAD_TOKEN = Phrase(
    "le jeton d'identité est refusé : {why}",
    "the identity token is refused: {why}")
MENU_BAD_TOKEN_FIX = Phrase(
    "rouvrez le classeur pour que le menu obtienne un jeton neuf ; si cela persiste, vérifiez que "
    "RELANCE_MENU_AUDIENCE est l'identifiant client OAuth du script",
    "reopen the workbook so that the menu gets a fresh token; if it persists, check that "
    "RELANCE_MENU_AUDIENCE is the script's OAuth client id")
MENU_WHY_SIGNATURE = Phrase("sa signature ne correspond à aucune clé de Google", "its signature matches no Google key")
MENU_WHY_AUDIENCE = Phrase("il a été émis pour un autre destinataire", "it was issued for another audience")
MENU_WHY_EXPIRED = Phrase("il a expiré", "it has expired")
MENU_WHY_ISSUER = Phrase("il n'a pas été émis par Google", "it was not issued by Google")
MENU_WHY_MALFORMED = Phrase("il est illisible", "it cannot be read")
MENU_WHY_KEYS = Phrase("les clés de Google sont injoignables", "Google's keys cannot be fetched")
MENU_UNVERIFIED = Phrase(
    "l'adresse électronique du compte qui appelle n'est pas vérifiée par Google",
    "the calling account's e-mail address is not verified by Google")
MENU_UNVERIFIED_FIX = Phrase(
    "utilisez un compte Google dont l'adresse est vérifiée",
    "use a Google account whose address is verified")
MENU_NOT_ALLOWED = Phrase(
    "ce compte n'a pas le droit d'agir sur ce classeur",
    "this account may not act on this workbook")
MENU_NOT_ALLOWED_FIX = Phrase(
    "demandez à la personne qui a installé relance d'ajouter votre adresse à RELANCE_MENU_USERS",
    "ask whoever installed relance to add your address to RELANCE_MENU_USERS")
MENU_NOT_CONFIGURED = Phrase(
    "la fonction du menu n'est pas configurée : la variable d'environnement {name} manque",
    "the menu function is not configured: the environment variable {name} is missing")
MENU_NOT_CONFIGURED_FIX = Phrase(
    "définissez-la au déploiement (voir docs/deploy-gcp.md)",
    "set it when deploying (see docs/deploy-gcp.md)")
MENU_UNKNOWN_ACTION = Phrase(
    "l'action {action} n'existe pas",
    "there is no action {action}")
MENU_UNKNOWN_ACTION_FIX = Phrase(
    "choisissez une de : {actions}",
    "choose one of: {actions}")
CLOUD_PUBLISH_FAILED = Phrase(
    "Pub/Sub a refusé la publication ({why}) ; {n} classeurs sur {total} ont été publiés",
    "Pub/Sub refused the publication ({why}); {n} workbooks out of {total} were published")
CLOUD_PUBLISH_FAILED_FIX = Phrase(
    "vérifiez RELANCE_PUBSUB_TOPIC et le rôle roles/pubsub.publisher du compte de service ; un "
    "nouvel essai ne renvoie rien de ce qui est déjà parti",
    "check RELANCE_PUBSUB_TOPIC and the service account's roles/pubsub.publisher role; a retry "
    "sends nothing already sent")
CLOUD_FAILED = Phrase(
    "l'exécution a échoué sur une erreur interne ({kind})",
    "the run failed on an internal error ({kind})")
CLOUD_FAILED_FIX = Phrase(
    "les journaux de la fonction en disent plus ; un nouvel essai ne renvoie rien de ce qui est déjà parti",
    "the function's logs say more; a retry sends nothing already sent")
CLOUD_NOT_CONFIGURED = Phrase(
    "la fonction n'est pas configurée : la variable d'environnement {name} manque",
    "the function is not configured: the environment variable {name} is missing")
# --- s18-appscript ---
MENU_NOT_EDITOR = Phrase(
    "votre compte ({email}) ne peut pas modifier cette feuille : le menu n'agit que pour ses éditeurs",
    "your account ({email}) may not edit this spreadsheet: the menu acts only for its editors")
MENU_NOT_EDITOR_FIX = Phrase(
    "demandez à son propriétaire de la partager avec votre adresse comme éditeur (un partage par groupe "
    "ne suffit pas : relance ne voit pas qui est dans un groupe)",
    "ask its owner to share it with your address as an editor (sharing through a group is not enough: "
    "relance cannot see who is in a group)")
MENU_SHARING_UNKNOWN = Phrase(
    "relance n'a pas pu vérifier qui peut modifier cette feuille : {why}",
    "relance could not check who may edit this spreadsheet: {why}")
