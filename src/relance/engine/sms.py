"""SMS text and numbers: keep reminders in GSM-7, count what the operator bills, send to mobiles only.

One character outside GSM 03.38 (a narrow no-break space from babel, a curly apostrophe from a
word processor) switches the whole message to UCS-2 and cuts each part from 160 to 70
characters, so a one-part reminder silently costs three. `to_gsm7` replaces such characters
with close ones before `segments` counts the parts.
"""

from __future__ import annotations

import unicodedata

# 3GPP TS 23.038 default alphabet, in code order (0x1B, the escape to the extension table, left out)
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅå"
    "Δ_ΦΓΛΩΠΨΣΘΞÆæßÉ"
    " !\"#¤%&'()*+,-./"
    "0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNO"
    "PQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmno"
    "pqrstuvwxyzäöñüà"
)
# reached through the escape: each costs two septets
GSM7_EXTENSION = frozenset("\f^{}\\[~]|€")
GSM7 = GSM7_BASIC | GSM7_EXTENSION

_REPLACEMENTS: dict[str, str] = {
    "\t": " ", "\u00a0": " ", "\u202f": " ", "\u2007": " ", "\u2009": " ", "\u200a": " ",
    "\u2002": " ", "\u2003": " ", "\u205f": " ", "\u3000": " ",
    "\u200b": "", "\u200c": "", "\u200d": "", "\u2060": "", "\ufeff": "", "\u00ad": "",
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'", "`": "'", "\u00b4": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u2033": '"', "\u00ab": '"', "\u00bb": '"',
    "\u2039": "'", "\u203a": "'",
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2015": "-",
    "\u2212": "-", "\u2022": "-", "\u00b7": ".", "\u2026": "...", "\u2044": "/",
    "\u0153": "oe", "\u0152": "OE", "\u00b0": "o", "\u00d7": "x",
}
UNKNOWN = "?"
GSM7_SINGLE, GSM7_PART = 160, 153
UCS2_SINGLE, UCS2_PART = 70, 67


def _replace(char: str) -> str:
    """A GSM-7 stand-in for one character: table, then the letter without its accent, else '?'."""
    if char in GSM7:
        return char
    if char in _REPLACEMENTS:
        return _REPLACEMENTS[char]
    if unicodedata.category(char) == "Cc":
        return ""
    out = []
    for part in unicodedata.normalize("NFKD", char):
        if unicodedata.combining(part):
            continue
        if part in GSM7:
            out.append(part)
        elif part in _REPLACEMENTS:
            out.append(_REPLACEMENTS[part])
        else:
            return UNKNOWN
    return "".join(out) if out else UNKNOWN


def to_gsm7(text: str) -> str:
    """`text` with every character inside GSM-7 (basic set or extension table).

    "ê" → "e", "ç" → "c" (GSM's only C-cedilla is the capital Ç), "œ" → "oe", no-break spaces →
    space, curly quotes → straight, "€" kept. Characters with no close equivalent (emoji,
    other scripts) become "?", so the result always fits the cheaper encoding.
    """
    return "".join(_replace(c) for c in unicodedata.normalize("NFC", text))


def is_gsm7(text: str) -> bool:
    return all(c in GSM7 for c in text)


def segments(text: str) -> tuple[str, int, int]:
    """(encoding, units, parts) as operators bill them.

    GSM-7: septets, extension characters count 2; one part up to 160, else parts of 153 (the
    rest carries the concatenation header). UCS-2: UTF-16 code units, an emoji counts 2; 70,
    else 67 per part. A two-unit character is never split between parts, so the greedy packing
    below can need one part more than units / 153. Empty text is 0 parts.
    """
    if is_gsm7(text):
        encoding, single, per_part = "GSM-7", GSM7_SINGLE, GSM7_PART
        costs = [2 if c in GSM7_EXTENSION else 1 for c in text]
    else:
        encoding, single, per_part = "UCS-2", UCS2_SINGLE, UCS2_PART
        costs = [2 if ord(c) > 0xFFFF else 1 for c in text]
    units = sum(costs)
    if units == 0:
        return encoding, 0, 0
    if units <= single:
        return encoding, units, 1
    parts, used = 1, 0
    for cost in costs:
        if used + cost > per_part:
            parts, used = parts + 1, 0
        used += cost
    return encoding, units, parts


def mobile_e164(raw: str | None, default_region: str = "FR") -> str | None:
    """'+33612345678' for a valid mobile number, None for a landline, a short or a garbled one.

    FIXED_LINE_OR_MOBILE counts as mobile: that is how North American numbers are typed, and
    refusing them would refuse every one of them.
    """
    text = (raw or "").strip()
    if not text:
        return None
    import phonenumbers  # 20 ms to import: only a book with phone numbers to check pays for it
    from phonenumbers import NumberParseException, PhoneNumberFormat, PhoneNumberType

    try:
        number = phonenumbers.parse(text, default_region or None)
    except NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    if phonenumbers.number_type(number) not in (PhoneNumberType.MOBILE,
                                                PhoneNumberType.FIXED_LINE_OR_MOBILE):
        return None
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)
