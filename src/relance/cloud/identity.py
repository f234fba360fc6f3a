"""Who calls the Sheets menu function: the Apps Script identity token, verified in code.

`ScriptApp.getIdentityToken()` is an OpenID Connect ID token signed by Google whose audience is
the script's OAuth client id, not the function's URL, so the platform's own check cannot be
used: the function is deployed open and checks here, with google-auth, the signature against
Google's certificates (RELANCE_MENU_CERTS_URL overrides their address, for tests), the audience
(RELANCE_MENU_AUDIENCE), the expiry, the issuer and that the e-mail address is verified. Who may
act: for a `gsheet:` workbook, its editors (menu_action reads the spreadsheet's Drive sharing
list); RELANCE_MENU_USERS (addresses or `@domain`), when set, narrows that further, and is the
only rule for a workbook outside Drive.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from dataclasses import dataclass

from relance.cloud.calls import Refusal, Request
from relance.engine.catalog import cloud as C

GOOGLE_CERTS_URL = "https://www.googleapis.com/oauth2/v1/certs"
GOOGLE_ISSUERS = ("accounts.google.com", "https://accounts.google.com")


@dataclass(frozen=True)
class Caller:
    """A verified caller: the Google account's address and subject id."""

    email: str
    subject: str

    @property
    def ref(self) -> str:
        """A digest of the address, for the logs (which hold no address)."""
        return hashlib.sha256(self.email.encode("utf-8")).hexdigest()[:12]


def verify_caller(request: Request, environ: Mapping[str, str] | None = None, *,
                  list_required: bool = True) -> Caller:
    """The caller of a menu call, or a Refusal: 401 (no token, or a token refused), 403 (an
    unverified address, or an account not on the list), 503 (Google's keys unreachable).

    With `list_required=False` an empty RELANCE_MENU_USERS refuses no one: the caller then
    checks who may act by other means (the spreadsheet's editors)."""
    env = os.environ if environ is None else environ
    audience = env.get("RELANCE_MENU_AUDIENCE", "").strip()
    if not audience:
        raise Refusal(500, "not_configured", C.MENU_NOT_CONFIGURED(name="RELANCE_MENU_AUDIENCE"),
                      C.MENU_NOT_CONFIGURED_FIX())
    header = request.headers.get("Authorization", "") or ""
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Refusal(401, "no_token", C.MENU_NO_TOKEN(), C.MENU_NO_TOKEN_FIX())
    claims = _verified_claims(token.strip(), audience, env.get("RELANCE_MENU_CERTS_URL", "").strip()
                              or GOOGLE_CERTS_URL)
    if claims.get("iss") not in GOOGLE_ISSUERS:
        raise _token_refused("issuer", C.MENU_WHY_ISSUER())
    email = str(claims.get("email") or "").strip().lower()
    if not email or claims.get("email_verified") is not True:
        raise Refusal(403, "email_unverified", C.MENU_UNVERIFIED(), C.MENU_UNVERIFIED_FIX())
    caller = Caller(email, str(claims.get("sub") or ""))
    users = env.get("RELANCE_MENU_USERS", "")
    if (users.strip() or list_required) and not allowed(caller.email, users):
        raise Refusal(403, "not_allowed", C.MENU_NOT_ALLOWED(), C.MENU_NOT_ALLOWED_FIX())
    return caller


def allowed(email: str, users: str) -> bool:
    """Whether `email` is on the list: an address, or `@domain` for every address of a domain."""
    entries = {e.strip().lower() for e in users.replace(";", ",").replace(" ", ",").split(",") if e.strip()}
    domain = "@" + email.rpartition("@")[2]
    return email in entries or domain in entries


def _verified_claims(token: str, audience: str, certs_url: str) -> Mapping[str, object]:
    import google.auth.exceptions as gexc
    import google.auth.transport.requests as gtransport
    from google.oauth2 import id_token

    try:
        return id_token.verify_token(token, gtransport.Request(), audience=audience, certs_url=certs_url,
                                     clock_skew_in_seconds=10)
    except gexc.TransportError:
        raise Refusal(503, "keys_unreachable", C.MENU_BAD_TOKEN(why=C.MENU_WHY_KEYS()),
                      C.MENU_BAD_TOKEN_FIX()) from None
    except (gexc.GoogleAuthError, ValueError) as exc:  # MalformedError, InvalidValue are ValueErrors too
        text = str(exc)
        if "expired" in text or "too early" in text:
            raise _token_refused("expired", C.MENU_WHY_EXPIRED()) from None
        if "audience" in text:
            raise _token_refused("audience", C.MENU_WHY_AUDIENCE()) from None
        if "signature" in text or "Certificate for key id" in text:
            raise _token_refused("signature", C.MENU_WHY_SIGNATURE()) from None
        raise _token_refused("malformed", C.MENU_WHY_MALFORMED()) from None


def _token_refused(code: str, why: object) -> Refusal:
    return Refusal(401, f"token_{code}", C.MENU_BAD_TOKEN(why=why), C.MENU_BAD_TOKEN_FIX())
