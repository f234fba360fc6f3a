"""The values of the tabs relance writes, in the workbook's language, and read back in either.

Inside relance a status, a channel, a task kind, a call outcome or a severity is a machine key
(`sent`, `email`, `call`, `promise`, `warning`); the tabs show it in the workbook's language
(`envoyé`, `e-mail`, `appel`, `promesse`, `avertissement`) and the reader accepts the key, the
French and the English word, whatever the workbook's language, so rows written by an older
version (English values) or by a workbook whose language changed keep their meaning.

Steps are shown by their scenario label with the offset ("Relance amiable (J+7)") and read back
to the step's name through the scenario; a label that no longer matches (renamed since) is
found again from the row's action key, which hashes the step's name.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from relance.engine.action import action_key
from relance.engine.catalog import tabs as T
from relance.engine.contract import normalize
from relance.engine.i18n import Phrase
from relance.engine.scenario import Scenario, Step

STATUSES: Mapping[str, Phrase] = {
    "pending": T.STATUS_PENDING, "sent": T.STATUS_SENT, "created": T.STATUS_CREATED,
    "failed": T.STATUS_FAILED, "delivered": T.STATUS_DELIVERED, "opened": T.STATUS_OPENED,
    "clicked": T.STATUS_CLICKED, "replied": T.STATUS_REPLIED, "bounced": T.STATUS_BOUNCED,
    "blocked": T.STATUS_BLOCKED, "spam": T.STATUS_SPAM, "baseline": T.STATUS_BASELINE,
    "simulated": T.STATUS_SIMULATED, "skipped": T.STATUS_SKIPPED, "unknown": T.STATUS_UNKNOWN,
    "unsub": T.STATUS_UNSUB,
}
CHANNELS: Mapping[str, Phrase] = {
    "email": T.CHANNEL_EMAIL, "sms": T.CHANNEL_SMS, "letter": T.CHANNEL_LETTER,
    "call": T.CHANNEL_CALL, "agency": T.CHANNEL_AGENCY,
}
KINDS: Mapping[str, Phrase] = {"call": T.KIND_CALL, "agency": T.KIND_AGENCY}
OUTCOMES: Mapping[str, Phrase] = {
    "promise": T.OUTCOME_PROMISE, "dispute": T.OUTCOME_DISPUTE,
    "no_answer": T.OUTCOME_NO_ANSWER, "paid": T.OUTCOME_PAID,
}
SEVERITIES: Mapping[str, Phrase] = {"error": T.SEVERITY_ERROR, "warning": T.SEVERITY_WARNING}
BOOLEANS: Mapping[str, Phrase] = {"yes": T.YES, "no": T.NO}

#: Other spellings a person may type (normalized), beyond the key and the two phrases.
_ALIASES: Mapping[str, tuple[str, ...]] = {
    "sent": ("envoye", "envoyee"), "failed": ("echoue", "echouee", "erreur"),
    "created": ("creee", "cree", "tache"), "email": ("courriel", "mail"),
    "letter": ("lettre", "courrier_postal", "lrar"), "agency": ("recouvrement", "transmission"),
    "call": ("appel_telephonique", "telephone"), "unknown": ("inconnu", "a_verifier"),
    "unsub": ("desinscrit", "unsubscribe", "desabonnement"),
}


def shown(values: Mapping[str, Phrase], key: str, lang: str) -> str:
    """The word a tab shows for `key` in `lang`; a key the catalog does not know, as it is."""
    phrase = values.get(key)
    return phrase.text(lang) if phrase is not None else key


def choices(values: Mapping[str, Phrase], lang: str) -> tuple[str, ...]:
    """The words a dropdown offers, in `lang`."""
    return tuple(p.text(lang) for p in values.values())


def _words(values: Mapping[str, Phrase]) -> Mapping[str, str]:
    """Every spelling of every key (as written and normalized) -> the key."""
    words: dict[str, str] = {}
    for key, phrase in values.items():
        for text in (phrase.fr, phrase.en, *_ALIASES.get(key, ())):
            words[text] = key
            words[normalize(text)] = key
        words[key] = key
    return words


#: Read once at import: a constant table of the spellings each family accepts (not a cache).
_READ: Mapping[int, Mapping[str, str]] = {
    id(values): _words(values) for values in (STATUSES, CHANNELS, KINDS, OUTCOMES, SEVERITIES, BOOLEANS)
}


def key_of(values: Mapping[str, Phrase], raw: object) -> str:
    """The machine key of a cell written in either language (or as the key itself); a word
    relance does not know comes back normalized, as earlier versions read it."""
    words = _READ.get(id(values)) or _words(values)
    if type(raw) is str:
        found = words.get(raw)
        if found is not None:
            return found
    text = normalize(raw)
    return words.get(text, text)


def offset_text(offset: int) -> str:
    """+7, -5 (a true minus sign is not used: people type a hyphen)."""
    return f"+{offset}" if offset > 0 else str(offset)


def step_label(step: Step, lang: str) -> str:
    """The step as a person reads it: its label and its day, "Relance amiable (J+7)"."""
    label = step.label(lang)
    if step.offset_days == 0:
        return T.STEP_ON_DUE.text(lang, label=label)
    said = T.STEP_AT.text(lang, label=label, offset=offset_text(step.offset_days))
    if label.endswith(")") and "(" in label and said.endswith(")"):  # "Mise en demeure (courrier, J+20)"
        opened = said.rindex(" (")
        return said[: opened - 1] + ", " + said[opened + 2:]
    return said


def scenario_label(scenario: Scenario | None, name: str, lang: str) -> str:
    """A scenario's label; without one, its name made readable ("grands_comptes": "Grands comptes")."""
    label = getattr(scenario, "label_fr" if lang == "fr" else "label_en", "") if scenario else ""
    if label:
        return str(label)
    text = name.replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def qualified_step(scenarios: Mapping[str, Scenario], scenario: str, step: str, lang: str) -> str:
    """The step named with its scenario, "Standard – Relance amiable (J+7)", where steps of
    several scenarios are shown together (the Dashboard, the effectiveness table)."""
    ladder = scenarios.get(scenario)
    found = ladder.step(step) if ladder is not None else None
    name = step_label(found, lang) if found is not None else step
    return T.SCENARIO_STEP.text(lang, scenario=scenario_label(ladder, scenario, lang), step=name)


@dataclass(frozen=True)
class StepNames:
    """Reads a step written in a tab (its name, or its label in either language, with or
    without its day) back to the step's name, scenario by scenario."""

    by_scenario: Mapping[str, Mapping[str, str]]
    scenarios: Mapping[str, Scenario]

    @classmethod
    def of(cls, scenarios: Mapping[str, Scenario]) -> StepNames:
        table: dict[str, dict[str, str]] = {}
        for name, scenario in scenarios.items():
            words: dict[str, str] = {}
            for step in scenario.steps:
                for lang in ("fr", "en"):
                    for text in (step.label(lang), step_label(step, lang)):
                        words.setdefault(normalize(text), step.name)
            for step in scenario.steps:  # a name always wins over another step's label
                words[normalize(step.name)] = step.name
                words[step.name] = step.name
            table[name] = words
        return cls(table, scenarios)

    def name(self, scenario: str, raw: str, key: str, customer_id: str, invoice_ids: tuple[str, ...]) -> str:
        """The step's name; `key` (the row's action key) settles a label renamed since."""
        words = self.by_scenario.get(scenario)
        if words is None:
            return raw
        found = words.get(raw) or words.get(normalize(raw))
        if found is not None:
            return found
        for step in self.scenarios[scenario].steps:
            if action_key(customer_id, invoice_ids, scenario, step.name) == key:
                return step.name
        return raw
