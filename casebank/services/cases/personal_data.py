"""The personal-data check a submitter sees before a case study goes to review: names of
persons, passport and ID numbers, phone numbers, e-mail addresses and vehicle plates in the
fields that will be public.

It prefers precision to recall: a warning the submitter learns to ignore protects nobody, so a
name is reported only next to a cue (a title, a role such as "the driver", "named ... as", an
age, "was arrested"), and species, places, agencies, companies and vessels must not trip it.
What it does not catch is listed in the README ("The personal-data check").
"""

import re
from dataclasses import dataclass
from functools import cache

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext

from casebank import codes
from casebank.models.vocab import N_

# What each kind of finding is, told to the submitter (one whole sentence per kind, so that
# each language can write it its own way).
KIND_SENTENCES = {
    "person_name": N_("“%(text)s” looks like the name of a person."),
    "passport_or_id": N_("“%(text)s” looks like a passport or identity document number."),
    "phone": N_("“%(text)s” looks like a phone number."),
    "email": N_("“%(text)s” looks like an e-mail address."),
    "vehicle_plate": N_("“%(text)s” looks like a vehicle plate."),
}
WHAT_TO_DO = N_(
    "Move it to the restricted notes (read only by vetted enforcement officers), or confirm "
    "that it may be published."
)


@dataclass(frozen=True)
class Finding:
    kind: str
    text: str

    @property
    def advice(self):
        """What was found and what to do, in the reader's language."""
        return f"{gettext(KIND_SENTENCES[self.kind], text=self.text)} {gettext(WHAT_TO_DO)}"


def finding(kind, text):
    return Finding(kind, text)


# --- words -----------------------------------------------------------------------------------

UPPER = "A-ZÀ-ÖØ-Þ"
LOWER = "a-zß-öø-ÿ"
# A word of a person's name: "Georg", "Al-Maamari", "O'Brien", "DUPONT", an initial "F.".
NAME_WORD = rf"(?:[{UPPER}][{LOWER}]+(?:[-'’][{UPPER}]?[{LOWER}]+)*|[{UPPER}]{{2,}}\b|[{UPPER}]\.)"
PARTICLE = r"(?:de|da|del|della|di|du|des|van|von|der|den|bin|binti|bint|al|dos|das|y)"
NAME = rf"{NAME_WORD}(?:\s+(?:{PARTICLE}\s+)?{NAME_WORD}){{0,4}}"


def words(*text):
    return frozenset(w for t in text for w in t.split())


# A capitalised word in one of these makes a sequence an organisation, place or vessel rather
# than a name...
ORGANISATION_OR_PLACE_WORDS = words(
    # organisations, companies and their legal forms
    "Customs Police Port Ports Airport Harbour Harbor Ministry Department Unit Agency Authority",
    "Authorities Service Services Office Bureau Court Tribunal Convention Protocol Secretariat",
    "Republic Kingdom Union Line Lines Shipping Logistics Trading Group Company Corporation",
    "Corp Inc Ltd Limited LLC GmbH AG SA SAS SARL SL SRL BV NV Pte Sdn Bhd Co Holdings Express",
    "Airlines Airways Air Maritime Marine Navy Coast Guard Army Force Forces Border Intelligence",
    "Enforcement Wildlife Conservation National Royal International Global Federal Central",
    "Bank University Institute Foundation Programme Program Network Council Commission",
    "Committee Organization Organisation Association Federation Operation Project Team Board",
    "Prosecutor Prosecutors Prosecution Justice Attorney Public General Directorate Division",
    "Administration Parks Environment Environmental Fisheries Forestry Agriculture Health",
    "Aduana Aduanas Douane Douanes Gendarmerie Policía Policia Fiscalía Ministerio Ministère",
    "Tribunal Cour Juzgado Guardia Direction Dirección Servicio Agence Agencia",
    # places
    "Port Puerto Porto Saint St Ste Santa Santo San São Fort Mount Lake Cape Gulf Bay Sea",
    "Ocean River Island Islands Province Region State District City County Street Road Avenue",
    "Bridge Station Terminal Container Free Zone Park Reserve Zoo Valley North South East West",
    "Northern Southern Eastern Western Upper Lower New Le La Les Los Las El Del Du",
    # vessels, vehicles and trade names
    "MV MT MS KM SS Ship Vessel Flight Hotel Market Toyota Nissan Mercedes",
)
# ... and one of these, the start of a sentence or a date (but "Mrs Theresa May" is a name).
SENTENCE_WORDS = words(
    # sentence starts and function words
    "The A In On At By For From To Of And Or But After Before When While During Since",
    "His Her Their Its This That These Those Officers Customs Dans Après Avant Selon Según",
    "En Con Por Para Un Une Una Il Elle Ils Él Ella He She They It We",
    # months and days, in the three languages
    "January February March April May June July August September October November December",
    "Monday Tuesday Wednesday Thursday Friday Saturday Sunday",
    "Janvier Février Mars Avril Mai Juin Juillet Août Septembre Octobre Novembre Décembre",
    "Enero Febrero Marzo Abril Mayo Junio Julio Agosto Septiembre Octubre Noviembre Diciembre",
)
NOT_NAME_WORDS = ORGANISATION_OR_PLACE_WORDS | SENTENCE_WORDS

# "identified as Peruvian": a nationality is not a name (a few names, "Brian", are lost).
NATIONALITY = re.compile(
    r"(?:ese|ian|ean|ish)$|^(?:Thai|French|Dutch|Swiss|Greek|Afghan|Cuban|Mexican|American|"
    r"Korean|Moroccan|Kenyan|Ugandan|Pakistani|Bangladeshi|Iraqi|Israeli|Somali|Nepali|Omani|"
    r"Yemeni|Saudi|Kuwaiti|Qatari|Emirati|Malawian|Chilean|Dominican|Filipino|Lao|Czech|Slovak)$"
)


@cache
def country_names():
    return frozenset(name.lower() for name in codes.country_names().values())


def either_case(*cue_words):
    """'driver' -> '[dD]river': a cue may start a sentence."""
    return "|".join(f"[{w[0].lower()}{w[0].upper()}]{w[1:]}" for w in cue_words)


TITLES = r"Mr|Mrs|Ms|Miss|Mx|Dr|Prof|Capt|Captain|Sr|Sra|Srta|Mme|Mlle|Messrs"
ROLES = either_case(
    # English
    "suspect", "suspects", "accused", "defendant", "driver", "passenger", "owner", "courier",
    "traveller", "traveler", "smuggler", "trafficker", "businessman", "businesswoman",
    "director", "manager", "captain", "crew member",
    # French
    "prévenu", "prévenue", "accusé", "accusée", "suspecte", "conducteur", "conductrice",
    "chauffeur", "passager", "passagère", "propriétaire", "ressortissant", "ressortissante",
    "gérant", "gérante", "capitaine",
    # Spanish
    "acusado", "acusada", "imputado", "imputada", "sospechoso", "sospechosa", "procesado",
    "procesada", "conductor", "conductora", "chófer", "chofer", "pasajero", "pasajera",
    "propietario", "propietaria", "dueño", "dueña", "ciudadano", "ciudadana", "capitán", "gerente",
)  # fmt: skip
# Lower case only: "National Parks Board" is an agency, "a Chinese national, Li Wei" a cue.
NATIONAL = r"national|nationals|citizen|nacional"
NAMING = (
    r"named|identified|known|alias|aka|a\.k\.a\.|nommée?|dénommée?|identifiée?|llamad[oa]|"
    r"identificad[oa]|conocid[oa]|apodad[oa]"
)
NAMING_AS = r"as|comme|como"
ARREST = (
    r"arrested|charged|convicted|sentenced|fined|detained|jailed|imprisoned|prosecuted|"
    r"acquitted|extradited|indicted|interpellée?|condamnée?|arrêtée?|detenid[oa]|condenad[oa]|"
    r"arrestad[oa]|imputad[oa]"
)
BEEN = r"was|were|has\s+been|had\s+been|a\s+été|fue|ha\s+sido"
AGE = (
    r",\s+(?:aged\s+)?\d{2}(?:\s*,|\s+years?\s+old)"
    r"|,\s+âgée?\s+de\s+\d{2}\s+ans|,\s+de\s+\d{2}\s+años"
)

# (pattern, fewest words, which end of the sequence the cue is on); a title comes first.
TITLE_PATTERNS = [
    (rf"(?<![\w.])(?:{TITLES})\.?\s+(?P<name>{NAME})", 1, "before"),
    (rf"(?<![\w.])M\.\s+(?P<name>{NAME})", 1, "before"),
]
NAME_PATTERNS = [
    *TITLE_PATTERNS,
    (rf"\b(?:{ROLES}|{NATIONAL})[,:]?\s+(?P<name>{NAME})", 2, "before"),
    (
        rf"\b(?:{NAMING})\b(?:[^.;:\n]{{0,40}}?\b(?:{NAMING_AS}))?[,:]?\s+(?P<name>{NAME})",
        1,
        "before",
    ),
    (rf"\b(?:{ARREST})\s+(?P<name>{NAME})", 2, "before"),
    (rf"(?P<name>{NAME})(?:{AGE})", 2, "after"),
    (rf"(?P<name>{NAME}),?\s+(?:{BEEN})\s+(?:{ARREST})\b", 2, "after"),
]
NAME_REGEXES = [
    (re.compile(p), fewest, side, (p, fewest, side) in TITLE_PATTERNS)
    for p, fewest, side in NAME_PATTERNS
]
TOKEN = re.compile(rf"{NAME_WORD}|{PARTICLE}")
# "identified as Isostichopus fuscus": a genus followed by its species epithet.
EPITHET = re.compile(r"\s+[a-z]{3,}(?:us|um|a|is|ae|i|ii|ensis|oides)\b")


def name_in(sequence, fewest, side, after_title=False):
    """The person's name in a capitalised sequence next to a cue, or None.

    After a cue ("the driver Maersk Line") any word of an organisation or a place rejects the
    sequence, and after a cue other than a title, a sentence word or a month too; before one
    ("Royal Malaysian Customs was fined", "In May Li Wei was arrested") the name is what
    follows the last such word."""
    tokens = TOKEN.findall(sequence)
    if side == "before":
        refused = ORGANISATION_OR_PLACE_WORDS if after_title else NOT_NAME_WORDS
        if any(t in refused for t in tokens):
            return None
    else:
        while tokens and any(t in NOT_NAME_WORDS for t in tokens):
            tokens.pop(0)
    while tokens and re.fullmatch(PARTICLE, tokens[0]):
        tokens.pop(0)
    named = [t for t in tokens if not re.fullmatch(PARTICLE, t)]
    if len(named) < fewest or all(t.isupper() or t.endswith(".") for t in named):
        return None  # too short, or acronyms and initials only ("WCO", "U.S.")
    if len(named) == 1 and not after_title and NATIONALITY.search(named[0]):
        return None
    text = " ".join(tokens)
    return None if text.lower() in country_names() else text


def person_names(text):
    for regex, fewest, side, after_title in NAME_REGEXES:
        for match in regex.finditer(text):
            name = name_in(match.group("name"), fewest, side, after_title)
            if not after_title and EPITHET.match(text, match.end("name")):
                continue
            if name:
                start = match.start("name") + match.group("name").index(name.split()[0])
                yield start, start + len(name), name


# --- numbers and addresses -------------------------------------------------------------------

NUMBER_WORDS = r"(?i:nos?\.?|numbers?|num[ée]ro|n[°º]\.?|núm\.?|número|was|is|est|es)"
# "No. E123", "n°12AB3", "number: 123", "#123", "is 123": what may stand between cue and value.
CONNECTOR = rf"(?:[\s:#]*(?<!\w){NUMBER_WORDS}(?![{LOWER}{UPPER}]))*[\s:#]*"
ID_CUE = (
    r"(?i:\b(?:passports?|passeports?|pasaportes?|passaportes?|identity\s+card|ID\s+card|"
    r"national\s+ID|identity\s+document|carte\s+(?:nationale\s+)?d['’]identit[ée]|"
    r"c[ée]dula(?:\s+de\s+identidad)?|DNI|NIE|documento\s+(?:nacional\s+)?de\s+identidad)\b)"
)
ID_VALUE = r"(?P<value>(?=[A-Za-z0-9-]*\d)[A-Za-z0-9][A-Za-z0-9-]{3,}[A-Za-z0-9])\b"
ID_REGEX = re.compile(ID_CUE + CONNECTOR + ID_VALUE)

VEHICLE = r"car|truck|lorry|van|vehicle|bus|trailer|motorcycle|motorbike"
PLATE_CUE = (
    rf"(?i:\b(?:(?:licen[cs]e|number|registration)[\s-]+plates?|plates?(?:\s+numbers?)?|"
    rf"(?:{VEHICLE})(?:'s)?\s+registration(?:\s+numbers?)?|immatricul[ée]e?s?|"
    r"immatriculation|plaques?(?:\s+d['’]immatriculation)?|matr[íi]culas?|placas?|patente)\b)"
)
PLATE_VALUE = r"(?P<value>[A-Z0-9]{1,4}(?:[ -]?[A-Z0-9]{1,4}){0,3})\b"
PLATE_REGEX = re.compile(PLATE_CUE + CONNECTOR + PLATE_VALUE)
MEASURE = re.compile(r"\d+(?:[.,]\d+)?\s*(?:KG|G|T|MM|CM|M|L|ML|KM)")

EMAIL_CANDIDATE = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
PHONE_CUE = re.compile(
    r"(?i:\b(?:tel|tél|phone|telephone|téléphone|teléfono|telefono|mobile|cell(?:phone)?|"
    r"portable|móvil|movil|celular|whatsapp|fax)\b)\.?(?:\s*(?:no\.?|number|n[°º]))?\s*[:.]?\s*"
    r"(?P<value>\+?\(?\d[\d\s().-]{5,}\d)"
)


def id_numbers(text):
    for match in ID_REGEX.finditer(text):
        yield match.start("value"), match.end("value"), match.group("value")


def vehicle_plates(text):
    for match in PLATE_REGEX.finditer(text):
        value = match.group("value")
        alnum = re.sub(r"[^A-Z0-9]", "", value)
        if not (4 <= len(alnum) <= 10) or alnum.isdigit() or alnum.isalpha():
            continue
        if MEASURE.fullmatch(value):  # "plates of 50 KG" is a weight
            continue
        yield match.start("value"), match.end("value"), value


def email_addresses(text):
    for match in EMAIL_CANDIDATE.finditer(text):
        try:
            validate_email(match.group(), check_deliverability=False)
        except EmailNotValidError:
            continue
        yield match.start(), match.end(), match.group()


def phone_numbers(text, region):
    """International numbers anywhere; national ones in the case's country (region) or after
    a cue such as "tel.". Leniency VALID keeps years, HS and CAS codes, quantities and
    reference numbers out: they are not valid numbers of any numbering plan."""
    leniency = phonenumbers.Leniency.VALID
    for match in phonenumbers.PhoneNumberMatcher(text, region, leniency=leniency):
        yield match.start, match.end, match.raw_string
    for match in PHONE_CUE.finditer(text):
        value = match.group("value").strip(" .-")
        if len(re.sub(r"\D", "", value)) >= 7:
            yield match.start("value"), match.start("value") + len(value), value


# --- the check -------------------------------------------------------------------------------


def findings_in(text, region=None):
    """Every finding in one text, in reading order; a stretch of text is reported once (an
    ID number after "passport" is not also a phone number)."""
    detectors = [
        ("email", email_addresses(text)),
        ("passport_or_id", id_numbers(text)),
        ("vehicle_plate", vehicle_plates(text)),
        ("phone", phone_numbers(text, region)),
        ("person_name", person_names(text)),
    ]
    claimed, found = [], []
    for kind, spans in detectors:
        for start, end, value in spans:
            if any(start < e and s < end for s, e in claimed):
                continue
            claimed.append((start, end))
            found.append((start, finding(kind, value)))
    return [f for _, f in sorted(found, key=lambda pair: pair[0])]


def find_personal_data(
    fields: dict[str, str], region: str | None = None
) -> dict[str, list[Finding]]:
    """{field name: findings} for the fields that hold something personal (others are left
    out, so an empty dict means nothing was found). region: the ISO code of the case's
    country, so that phone numbers written in its national format are found too."""
    region = region.upper() if region else None
    result = {}
    for name, text in fields.items():
        found = findings_in(text or "", region)
        if found:
            result[name] = found
    return result


# The public fields of a case study that hold free text; the others hold codes, dates, numbers,
# URLs or choices from a vocabulary (tests/test_personal_data.py keeps the two lists complete).
FREE_TEXT_FIELDS = (
    "title", "summary", "narrative", "place", "species_scientific_name", "species_common_name",
    "substance_name", "concealment_method", "agencies", "goods_disposition", "court", "charges",
    "appeal_notes", "lessons_learned",
)  # fmt: skip


def check_case(record):
    """The personal-data check of a case-study record (the schema's field names): its public
    free-text fields, lists read one item a line, phone numbers also in the case's country."""
    fields = {}
    for name in FREE_TEXT_FIELDS:
        value = record.get(name)
        fields[name] = "\n".join(value) if isinstance(value, list) else value or ""
    return find_personal_data(fields, record.get("country"))
