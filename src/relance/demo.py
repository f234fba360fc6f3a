"""A realistic, reproducible demo book: Atelier Dumas SAS, a French seller of industrial supplies.

`demo_data` builds the rows of every input tab for 18 months of business before `as_of`;
the same seed always gives the same rows (a private `random.Random(seed)`, never the global
generator or the clock). Every step is linear in the number of rows, so 20,000 customers and
100,000 invoices take a few seconds.

What is in it (shares of the tab's rows; "exactly" means a fixed quota, otherwise a rate):
- Customers: exactly 8 % B2C individuals (segment `particuliers`, people's names), exactly 5 %
  English-speaking companies (GB, IE, US; the US ones, 40 % of them, are invoiced in USD), the
  rest French companies with unique names; segments `grands_comptes` (8 % of companies), `risque`
  (60 % of the bad payers), `pme`; terms `30`, `45 FDM`, `60 jours`, `30 FDM` or blank (Settings
  default); exactly 2 % opted out, 2 % paused until 7-75 days after as_of, 2 % without any
  email; 12 % of companies give two addresses (`a;b`), 10 % a cc; customer_type left blank on
  one French company in 33 (Settings default_customer_type: B2B); 3 account managers as owners.
  Each customer pays like a good (mostly on time or early), average (5-40 days late) or bad
  (15-60 days late, some up to 150) payer; a quarter of the bad payers stopped paying 45-240
  days before as_of (nothing due since is paid).
- Invoices: exactly 2 % credit notes (A2025-…, one in six unapplied, the others smaller than the
  earlier invoice of the same customer they apply to); exactly 1 % disputed and 0.5 % on hold
  (among the last 200 days), 0.2 % cancelled; due_date written on 30 % of invoices (the date
  the terms give), 3 % with their own payment terms; pdf_url on 40 %, payment_url on 25 %;
  currency blank (Settings default) on a quarter of the EUR rows. Amounts 80-25,000 incl. VAT
  (no French VAT for foreign customers), log-normal, larger for key accounts, smaller for B2C;
  more invoices in recent months, fewer in August and December.
- Payments: an invoice is paid when its payment date (due date + the customer's delay, moved
  to a working day) falls on or before as_of; 10 % of them in two instalments (the second
  still to come when it falls after as_of, or, one time in twenty, never paid); 5 % of rows
  carry no invoice_id (customer_id only: allocated oldest first); a payment never exceeds its
  invoice; no payment after as_of.
- Disputes: an open one for every disputed invoice, plus resolved ones (20 % as many, at
  least 2) on settled invoices. Promises: open, on 1 % of customers (at least 3) that have
  overdue invoices, promised_date as_of -5..+14 days.

Phone numbers: French landlines are taken in the ranges ARCEP reserves for fiction
(01 99 00, 02 61 91, 03 53 01, 04 65 71, 05 36 49), British and American ones in the Ofcom and
NANP fiction ranges; French mobiles have no valid fiction range, so they are random valid
06/07 numbers. Email domains are under the reserved `.example` top-level domain.
"""

from __future__ import annotations

import datetime as dt
import math
import random
import unicodedata
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from relance.app.jobs import init_workbook
from relance.engine.terms import parse_terms

DEFAULT_AS_OF = dt.date(2026, 11, 23)
WRITE_ONLY_ABOVE = 20_000
"""build_demo_workbook streams the file (openpyxl write-only mode) above this many invoices."""

COMPANY = "Atelier Dumas SAS"
SENDER_EMAIL = "relances@atelier-dumas.example"
LINK_BASE = "https://factures.example.fr"
HISTORY_DAYS = 547  # 18 months

Rows = list[dict[str, object]]

# ---------------------------------------------------------------------------------- word lists

_SURNAMES = (
    "Martin", "Bernard", "Thomas", "Petit", "Robert", "Richard", "Durand", "Dubois", "Moreau",
    "Laurent", "Simon", "Michel", "Lefèvre", "Leroy", "Roux", "David", "Bertrand", "Morel",
    "Fournier", "Girard", "Bonnet", "Dupont", "Lambert", "Fontaine", "Rousseau", "Vincent",
    "Muller", "Faure", "André", "Mercier", "Blanc", "Guérin", "Boyer", "Garnier", "Chevalier",
    "François", "Legrand", "Gauthier", "Garcia", "Perrin", "Robin", "Clément", "Morin",
    "Nicolas", "Henry", "Roussel", "Mathieu", "Masson", "Duval", "Denis", "Dumont", "Lemaire",
    "Noël", "Meyer", "Dufour", "Meunier", "Brun", "Blanchard", "Giraud", "Joly", "Rivière",
    "Lucas", "Brunet", "Gaillard", "Barbier", "Arnaud", "Martinez", "Gérard", "Roche", "Renard",
    "Schmitt", "Roy", "Leroux", "Colin", "Vidal", "Caron", "Picard", "Roger", "Fabre", "Aubert",
    "Lemoine", "Renaud", "Lacroix", "Olivier", "Bourgeois", "Pierre", "Benoît", "Rey",
    "Leclerc", "Payet", "Rolland", "Lecomte", "Lopez", "Dupuy", "Guillot", "Hubert", "Berger",
    "Carpentier", "Sanchez", "Dupuis", "Moulin", "Deschamps", "Huet", "Vasseur", "Boucher",
    "Fleury", "Royer", "Klein", "Jacquet", "Poirier", "Marty", "Aubry", "Guyot", "Carré",
    "Renault", "Charpentier", "Ménard", "Maillard", "Baron", "Bertin", "Bailly", "Hervé",
    "Schneider", "Le Gall", "Collet", "Léger", "Bouvier", "Prévost", "Millet", "Perrot",
    "Le Roux", "Cousin", "Germain", "Breton", "Besson", "Langlois", "Pelletier", "Lévêque",
    "Perrier", "Leblanc", "Lebrun", "Weber", "Mallet", "Hamon", "Jacob", "Monnier", "Michaud",
    "Tessier", "Chauvin", "Da Silva", "Bouchet", "Humbert", "Reynaud", "Cordier", "Pichon",
    "Lejeune", "Gilbert", "Lamy", "Delaunay", "Pasquier", "Carlier", "Laporte", "Benali",
    "Haddad", "Nguyen", "Kowalski", "Ferreira",
)
_FIRST_NAMES = (
    "Jean", "Pierre", "Michel", "Philippe", "Alain", "Nicolas", "Christophe", "Laurent",
    "Julien", "Thomas", "Antoine", "Mathieu", "Sébastien", "Olivier", "Stéphane", "Karim",
    "Mehdi", "Hugo", "Lucas", "Théo", "Yann", "Éric", "François", "Bruno", "Marie", "Nathalie",
    "Isabelle", "Sylvie", "Catherine", "Sophie", "Céline", "Julie", "Camille", "Émilie",
    "Aurélie", "Claire", "Léa", "Manon", "Chloé", "Sandrine", "Valérie", "Anne", "Hélène",
    "Inès", "Fatima", "Nadia", "Élodie", "Laure", "Pauline", "Gaëlle",
)
_ACTIVITIES = (
    "Usinage", "Mécanique", "Chaudronnerie", "Menuiserie", "Métallerie", "Serrurerie",
    "Électricité", "Plomberie", "Transports", "Maintenance", "Bâtiment", "Charpente",
    "Carrosserie", "Découpe Laser", "Soudure", "Outillage", "Hydraulique", "Robotique",
    "Plasturgie", "Emballages", "Fonderie", "Tôlerie", "Peinture Industrielle", "Automatismes",
    "Froid Industriel", "Logistique", "Travaux Publics", "Agencement", "Imprimerie",
    "Forge", "Traitement de Surface", "Levage", "Manutention", "Génie Climatique",
)
_PLACES = (
    "du Rhône", "de l'Ouest", "du Nord", "de Provence", "des Alpes", "de Bretagne", "du Centre",
    "de Normandie", "d'Alsace", "du Val de Loire", "de l'Est", "du Sud-Ouest", "de Picardie",
    "du Jura", "de Savoie", "des Vosges", "du Languedoc", "de Gascogne", "du Forez", "du Dauphiné",
    "de la Loire", "du Beaujolais", "de l'Ain", "d'Auvergne",
)
_BRAND_HEADS = (
    "Techni", "Méca", "Indus", "Proto", "Axi", "Multi", "Euro", "Inter", "Opti", "Hydro",
    "Thermo", "Poly", "Sud", "Atlan", "Armor", "Nova", "Alpha", "Ferro", "Métal", "Elec",
    "Pneu", "Vis", "Acier", "Roul", "Aéro", "Cyber", "Terra", "Lumi",
)
_BRAND_TAILS = (
    "plast", "tec", "pro", "service", "ind", "concept", "fluid", "form", "tech", "lift", "pack",
    "system", "log", "nov", "is", "al", "fix", "mat", "line", "group", "industrie", "sud",
)
_LEGAL_FORMS = (("SAS", 45), ("SARL", 33), ("SA", 7), ("EURL", 6), ("SASU", 7), ("SNC", 2))

# (city, postal code, landline fiction prefix of the region)
_FR_CITIES = (
    ("Paris", "75011", "01 99 00"), ("Paris", "75015", "01 99 00"),
    ("Boulogne-Billancourt", "92100", "01 99 00"), ("Saint-Denis", "93200", "01 99 00"),
    ("Créteil", "94000", "01 99 00"), ("Versailles", "78000", "01 99 00"),
    ("Évry-Courcouronnes", "91000", "01 99 00"), ("Cergy", "95000", "01 99 00"),
    ("Lyon", "69007", "04 65 71"), ("Lyon", "69003", "04 65 71"),
    ("Villeurbanne", "69100", "04 65 71"), ("Vénissieux", "69200", "04 65 71"),
    ("Saint-Étienne", "42000", "04 65 71"), ("Saint-Étienne", "42100", "04 65 71"),
    ("Roanne", "42300", "04 65 71"), ("Grenoble", "38000", "04 65 71"),
    ("Annecy", "74000", "04 65 71"), ("Chambéry", "73000", "04 65 71"),
    ("Valence", "26000", "04 65 71"), ("Bourg-en-Bresse", "01000", "04 65 71"),
    ("Oyonnax", "01100", "04 65 71"), ("Clermont-Ferrand", "63000", "04 65 71"),
    ("Marseille", "13010", "04 65 71"), ("Aix-en-Provence", "13100", "04 65 71"),
    ("Toulon", "83000", "04 65 71"), ("Nice", "06200", "04 65 71"),
    ("Montpellier", "34000", "04 65 71"), ("Nîmes", "30000", "04 65 71"),
    ("Perpignan", "66000", "04 65 71"),
    ("Lille", "59000", "03 53 01"), ("Roubaix", "59100", "03 53 01"),
    ("Valenciennes", "59300", "03 53 01"), ("Amiens", "80000", "03 53 01"),
    ("Reims", "51100", "03 53 01"), ("Metz", "57000", "03 53 01"),
    ("Nancy", "54000", "03 53 01"), ("Strasbourg", "67000", "03 53 01"),
    ("Mulhouse", "68100", "03 53 01"), ("Dijon", "21000", "03 53 01"),
    ("Besançon", "25000", "03 53 01"), ("Troyes", "10000", "03 53 01"),
    ("Nantes", "44000", "02 61 91"), ("Saint-Nazaire", "44600", "02 61 91"),
    ("Rennes", "35000", "02 61 91"), ("Brest", "29200", "02 61 91"),
    ("Lorient", "56100", "02 61 91"), ("Angers", "49000", "02 61 91"),
    ("Cholet", "49300", "02 61 91"), ("Le Mans", "72000", "02 61 91"),
    ("Tours", "37000", "02 61 91"), ("Orléans", "45000", "02 61 91"),
    ("Caen", "14000", "02 61 91"), ("Rouen", "76000", "02 61 91"),
    ("Le Havre", "76600", "02 61 91"),
    ("Bordeaux", "33000", "05 36 49"), ("Mérignac", "33700", "05 36 49"),
    ("Toulouse", "31000", "05 36 49"), ("Pau", "64000", "05 36 49"),
    ("Bayonne", "64100", "05 36 49"), ("Limoges", "87000", "05 36 49"),
    ("Poitiers", "86000", "05 36 49"), ("La Rochelle", "17000", "05 36 49"),
    ("Angoulême", "16000", "05 36 49"), ("Agen", "47000", "05 36 49"),
)
_STREETS = (
    "rue de la République", "avenue Jean Jaurès", "rue Victor Hugo", "boulevard Gambetta",
    "rue des Artisans", "rue de l'Industrie", "chemin des Prés", "allée des Tilleuls",
    "rue Pasteur", "avenue de la Gare", "rue du Commerce", "impasse des Forges", "route de Lyon",
    "rue Ampère", "rue Denis Papin", "avenue Marcel Dassault", "rue des Frères Lumière",
    "ZI des Plaines, rue Gustave Eiffel", "ZA du Moulin", "parc d'activités des Chênes",
    "rue du 8 Mai 1945", "quai de la Loire", "rue Émile Zola", "avenue de l'Europe",
)
_EN_WORDS = (
    "Northbridge", "Harbour", "Redwood", "Summit", "Keystone", "Bluewater", "Ironside",
    "Silverline", "Oakfield", "Westbrook", "Pioneer", "Granite", "Beacon", "Crestview",
    "Riverside", "Lakeshore", "Highland", "Sterling", "Evergreen", "Falcon", "Ashford",
    "Kingsway", "Brightwater", "Copperfield",
)
_EN_TRADES = (
    "Engineering", "Manufacturing", "Industrial Supply", "Tooling", "Fabrication", "Logistics",
    "Components", "Machinery", "Systems", "Controls", "Hydraulics", "Metalworks",
)
_EN_FIRST = ("James", "Oliver", "Emily", "Sarah", "Michael", "Jessica", "David", "Emma",
             "Daniel", "Laura", "Robert", "Hannah", "Siobhan", "Patrick", "Megan")
_EN_LAST = ("Smith", "Johnson", "Brown", "Taylor", "Wilson", "Davies", "Evans", "Walker",
            "Wright", "Thompson", "O'Brien", "Murphy", "Kelly", "Miller", "Anderson")
# country -> (legal forms, cities (city, postal code, phone prefix or ""), currency)
_EN_COUNTRIES: dict[str, tuple[tuple[str, ...], tuple[tuple[str, str, str], ...], str]] = {
    "GB": (("Ltd", "Limited", "plc"), (
        ("Manchester", "M1 2AB", "+44 161 496 0"), ("Birmingham", "B4 6AT", "+44 121 496 0"),
        ("Leeds", "LS1 4DY", "+44 113 496 0"), ("Bristol", "BS1 6QF", "+44 117 496 0"),
        ("London", "EC2A 4NE", "+44 20 7946 0")), "EUR"),
    "IE": (("Ltd", "DAC"), (("Dublin", "D02 X285", ""), ("Cork", "T12 RX2F", ""),
                            ("Galway", "H91 E2K3", "")), "EUR"),
    "US": (("Inc.", "LLC", "Corp."), (
        ("Chicago IL", "60607", "+1 312 555 01"), ("Houston TX", "77002", "+1 713 555 01"),
        ("Boston MA", "02110", "+1 617 555 01"), ("Atlanta GA", "30303", "+1 404 555 01"),
        ("Detroit MI", "48226", "+1 313 555 01")), "USD"),
}
_EN_STREETS = ("Road", "Street", "Avenue", "Lane", "Park", "Way")
_OWNERS = (("Sophie Marchand", 40), ("Karim Benali", 35), ("Julien Roux", 25))
# 06 39 is the fiction range (not a valid mobile number): left out.
_MOBILE_PREFIXES = tuple(p for p in range(610, 690) if p != 639) + tuple(range(750, 790))
_MAIL_PROVIDERS = ("courriel.example", "messagerie.example", "webmail.example", "boite.example")
_TERMS = (("30", 35), ("45 FDM", 20), ("60 jours", 15), ("30 FDM", 20), ("", 10))
_TERMS_BIG = (("60 jours", 45), ("45 FDM", 35), ("30 FDM", 20))
_REASONS = {
    "fr": ("Marchandise non conforme", "Livraison incomplète", "Erreur de prix",
           "Facture en double", "Colis endommagé", "Bon de commande manquant",
           "Quantité facturée supérieure à la quantité livrée", "Remise non appliquée"),
    "en": ("Goods not as ordered", "Incomplete delivery", "Wrong price", "Duplicate invoice",
           "Damaged parcel", "Missing purchase order", "Billed quantity above delivered quantity",
           "Discount not applied"),
}
_PROMISE_SOURCES = {"fr": ("téléphone", "email", "portail"), "en": ("phone", "email", "portal")}
_YES = {"fr": "oui", "en": "yes"}

_CENT = Decimal("0.01")
_VAT = Decimal("1.20")


# ------------------------------------------------------------------------------- model records


@dataclass(slots=True)
class _Customer:
    id: str
    name: str
    kind: str  # fr | b2c | GB | IE | US
    segment: str
    habit: str  # good | average | bad
    currency: str
    terms: str
    weight: float
    row: dict[str, object]
    stopped_paying: dt.date | None = None  # a customer in difficulty: nothing due since is paid


@dataclass(slots=True, eq=False)
class _Invoice:
    customer: _Customer
    issue: dt.date
    amount: Decimal
    credit_note: bool = False
    target: _Invoice | None = None  # for a credit note: the invoice it applies to (or None)
    credits: list[_Invoice] = field(default_factory=list)  # credit notes applied to it
    terms: str = ""
    due: dt.date | None = None
    status: str = ""
    id: str = ""
    paid: Decimal = Decimal(0)
    currency: str = ""


# ------------------------------------------------------------------------------------- helpers


def _weighted(rng: random.Random, pairs: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([p[0] for p in pairs], weights=[p[1] for p in pairs])[0]


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    out = "".join(ch if ch.isalnum() else "-" for ch in ascii_text)
    while "--" in out:
        out = out.replace("--", "-")
    return out.strip("-")


def _ascii_lower(text: str) -> str:
    return _slug(text).replace("-", "")


def _cents(value: float) -> Decimal:
    return Decimal(round(value * 100)).scaleb(-2)


def _weekday_back(day: dt.date) -> dt.date:
    """Saturday and Sunday move back to Friday (invoices are issued on working days)."""
    wd = day.weekday()
    return day - dt.timedelta(days=wd - 4) if wd >= 5 else day


def _weekday_forward(day: dt.date) -> dt.date:
    """Bank credits land on working days: Saturday and Sunday move to Monday."""
    wd = day.weekday()
    return day + dt.timedelta(days=7 - wd) if wd >= 5 else day


def _fr_mobile(rng: random.Random) -> str:
    p = rng.choice(_MOBILE_PREFIXES)
    n = rng.randrange(1_000_000)
    return f"0{p // 100} {p % 100:02d} {n // 10000:02d} {n // 100 % 100:02d} {n % 100:02d}"


def _fr_landline(rng: random.Random, prefix: str) -> str:
    n = rng.randrange(10_000)
    return f"{prefix} {n // 100:02d} {n % 100:02d}"


# ------------------------------------------------------------------------------------ customers


def _french_company(rng: random.Random, city: str) -> tuple[str, str]:
    """(full name with its legal form, the name without it, for the email domain)."""
    surname = rng.choice(_SURNAMES)
    activity = rng.choice(_ACTIVITIES)
    pattern = rng.randrange(8)
    if pattern == 0:
        base = f"{activity} {surname}"
    elif pattern == 1:
        base = f"{surname} {activity}"
    elif pattern == 2:
        base = f"{activity} {rng.choice(_PLACES)}"
    elif pattern == 3:
        base = rng.choice(_BRAND_HEADS) + rng.choice(_BRAND_TAILS)
    elif pattern == 4:
        base = f"Établissements {surname}"
    elif pattern == 5:
        base = f"{surname} et Fils"
    elif pattern == 6:
        base = f"{rng.choice(_BRAND_HEADS)}{rng.choice(_BRAND_TAILS)} {activity}"
    else:
        base = f"{surname} {activity} {city}"
    return f"{base} {_weighted(rng, _LEGAL_FORMS)}", base


def _company(rng: random.Random, kind: str, city: str) -> tuple[str, str]:
    if kind == "fr":
        return _french_company(rng, city)
    base = f"{rng.choice(_EN_WORDS)} {rng.choice(_EN_TRADES)}"
    return f"{base} {rng.choice(_EN_COUNTRIES[kind][0])}", base


def _customers(rng: random.Random, n: int, as_of: dt.date, lang: str) -> list[_Customer]:
    n_b2c = round(n * 0.08)
    n_en = round(n * 0.05)
    n_us = math.ceil(n_en * 0.4)
    n_gb = round((n_en - n_us) * 0.6)
    kinds = (["b2c"] * n_b2c + ["US"] * n_us + ["GB"] * n_gb + ["IE"] * (n_en - n_us - n_gb)
             + ["fr"] * (n - n_b2c - n_en))
    rng.shuffle(kinds)
    width = max(5, len(str(n)))
    owners = [o[0] for o in _OWNERS]
    owner_weights = [o[1] for o in _OWNERS]
    seen: set[str] = set()
    out: list[_Customer] = []
    for i, kind in enumerate(kinds, start=1):
        cid = f"C{i:0{width}d}"
        first, last = rng.choice(_FIRST_NAMES), rng.choice(_SURNAMES)
        contact = f"{first} {last}"
        email: list[str] = []
        cc = ""
        currency = "EUR"
        if kind == "fr" or kind == "b2c":
            city, postal, landline_prefix = rng.choice(_FR_CITIES)
            address = f"{rng.randint(1, 180)} {rng.choice(_STREETS)}"
            country = "FR"
            language = "fr"
        else:
            city, postal, landline_prefix = rng.choice(_EN_COUNTRIES[kind][1])
            address = f"{rng.randint(1, 250)} {rng.choice(_EN_WORDS)} {rng.choice(_EN_STREETS)}"
            country = kind
            language = "en"
            currency = _EN_COUNTRIES[kind][2]
            first, last = rng.choice(_EN_FIRST), rng.choice(_EN_LAST)
            contact = f"{first} {last}"

        if kind == "b2c":
            name = contact
            segment = "particuliers"
            habit = _weighted(rng, (("good", 70), ("average", 22), ("bad", 8)))
            terms = rng.choice(("30", ""))
            weight = 0.25
            local = f"{_ascii_lower(first)}.{_ascii_lower(last)}"
            if rng.random() < 0.4:
                local += str(rng.randint(1, 99))
            email.append(f"{local}@{rng.choice(_MAIL_PROVIDERS)}")
            phone = _fr_mobile(rng) if rng.random() < 0.85 else _fr_landline(rng, landline_prefix)
        else:
            name, base = _company(rng, kind, city)
            for _ in range(4):
                if name not in seen:
                    break
                name, base = _company(rng, kind, city)
            if name in seen:  # the word lists are exhausted: the city tells them apart
                base = f"{base} {city}"
                name = f"{base} {name.rsplit(' ', 1)[1]}"
            seen.add(name)
            big = rng.random() < 0.08
            if big:
                segment = "grands_comptes"
                habit = _weighted(rng, (("good", 30), ("average", 60), ("bad", 10)))
                terms = _weighted(rng, _TERMS_BIG)
                weight = rng.lognormvariate(math.log(8), 0.5)
            else:
                habit = _weighted(rng, (("good", 45), ("average", 40), ("bad", 15)))
                segment = "risque" if habit == "bad" and rng.random() < 0.6 else "pme"
                terms = _weighted(rng, _TERMS) if kind == "fr" else _weighted(
                    rng, (("30", 60), ("45 FDM", 20), ("60 jours", 20)))
                weight = rng.lognormvariate(math.log(1.5), 0.8)
            domain = _slug(base) + ".example"
            if language == "fr":
                boxes = ("compta", "comptabilite", "factures", "fournisseurs", "contact")
            else:
                boxes = ("accounts", "accounts.payable", "ap", "invoices", "finance")
            personal = f"{_ascii_lower(first)}.{_ascii_lower(last)}@{domain}"
            roll = rng.random()
            if roll < 0.70:
                email.append(f"{rng.choice(boxes)}@{domain}")
            elif roll < 0.88:
                email.append(personal)
            else:  # two addresses
                email += [f"{rng.choice(boxes)}@{domain}", personal]
            if rng.random() < 0.10:
                cc = f"{'direction' if language == 'fr' else 'cfo'}@{domain}"
            if kind == "fr":
                phone = (_fr_mobile(rng) if rng.random() < 0.2
                         else _fr_landline(rng, landline_prefix))
            elif landline_prefix:  # GB and US numbers of the fiction ranges
                digits = 2 if kind == "US" else 3
                phone = f"{landline_prefix}{rng.randrange(10**digits):0{digits}d}"
            else:
                phone = ""

        if kind in ("GB", "IE", "US"):
            owner = "Sophie Marchand"
        else:
            owner = rng.choices(owners, weights=owner_weights)[0]
        if kind != "b2c":
            rng.random()  # the draw that once left 15 % of the types blank: later rows stay the same
        customer_type: str | None = "B2C" if kind == "b2c" else "B2B"
        row: dict[str, object] = {
            "customer_id": cid,
            "name": name,
            "email": ";".join(email) or None,
            "cc": cc or None,
            "phone": phone or None,
            "language": language,
            "customer_type": customer_type,
            "segment": segment,
            "scenario": None,
            "payment_terms": terms or None,
            "opt_out": None,
            "paused_until": None,
            "contact_name": contact,
            "address": address,
            "postal_code": postal,
            "city": city,
            "country": country,
            "owner": owner,
        }
        stopped = None
        if habit == "bad" and rng.random() < 0.25:
            stopped = as_of - dt.timedelta(days=rng.randint(45, 240))
        out.append(_Customer(cid, name, kind, segment, habit, currency, terms, weight, row,
                             stopped))

    # A few French companies with a blank customer_type (1 in 33, from the 8th): each is a
    # warning of the Anomalies tab, and Settings default_customer_type (B2B) applies. Chosen by
    # position, not drawn, so the rest of the book does not move.
    for c in [c for c in out if c.kind == "fr"][7::33]:
        c.row["customer_type"] = None
    # Exactly 2 % each (at least one in a book of 20 customers or more).
    n_flag = max(1, round(n * 0.02)) if n >= 20 else 0
    for c in rng.sample(out, n_flag):
        c.row["opt_out"] = _YES[lang]
    for c in rng.sample(out, n_flag):
        c.row["paused_until"] = as_of + dt.timedelta(days=rng.randint(7, 75))
    for c in rng.sample(out, n_flag):  # no email at all: letters, calls and SMS only
        c.row["email"] = c.row["cc"] = None
    return out


# ------------------------------------------------------------------------------------- invoices


def _amount(rng: random.Random, customer: _Customer) -> Decimal:
    if customer.kind == "b2c":
        median, sigma = 180.0, 0.7
    elif customer.segment == "grands_comptes":
        median, sigma = 2500.0, 0.9
    else:
        median, sigma = 700.0, 0.9
    vat = customer.kind in ("fr", "b2c")  # exports and intra-EU sales carry no French VAT
    for _ in range(8):
        net = _cents(rng.lognormvariate(math.log(median), sigma))
        gross = (net * _VAT).quantize(_CENT, rounding=ROUND_HALF_UP) if vat else net
        if Decimal(80) <= gross <= Decimal(25000):
            return gross
    return min(max(gross, Decimal("80.00")), Decimal("25000.00"))


_MONTH_FACTOR = {8: 0.6, 12: 0.85}  # summer closing in August, a quieter December


def _issue_date(rng: random.Random, start: dt.date, span: int) -> dt.date:
    # Business grows: a uniform base plus a share rising linearly towards as_of.
    while True:
        offset = (rng.randint(0, span) if rng.random() < 0.55
                  else round(rng.triangular(0, span, span)))
        day = start + dt.timedelta(days=offset)
        factor = _MONTH_FACTOR.get(day.month)
        if factor is None or rng.random() < factor:
            break
    back = _weekday_back(day)
    return back if back >= start and rng.random() < 0.92 else day


def _invoices(
    rng: random.Random, customers: list[_Customer], n: int, as_of: dt.date
) -> list[_Invoice]:
    if n and not customers:
        raise ValueError("invoices need at least one customer")
    start = as_of - dt.timedelta(days=HISTORY_DAYS)
    n_credit = round(n * 0.02)
    n_regular = n - n_credit
    if n_regular == 0:  # only credit notes asked for: make them all regular invoices instead
        n_regular, n_credit = n, 0
    cum: list[float] = []
    total = 0.0
    for c in customers:
        total += c.weight
        cum.append(total)
    owners = rng.choices(customers, cum_weights=cum, k=n_regular) if n_regular else []
    regular: list[_Invoice] = []
    for customer in owners:
        inv = _Invoice(customer, _issue_date(rng, start, HISTORY_DAYS), _amount(rng, customer))
        inv.currency = customer.currency
        inv.terms = customer.terms
        regular.append(inv)

    credits: list[_Invoice] = []
    for _ in range(n_credit):
        target = None
        for _try in range(20):
            cand = rng.choice(regular)
            if not cand.credits and cand.issue + dt.timedelta(days=3) <= as_of:
                target = cand
                break
        if target is None:  # a tiny book: an unapplied credit of a random customer
            target = rng.choice(regular)
        day = _weekday_back(min(as_of, target.issue + dt.timedelta(days=rng.randint(3, 60))))
        day = max(day, target.issue)
        unapplied = rng.random() < 1 / 6
        fraction = rng.uniform(0.05, 0.9)
        amount = max(_CENT, (target.amount * Decimal(str(round(fraction, 3)))).quantize(
            _CENT, rounding=ROUND_HALF_UP))
        if amount >= target.amount:
            amount = (target.amount / 2).quantize(_CENT, rounding=ROUND_HALF_UP)
        note = _Invoice(target.customer, day, amount, credit_note=True,
                        target=None if unapplied else target)
        note.currency = target.currency
        if not unapplied:
            target.credits.append(note)
        credits.append(note)

    everything = regular + credits
    # Chronological numbering, one sequence a year, F for invoices and A for credit notes.
    everything.sort(key=lambda inv: (inv.issue, inv.credit_note))
    width = max(5, len(str(n)))
    counters: dict[tuple[str, int], int] = {}
    for inv in everything:
        prefix = "A" if inv.credit_note else "F"
        seq = counters.get((prefix, inv.issue.year), 0) + 1
        counters[(prefix, inv.issue.year)] = seq
        inv.id = f"{prefix}{inv.issue.year}-{seq:0{width}d}"

    for inv in regular:
        if rng.random() < 0.03:  # this order was negotiated on its own terms
            inv.terms = rng.choice(("60 jours", "45 FDM", "30"))
        parsed = parse_terms(inv.terms or "30")
        assert parsed is not None
        inv.due = parsed.due_date(inv.issue)
    return everything


def _statuses(rng: random.Random, invoices: list[_Invoice], as_of: dt.date) -> None:
    regular = [i for i in invoices if not i.credit_note and not i.credits]
    n = len(invoices)
    recent = [i for i in regular if i.issue >= as_of - dt.timedelta(days=200)]
    n_disputed = min(len(recent), round(n * 0.01))
    disputed = rng.sample(recent, n_disputed)
    for inv in disputed:
        inv.status = "disputed"
    rest = [i for i in recent if not i.status]
    for inv in rng.sample(rest, min(len(rest), round(n * 0.005))):
        inv.status = "hold"
    pool = [i for i in regular if not i.status]
    n_cancelled = max(1 if n >= 200 else 0, round(n * 0.002))
    for inv in rng.sample(pool, min(len(pool), n_cancelled)):
        inv.status = "cancelled"


# ------------------------------------------------------------------------------------- payments


def _credited(inv: _Invoice, on: dt.date | None = None) -> Decimal:
    """The credit notes applied to an invoice (those dated on or before `on`, if given)."""
    return sum((c.amount for c in inv.credits if on is None or c.issue <= on), Decimal(0))


def _delay(rng: random.Random, habit: str) -> int | None:
    """Days between due date and payment; None: this invoice will not be paid."""
    r = rng.random()
    if habit == "good":
        if r < 0.002:
            return None
        return rng.randint(-8, 2) if r < 0.70 else rng.randint(3, 12)
    if habit == "average":
        if r < 0.005:
            return None
        return rng.randint(-3, 0) if r < 0.25 else rng.randint(5, 40)
    if r < 0.02:
        return None
    if r < 0.12:
        return rng.randint(-2, 0)
    return rng.randint(15, 60) if r < 0.88 else rng.randint(61, 150)


def _reference(rng: random.Random, customer: _Customer, invoice_id: str) -> str:
    label = _slug(customer.name).replace("-", " ").upper()[:24]
    if customer.kind == "b2c":
        return rng.choice((f"CB {label}", f"CHQ {rng.randrange(10**7):07d}", f"VIR {label}"))
    if customer.kind in ("GB", "IE", "US"):
        return f"WIRE {label} {invoice_id}".strip()
    roll = rng.random()
    if roll < 0.65:
        return f"VIR SEPA {label} {invoice_id}".strip()
    if roll < 0.85:
        return f"VIR {label}"
    if roll < 0.95:
        return f"CHQ {rng.randrange(10**7):07d}"
    return f"LCR {label}"


def _payments(rng: random.Random, invoices: list[_Invoice], as_of: dt.date) -> Rows:
    rows: list[tuple[dt.date, int, dict[str, object]]] = []

    def pay(inv: _Invoice, day: dt.date, amount: Decimal) -> None:
        inv.paid += amount
        unallocated = rng.random() < 0.05
        customer = inv.customer
        rows.append((day, len(rows), {
            "date": day,
            "amount": amount,
            "invoice_id": None if unallocated else inv.id,
            "customer_id": customer.id if unallocated or rng.random() < 0.5 else None,
            "currency": inv.currency if (inv.currency != "EUR" or rng.random() < 0.7) else None,
            "reference": _reference(rng, customer, "" if unallocated else inv.id),
        }))

    for inv in invoices:
        if inv.credit_note or inv.status in ("cancelled", "disputed", "hold"):
            continue
        assert inv.due is not None
        delay = _delay(rng, inv.customer.habit)
        stopped = inv.customer.stopped_paying
        if delay is None or (stopped is not None and inv.due >= stopped):
            continue
        day = _weekday_forward(max(inv.issue, inv.due + dt.timedelta(days=delay)))
        if day > as_of:
            continue
        due_amount = inv.amount - _credited(inv, day)
        if due_amount <= 0:
            continue
        if rng.random() < 0.10 and due_amount >= Decimal(40):  # two instalments
            first = (due_amount * Decimal(str(round(rng.uniform(0.3, 0.7), 2)))).quantize(
                _CENT, rounding=ROUND_HALF_UP)
            pay(inv, day, first)
            second_day = _weekday_forward(day + dt.timedelta(days=rng.randint(10, 45)))
            if second_day <= as_of and rng.random() < 0.95:
                pay(inv, second_day, due_amount - first)
        else:
            pay(inv, day, due_amount)
    rows.sort(key=lambda r: (r[0], r[1]))
    return [r[2] for r in rows]


# ------------------------------------------------------------------------ disputes and promises


def _disputes(rng: random.Random, invoices: list[_Invoice], as_of: dt.date, lang: str) -> Rows:
    reasons = _REASONS[lang]
    rows: Rows = []
    for inv in invoices:
        if inv.status == "disputed":
            opened = min(as_of, inv.issue + dt.timedelta(days=rng.randint(2, 45)))
            rows.append({"invoice_id": inv.id, "opened": opened, "reason": rng.choice(reasons),
                         "status": "open", "resolved_on": None})
    settled = [i for i in invoices if not i.credit_note and not i.status and i.paid > 0
               and i.paid >= i.amount - _credited(i)]
    n_resolved = min(len(settled), max(2, round(len(rows) * 0.2)) if invoices else 0)
    for inv in rng.sample(settled, n_resolved):
        opened = inv.issue + dt.timedelta(days=rng.randint(2, 20))
        resolved = min(as_of, opened + dt.timedelta(days=rng.randint(3, 30)))
        rows.append({"invoice_id": inv.id, "opened": opened, "reason": rng.choice(reasons),
                     "status": "resolved", "resolved_on": resolved})
    rows.sort(key=lambda r: (str(r["opened"]), str(r["invoice_id"])))
    return rows


def _promises(rng: random.Random, invoices: list[_Invoice], n_customers: int, as_of: dt.date,
              lang: str) -> Rows:
    overdue: dict[str, list[_Invoice]] = {}
    for inv in invoices:  # invoices are in issue order: each customer's list is oldest first
        if inv.credit_note or inv.status or inv.due is None or inv.due >= as_of:
            continue
        if inv.amount - inv.paid - _credited(inv) > 0:
            overdue.setdefault(inv.customer.id, []).append(inv)
    candidates = list(overdue)
    k = min(len(candidates), max(3, round(n_customers * 0.01)))
    rows: Rows = []
    for cid in rng.sample(candidates, k):
        chosen = overdue[cid][: rng.randint(1, 3)]
        balance = sum((i.amount - i.paid - _credited(i)
                       for i in chosen), Decimal(0))
        amount = balance if rng.random() < 0.7 else max(
            _CENT, (balance / 2).quantize(Decimal(10), rounding=ROUND_HALF_UP).quantize(_CENT))
        rows.append({
            "customer_id": cid,
            "invoice_ids": ";".join(i.id for i in chosen),
            "promised_date": as_of + dt.timedelta(days=rng.randint(-5, 14)),
            "amount": amount,
            "source": rng.choice(_PROMISE_SOURCES[lang]),
            "status": "open",
        })
    rows.sort(key=lambda r: str(r["customer_id"]))
    return rows


# ---------------------------------------------------------------------------------- public API


def demo_settings(lang: str = "fr") -> Rows:
    sender = ("Atelier Dumas – Service comptabilité" if lang == "fr"
              else "Atelier Dumas – Accounts receivable")
    values = {
        "company_name": COMPANY,
        "company_address": "27 rue des Forges; 69007 Lyon",
        "company_city": "Lyon",
        "company_phone": "04 65 71 20 40",
        # a fictitious SIREN (its Luhn key holds) and the VAT number it gives
        "legal_mentions": "SAS au capital de 150 000 € – RCS Lyon 812 345 676 – TVA FR19 812345676",
        "signatory_name": "Claire Dumas",
        "signatory_title": "Présidente" if lang == "fr" else "President",
        "iban": "FR76 3000 6000 0112 3456 7890 189",  # the usual French example IBAN (checksum valid)
        "bic": "AGRIFRPP",
        "default_customer_type": "B2B",
        "sender_email": SENDER_EMAIL,
        "sender_name": sender,
        "reply_to": "comptabilite@atelier-dumas.example",
        "default_currency": "EUR",
        "locale": "fr_FR" if lang == "fr" else "en_GB",  # the English demo speaks English
        "timezone": "Europe/Paris",
        "default_payment_terms": "30",
        "default_scenario": "standard",
        "privacy_url": "https://www.atelier-dumas.example/confidentialite",
    }
    return [{"key": k, "value": v} for k, v in values.items()]


def demo_data(
    seed: int = 7,
    customers: int = 300,
    invoices: int = 4000,
    as_of: dt.date = DEFAULT_AS_OF,
    lang: str = "fr",
) -> dict[str, list[dict[str, object]]]:
    """The rows of a demo book, keyed by tab key then column key (see the module docstring).

    Deterministic for a seed; `invoices` counts every row of the Invoices tab, credit notes
    included. Money is Decimal with 2 decimals, dates are datetime.date.
    """
    if lang not in ("fr", "en"):
        raise ValueError(f"lang must be 'fr' or 'en', not {lang!r}")
    if customers < 0 or invoices < 0:
        raise ValueError("customers and invoices must be >= 0")
    rng = random.Random(seed)
    people = _customers(rng, customers, as_of, lang)
    bills = _invoices(rng, people, invoices, as_of)
    _statuses(rng, bills, as_of)
    payments = _payments(rng, bills, as_of)

    invoice_rows: Rows = []
    for inv in bills:
        due_written = (inv.due if not inv.credit_note and rng.random() < 0.30 else None)
        pdf = rng.random() < 0.40
        pay_link = not inv.credit_note and rng.random() < 0.25
        currency = inv.currency if (inv.currency != "EUR" or rng.random() < 0.75) else None
        invoice_rows.append({
            "invoice_id": inv.id,
            "customer_id": inv.customer.id,
            "issue_date": inv.issue,
            "due_date": due_written,
            "amount": inv.amount,
            "currency": currency,
            "kind": "credit_note" if inv.credit_note else "invoice",
            "applies_to": inv.target.id if inv.target is not None else None,
            "paid_amount": None,
            "payment_terms": (inv.terms if inv.terms != inv.customer.terms else None)
            if not inv.credit_note else None,
            "status": inv.status or None,
            "pdf_url": f"{LINK_BASE}/{inv.id}.pdf" if pdf else None,
            "payment_url": f"{LINK_BASE}/payer/{inv.id}" if pay_link else None,
        })
    return {
        "invoices": invoice_rows,
        "customers": [c.row for c in people],
        "payments": payments,
        "promises": _promises(rng, bills, customers, as_of, lang),
        "disputes": _disputes(rng, bills, as_of, lang),
        "settings": demo_settings(lang),
    }


def build_demo_workbook(
    path: Path,
    seed: int = 7,
    customers: int = 300,
    invoices: int = 4000,
    as_of: dt.date = DEFAULT_AS_OF,
    lang: str = "fr",
) -> dict[str, list[dict[str, object]]]:
    """demo_data written with init_workbook (streamed above WRITE_ONLY_ABOVE invoices).
    Returns the rows written."""
    data = demo_data(seed=seed, customers=customers, invoices=invoices, as_of=as_of, lang=lang)
    init_workbook(Path(path), lang=lang, data=data, write_only=invoices > WRITE_ONLY_ABOVE)
    return data


__all__ = ["build_demo_workbook", "demo_data", "demo_settings"]
