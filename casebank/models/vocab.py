"""Controlled vocabularies of the domain: the allowed values and their display labels.

A member's `label` is its English name, the message id of its translation: search indexes it
and import reads it, whatever the reader's language; pages show `translated_label`."""

from enum import StrEnum

from flask_babel import gettext, lazy_gettext


def N_(text):
    """Marks a label for the catalogues (pybabel extract) without translating it here."""
    return text


class Vocabulary(StrEnum):
    """A StrEnum whose members carry a human label: MEMBER = ("value", "Label")."""

    def __new__(cls, value, label):
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label
        return member

    @property
    def translated_label(self):
        return gettext(self.label)

    @classmethod
    def choices(cls):
        """(value, label) pairs for a form's select, labels in the reader's language."""
        return [(m.value, lazy_gettext(m.label)) for m in cls]

    @classmethod
    def label_of(cls, value):
        """The English label (what search indexes), or the value when it is not a member."""
        return cls(value).label if value in cls._value2member_map_ else value

    @classmethod
    def translated_label_of(cls, value):
        return cls(value).translated_label if value in cls._value2member_map_ else value


class FacilityType(Vocabulary):
    SEAPORT = ("seaport", N_("Seaport"))
    AIRPORT = ("airport", N_("Airport"))
    LAND_BORDER = ("land_border", N_("Land border crossing"))
    POSTAL = ("postal", N_("Postal or courier facility"))
    INLAND = ("inland", N_("Inland (warehouse, market, premises)"))


class ControlPoint(Vocabulary):
    IMPORT = ("import", N_("Import"))
    EXPORT = ("export", N_("Export"))
    TRANSIT = ("transit", N_("Transit or transhipment"))
    INTERNAL = ("internal", N_("Internal (inland enforcement)"))


class TransportMode(Vocabulary):
    SEA = ("sea", N_("Sea"))
    AIR = ("air", N_("Air"))
    ROAD = ("road", N_("Road"))
    RAIL = ("rail", N_("Rail"))
    POSTAL = ("postal", N_("Postal"))
    COURIER = ("courier", N_("Express courier"))


class DetectionMethod(Vocabulary):
    RISK_PROFILING = ("risk_profiling", N_("Risk profiling"))
    XRAY_SCANNING = ("xray_scanning", N_("X-ray or scanning"))
    DOCUMENT_CHECK = ("document_check", N_("Document check"))
    INTELLIGENCE = ("intelligence", N_("Intelligence or tip-off"))
    DETECTOR_DOG = ("detector_dog", N_("Detector dog"))
    RANDOM_CHECK = ("random_check", N_("Random check"))


class CommodityCategory(Vocabulary):
    LIVE_ANIMALS = ("live_animals", N_("Live animals"))
    ANIMAL_PRODUCTS = ("animal_products", N_("Animal parts and products"))
    PLANTS_TIMBER = ("plants_timber", N_("Plants and timber"))
    FISHERIES = ("fisheries", N_("Fish and marine products"))
    ODS = ("ozone_depleting_substances", N_("Ozone-depleting substances"))
    HFCS = ("hfcs", N_("Hydrofluorocarbons (HFCs)"))
    HAZARDOUS_WASTE = ("hazardous_waste", N_("Hazardous waste"))
    E_WASTE = ("e_waste", N_("Electrical and electronic waste"))
    PLASTIC_WASTE = ("plastic_waste", N_("Plastic waste"))
    MERCURY = ("mercury", N_("Mercury"))
    PESTICIDES = ("pesticides", N_("Pesticides"))
    INDUSTRIAL_CHEMICALS = ("industrial_chemicals", N_("Industrial chemicals"))
    POPS = ("pops", N_("Persistent organic pollutants"))
    LMOS = ("lmos", N_("Living modified organisms"))
    CW_PRECURSORS = ("cw_precursors", N_("Chemical weapons precursors"))


class QuantityUnit(Vocabulary):
    KG = ("kg", N_("kg"))
    TONNE = ("t", N_("tonnes"))
    GRAM = ("g", N_("g"))
    LITRE = ("l", N_("litres"))
    CUBIC_METRE = ("m3", N_("m³"))
    PIECES = ("pieces", N_("pieces"))
    SPECIMENS = ("specimens", N_("specimens"))
    CYLINDERS = ("cylinders", N_("cylinders"))
    CONTAINERS = ("containers", N_("containers"))


class CitesAppendix(Vocabulary):
    I = ("I", N_("Appendix I"))  # noqa: E741 - the appendix is called I
    II = ("II", N_("Appendix II"))
    III = ("III", N_("Appendix III"))


class ProsecutionStatus(Vocabulary):
    NONE = ("none", N_("No prosecution"))
    UNDER_INVESTIGATION = ("under_investigation", N_("Under investigation"))
    CHARGED = ("charged", N_("Charged"))
    CONVICTED = ("convicted", N_("Convicted"))
    ACQUITTED = ("acquitted", N_("Acquitted"))
    SETTLED = ("settled", N_("Settled"))
    ADMINISTRATIVE_PENALTY = ("administrative_penalty", N_("Administrative penalty"))


# Outcomes a court or authority reached; used for "cases with a prosecution outcome".
PROSECUTION_OUTCOMES = frozenset(
    {
        ProsecutionStatus.CHARGED,
        ProsecutionStatus.CONVICTED,
        ProsecutionStatus.ACQUITTED,
        ProsecutionStatus.SETTLED,
        ProsecutionStatus.ADMINISTRATIVE_PENALTY,
    }
)


class AccessLevel(Vocabulary):
    PUBLIC = ("public", N_("Public"))
    RESTRICTED = ("restricted", N_("Restricted to enforcement officers"))


class WorkflowStatus(Vocabulary):
    DRAFT = ("draft", N_("Draft"))
    SUBMITTED = ("submitted", N_("Submitted"))
    IN_REVIEW = ("in_review", N_("In review"))
    CHANGES_REQUESTED = ("changes_requested", N_("Changes requested"))
    PUBLISHED = ("published", N_("Published"))
    REJECTED = ("rejected", N_("Rejected"))
    WITHDRAWN = ("withdrawn", N_("Withdrawn"))


class RoleName(Vocabulary):
    OFFICER = ("officer", N_("Enforcement officer"))
    PARTNER = ("partner", N_("Partner organisation member"))
    EDITOR = ("editor", N_("Editor (secretariat)"))
    ADMIN = ("admin", N_("Administrator (secretariat)"))
    JUDGE = ("judge", N_("Award judge"))


class RequestStatus(Vocabulary):
    PENDING = ("pending", N_("Waiting for review"))
    APPROVED = ("approved", N_("Approved"))
    REFUSED = ("refused", N_("Refused"))


class DocumentKind(Vocabulary):
    RISK_INDICATOR = ("risk_indicator", N_("Risk indicators"))
    GUIDANCE = ("guidance", N_("Guidance"))
    REPORT = ("report", N_("Report"))
    LEGAL_TEXT = ("legal_text", N_("Legal text"))
    IMAGE = ("image", N_("Image (photo, X-ray scan)"))
    OTHER = ("other", N_("Other"))


class DocumentStatus(Vocabulary):
    DRAFT = ("draft", N_("Draft"))
    PUBLISHED = ("published", N_("Published"))


class Language(Vocabulary):
    EN = ("en", N_("English"))
    FR = ("fr", N_("French"))
    ES = ("es", N_("Spanish"))


class IndicatorCategory(Vocabulary):
    ROUTING = ("routing", N_("Routing"))
    DOCUMENTS = ("documents", N_("Documents"))
    CONSIGNEE = ("consignee", N_("Consignee and trader"))
    PACKAGING = ("packaging", N_("Packaging and labelling"))
    COMMODITY = ("commodity", N_("Commodity"))
    BEHAVIOUR = ("behaviour", N_("Behaviour"))


class RoundStatus(Vocabulary):
    """The states of an award round (casebank/services/awards/rounds.py moves it)."""

    DRAFT = ("draft", N_("Draft"))
    NOMINATIONS_OPEN = ("nominations_open", N_("Nominations open"))
    JUDGING = ("judging", N_("Judging"))
    CLOSED = ("closed", N_("Closed"))
    ANNOUNCED = ("announced", N_("Announced"))


class AwardCategory(Vocabulary):
    """What an editor gives a nomination once the round is closed."""

    WINNER = ("winner", N_("Winner"))
    RUNNER_UP = ("runner_up", N_("Runner-up"))
    HONOURABLE_MENTION = ("honourable_mention", N_("Honourable mention"))


class FeedbackStatus(Vocabulary):
    """Where a piece of public feedback stands: everything arrives pending."""

    PENDING = ("pending", N_("Pending"))
    APPROVED = ("approved", N_("Approved"))
    REJECTED = ("rejected", N_("Rejected"))
    SPAM = ("spam", N_("Spam"))
