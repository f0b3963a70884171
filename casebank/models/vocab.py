"""Controlled vocabularies of the domain: the allowed values and their display labels."""

from enum import StrEnum


class Vocabulary(StrEnum):
    """A StrEnum whose members carry a human label: MEMBER = ("value", "Label")."""

    def __new__(cls, value, label):
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label
        return member

    @classmethod
    def choices(cls):
        return [(m.value, m.label) for m in cls]

    @classmethod
    def label_of(cls, value):
        return cls(value).label if value in cls._value2member_map_ else value


class FacilityType(Vocabulary):
    SEAPORT = ("seaport", "Seaport")
    AIRPORT = ("airport", "Airport")
    LAND_BORDER = ("land_border", "Land border crossing")
    POSTAL = ("postal", "Postal or courier facility")
    INLAND = ("inland", "Inland (warehouse, market, premises)")


class ControlPoint(Vocabulary):
    IMPORT = ("import", "Import")
    EXPORT = ("export", "Export")
    TRANSIT = ("transit", "Transit or transhipment")
    INTERNAL = ("internal", "Internal (inland enforcement)")


class TransportMode(Vocabulary):
    SEA = ("sea", "Sea")
    AIR = ("air", "Air")
    ROAD = ("road", "Road")
    RAIL = ("rail", "Rail")
    POSTAL = ("postal", "Postal")
    COURIER = ("courier", "Express courier")


class DetectionMethod(Vocabulary):
    RISK_PROFILING = ("risk_profiling", "Risk profiling")
    XRAY_SCANNING = ("xray_scanning", "X-ray or scanning")
    DOCUMENT_CHECK = ("document_check", "Document check")
    INTELLIGENCE = ("intelligence", "Intelligence or tip-off")
    DETECTOR_DOG = ("detector_dog", "Detector dog")
    RANDOM_CHECK = ("random_check", "Random check")


class CommodityCategory(Vocabulary):
    LIVE_ANIMALS = ("live_animals", "Live animals")
    ANIMAL_PRODUCTS = ("animal_products", "Animal parts and products")
    PLANTS_TIMBER = ("plants_timber", "Plants and timber")
    FISHERIES = ("fisheries", "Fish and marine products")
    ODS = ("ozone_depleting_substances", "Ozone-depleting substances")
    HFCS = ("hfcs", "Hydrofluorocarbons (HFCs)")
    HAZARDOUS_WASTE = ("hazardous_waste", "Hazardous waste")
    E_WASTE = ("e_waste", "Electrical and electronic waste")
    PLASTIC_WASTE = ("plastic_waste", "Plastic waste")
    MERCURY = ("mercury", "Mercury")
    PESTICIDES = ("pesticides", "Pesticides")
    INDUSTRIAL_CHEMICALS = ("industrial_chemicals", "Industrial chemicals")
    POPS = ("pops", "Persistent organic pollutants")
    LMOS = ("lmos", "Living modified organisms")
    CW_PRECURSORS = ("cw_precursors", "Chemical weapons precursors")


class QuantityUnit(Vocabulary):
    KG = ("kg", "kg")
    TONNE = ("t", "tonnes")
    GRAM = ("g", "g")
    LITRE = ("l", "litres")
    CUBIC_METRE = ("m3", "m³")
    PIECES = ("pieces", "pieces")
    SPECIMENS = ("specimens", "specimens")
    CYLINDERS = ("cylinders", "cylinders")
    CONTAINERS = ("containers", "containers")


class CitesAppendix(Vocabulary):
    I = ("I", "Appendix I")  # noqa: E741 - the appendix is called I
    II = ("II", "Appendix II")
    III = ("III", "Appendix III")


class ProsecutionStatus(Vocabulary):
    NONE = ("none", "No prosecution")
    UNDER_INVESTIGATION = ("under_investigation", "Under investigation")
    CHARGED = ("charged", "Charged")
    CONVICTED = ("convicted", "Convicted")
    ACQUITTED = ("acquitted", "Acquitted")
    SETTLED = ("settled", "Settled")
    ADMINISTRATIVE_PENALTY = ("administrative_penalty", "Administrative penalty")


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
    PUBLIC = ("public", "Public")
    RESTRICTED = ("restricted", "Restricted to enforcement officers")


class WorkflowStatus(Vocabulary):
    DRAFT = ("draft", "Draft")
    SUBMITTED = ("submitted", "Submitted")
    IN_REVIEW = ("in_review", "In review")
    CHANGES_REQUESTED = ("changes_requested", "Changes requested")
    PUBLISHED = ("published", "Published")
    REJECTED = ("rejected", "Rejected")
    WITHDRAWN = ("withdrawn", "Withdrawn")


class RoleName(Vocabulary):
    OFFICER = ("officer", "Enforcement officer")
    PARTNER = ("partner", "Partner organisation member")
    EDITOR = ("editor", "Editor (secretariat)")
    ADMIN = ("admin", "Administrator (secretariat)")


class RequestStatus(Vocabulary):
    PENDING = ("pending", "Waiting for review")
    APPROVED = ("approved", "Approved")
    REFUSED = ("refused", "Refused")


class DocumentKind(Vocabulary):
    RISK_INDICATOR = ("risk_indicator", "Risk indicators")
    GUIDANCE = ("guidance", "Guidance")
    REPORT = ("report", "Report")
    LEGAL_TEXT = ("legal_text", "Legal text")
    IMAGE = ("image", "Image (photo, X-ray scan)")
    OTHER = ("other", "Other")


class DocumentStatus(Vocabulary):
    DRAFT = ("draft", "Draft")
    PUBLISHED = ("published", "Published")


class Language(Vocabulary):
    EN = ("en", "English")
    FR = ("fr", "French")
    ES = ("es", "Spanish")


class IndicatorCategory(Vocabulary):
    ROUTING = ("routing", "Routing")
    DOCUMENTS = ("documents", "Documents")
    CONSIGNEE = ("consignee", "Consignee and trader")
    PACKAGING = ("packaging", "Packaging and labelling")
    COMMODITY = ("commodity", "Commodity")
    BEHAVIOUR = ("behaviour", "Behaviour")
