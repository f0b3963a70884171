"""The case-study record as it crosses casebank's edges (import, export, later forms and API).

Field visibility is declared here, side by side: PUBLIC_CASE_FIELDS is all anyone may see of a
published public case study; RESTRICTED_CASE_FIELDS adds what only enforcement officers see.
"""

from datetime import date
from decimal import Decimal

from marshmallow import (
    RAISE,
    Schema,
    ValidationError,
    fields,
    post_load,
    pre_load,
    validate,
    validates,
    validates_schema,
)

from casebank import codes
from casebank.models.vocab import (
    AccessLevel,
    CitesAppendix,
    CommodityCategory,
    ControlPoint,
    DetectionMethod,
    FacilityType,
    ProsecutionStatus,
    QuantityUnit,
    TransportMode,
    WorkflowStatus,
)

LIST_FIELDS = (
    "conventions",
    "hs_codes",
    "origin_countries",
    "transit_countries",
    "destination_countries",
    "agencies",
    "source_urls",
)
COUNTRY_LIST_FIELDS = ("origin_countries", "transit_countries", "destination_countries")
UPPER_CASE_FIELDS = ("country", "value_currency", "fine_currency", "conventions", "partner")
PROSECUTION_DETAIL_FIELDS = (
    "court",
    "charges",
    "decision_date",
    "fine_amount",
    "fine_currency",
    "custodial_months",
    "appeal_notes",
)
# In CSV files a list is written in one cell, its items separated by this character.
CSV_LIST_SEPARATOR = "|"


def one_of(vocabulary):
    return validate.OneOf([m.value for m in vocabulary])


def text(max_length=None, **kwargs):
    return fields.String(validate=validate.Length(min=1, max=max_length), **kwargs)


def optional_text(max_length=None):
    return fields.String(
        allow_none=True, load_default=None, validate=validate.Length(max=max_length)
    )


def optional_choice(vocabulary):
    return fields.String(allow_none=True, load_default=None, validate=one_of(vocabulary))


def currency():
    return fields.String(allow_none=True, load_default=None)


# The largest amount or quantity the columns hold (NUMERIC(16, 3) for quantities).
LARGEST_AMOUNT = Decimal("9999999999999")


def amount():
    return fields.Decimal(
        allow_none=True,
        load_default=None,
        validate=validate.Range(min=0, max=LARGEST_AMOUNT),
    )


def country_list():
    return fields.List(fields.String(), load_default=list)


class CaseStudySchema(Schema):
    class Meta:
        unknown = RAISE
        ordered = True

    reference = fields.String(
        required=True,
        validate=validate.Regexp(
            r"^[A-Z0-9][A-Z0-9-]{2,31}$",
            error="Use 3-32 capital letters, digits and hyphens, e.g. CB-2024-001.",
        ),
    )
    title = text(200, required=True)
    summary = text(1000, required=True)
    narrative = text(required=True)
    seizure_date = fields.Date(required=True)
    country = fields.String(required=True)
    place = optional_text(200)
    facility_type = optional_choice(FacilityType)
    point = optional_choice(ControlPoint)
    transport_mode = optional_choice(TransportMode)
    conventions = fields.List(fields.String(), required=True, validate=validate.Length(min=1))
    hs_codes = fields.List(fields.String(), load_default=list)
    commodity_category = fields.String(required=True, validate=one_of(CommodityCategory))
    species_scientific_name = optional_text(200)
    species_common_name = optional_text(200)
    cites_appendix = optional_choice(CitesAppendix)
    substance_name = optional_text(200)
    cas_number = optional_text(12)
    ashrae_number = optional_text(16)
    quantity = amount()
    quantity_unit = optional_choice(QuantityUnit)
    estimated_value = amount()
    value_currency = currency()
    origin_countries = country_list()
    transit_countries = country_list()
    destination_countries = country_list()
    concealment_method = optional_text()
    detection_method = fields.String(required=True, validate=one_of(DetectionMethod))
    agencies = fields.List(
        fields.String(validate=validate.Length(min=1, max=200)), load_default=list
    )
    goods_disposition = optional_text()
    prosecution_status = fields.String(
        load_default=ProsecutionStatus.NONE.value, validate=one_of(ProsecutionStatus)
    )
    court = optional_text(200)
    charges = optional_text()
    decision_date = fields.Date(allow_none=True, load_default=None)
    fine_amount = amount()
    fine_currency = currency()
    custodial_months = fields.Integer(
        allow_none=True, load_default=None, validate=validate.Range(min=0, max=1200)
    )
    appeal_notes = optional_text()
    lessons_learned = optional_text()
    source_urls = fields.List(
        fields.Url(schemes={"http", "https"}, validate=validate.Length(max=500)),
        load_default=list,
    )
    access_level = fields.String(
        load_default=AccessLevel.PUBLIC.value, validate=one_of(AccessLevel)
    )
    restricted_notes = optional_text()
    status = fields.String(load_default=WorkflowStatus.DRAFT.value, validate=one_of(WorkflowStatus))
    partner = optional_text(32)
    published_at = fields.NaiveDateTime(allow_none=True, load_default=None)

    @pre_load
    def tidy(self, data, **kwargs):
        """Accept what spreadsheets and people produce: padding, empty cells, 'ke' for 'KE'."""
        if not isinstance(data, dict):
            return data
        tidied = {}
        for key, value in data.items():
            if key in LIST_FIELDS and isinstance(value, str):
                value = value.split(CSV_LIST_SEPARATOR)
            if isinstance(value, str):
                value = value.strip() or None
            elif isinstance(value, list):
                value = [v.strip() if isinstance(v, str) else v for v in value]
                value = [v for v in value if v not in ("", None)]
            if key in UPPER_CASE_FIELDS or key in COUNTRY_LIST_FIELDS:
                value = upper(value)
            tidied[key] = value
        # An empty cell means "not given": defaults apply and required fields say they are missing.
        return {k: v for k, v in tidied.items() if v is not None}

    @validates("seizure_date")
    def not_in_future(self, value, **kwargs):
        if value > date.today():
            raise ValidationError("The seizure date cannot be in the future.")

    @validates("decision_date")
    def decision_not_in_future(self, value, **kwargs):
        if value and value > date.today():
            raise ValidationError("The decision date cannot be in the future.")

    @validates("country")
    def known_country(self, value, **kwargs):
        check_country(value)

    @validates("origin_countries", "transit_countries", "destination_countries")
    def known_countries(self, value, **kwargs):
        for code in value:
            check_country(code)

    @validates("value_currency", "fine_currency")
    def known_currency(self, value, **kwargs):
        if value is not None and not codes.is_valid_currency(value):
            raise ValidationError(f"{value!r} is not an ISO 4217 currency code.")

    @validates("hs_codes")
    def hs_code_format(self, value, **kwargs):
        bad = [v for v in value if codes.normalise_hs_code(v) is None]
        if bad:
            raise ValidationError(
                f"Not an HS heading or subheading: {', '.join(map(repr, bad))} "
                "(use 4 or 6 digits, e.g. 2903 or 2903.14)."
            )

    @validates("cas_number")
    def cas_checksum(self, value, **kwargs):
        if value is not None and not codes.is_valid_cas(value):
            raise ValidationError(f"{value!r} is not a valid CAS number (e.g. 75-45-6).")

    @validates("ashrae_number")
    def ashrae_format(self, value, **kwargs):
        if value is not None and not codes.is_valid_ashrae(value):
            raise ValidationError(f"{value!r} is not an ASHRAE number (e.g. R-22, R-404A).")

    @validates_schema
    def consistent(self, data, **kwargs):
        errors = {}
        for number, unit in (
            ("quantity", "quantity_unit"),
            ("estimated_value", "value_currency"),
            ("fine_amount", "fine_currency"),
        ):
            if data.get(number) is not None and not data.get(unit):
                errors[unit] = [f"Required when {number} is given."]
        if data.get("cites_appendix") and not data.get("species_scientific_name"):
            errors["cites_appendix"] = ["Give the species' scientific name with its appendix."]
        decided, seized = data.get("decision_date"), data.get("seizure_date")
        if decided and seized and decided < seized:
            errors["decision_date"] = ["The decision cannot precede the seizure."]
        if data.get("prosecution_status", "none") == ProsecutionStatus.NONE:
            given = [f for f in PROSECUTION_DETAIL_FIELDS if data.get(f) is not None]
            for field in given:
                errors[field] = ["Prosecution details need a prosecution status other than none."]
        if errors:
            raise ValidationError(errors)

    @post_load
    def normalise(self, data, **kwargs):
        data["hs_codes"] = [codes.normalise_hs_code(c) for c in data["hs_codes"]]
        return data


def upper(value):
    if isinstance(value, str):
        return value.upper()
    if isinstance(value, list):
        return [v.upper() if isinstance(v, str) else v for v in value]
    return value


def check_country(code):
    if not codes.is_valid_country(code):
        raise ValidationError(f"{code!r} is not an ISO 3166-1 alpha-2 country code.")


CASE_FIELDS = tuple(CaseStudySchema().fields)
RESTRICTED_ONLY_FIELDS = ("restricted_notes",)
# The editorial bookkeeping that the public does not need to see.
INTERNAL_FIELDS = ("access_level", "status", "published_at")
PUBLIC_CASE_FIELDS = tuple(
    f for f in CASE_FIELDS if f not in RESTRICTED_ONLY_FIELDS and f not in INTERNAL_FIELDS
)
RESTRICTED_CASE_FIELDS = tuple(f for f in CASE_FIELDS if f not in INTERNAL_FIELDS)
