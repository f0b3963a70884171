"""The case-study record as it crosses casebank's edges (import, export, later forms and API).

Field visibility is declared here, side by side: PUBLIC_CASE_FIELDS is all anyone may see of a
published public case study; RESTRICTED_CASE_FIELDS adds what only enforcement officers see.
"""

from datetime import date
from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
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
# Each field's name for people: the case form's labels, the revision diff's rows, the
# workflow's and the personal-data check's messages all name a field with these words.
FIELD_LABELS = {
    "reference": _l("Reference"),
    "title": _l("Title"),
    "summary": _l("Summary"),
    "narrative": _l("What happened"),
    "seizure_date": _l("Seizure date"),
    "country": _l("Seizing country"),
    "place": _l("Place"),
    "facility_type": _l("Facility"),
    "point": _l("Control point"),
    "transport_mode": _l("Transport mode"),
    "conventions": _l("Conventions"),
    "hs_codes": _l("HS codes"),
    "commodity_category": _l("Commodity"),
    "species_scientific_name": _l("Species (scientific name)"),
    "species_common_name": _l("Species (common name)"),
    "cites_appendix": _l("CITES appendix"),
    "substance_name": _l("Substance"),
    "cas_number": _l("CAS number"),
    "ashrae_number": _l("ASHRAE number"),
    "quantity": _l("Quantity"),
    "quantity_unit": _l("Unit"),
    "estimated_value": _l("Estimated value"),
    "value_currency": _l("Currency"),
    "origin_countries": _l("Countries of origin"),
    "transit_countries": _l("Transit countries"),
    "destination_countries": _l("Destination countries"),
    "detection_method": _l("How it was detected"),
    "concealment_method": _l("Concealment"),
    "goods_disposition": _l("What became of the goods"),
    "agencies": _l("Agencies"),
    "prosecution_status": _l("Prosecution"),
    "court": _l("Court"),
    "charges": _l("Charges"),
    "decision_date": _l("Decision date"),
    "fine_amount": _l("Fine"),
    "fine_currency": _l("Fine currency"),
    "custodial_months": _l("Custodial sentence (months)"),
    "appeal_notes": _l("Appeal"),
    "lessons_learned": _l("Lessons learned"),
    "source_urls": _l("Public sources"),
    "restricted_notes": _l("Restricted notes"),
    "access_level": _l("Who may read it"),
    "status": _l("Status"),
    "partner": _l("Partner organisation"),
    "published_at": _l("Published"),
}


def field_label(name):
    """A field's name for people, in the reader's language."""
    return str(FIELD_LABELS[name]) if name in FIELD_LABELS else name.replace("_", " ").capitalize()


# In CSV files a list is written in one cell, its items separated by this character.
CSV_LIST_SEPARATOR = "|"


# marshmallow formats these with str.format ({max}, {min}) when the value is refused; lazy, so
# they are written in the language of whoever reads the refusal.
# Their English is marshmallow's own (what import reports always said).
CHOOSE_FROM_LIST = _l("Must be one of: {choices}.")
AT_MOST = _l("Longer than maximum length {max}.")
NOT_EMPTY = _l("Shorter than minimum length {min}.")
OUT_OF_RANGE = _l("Must be greater than or equal to {min} and less than or equal to {max}.")


def one_of(vocabulary):
    return validate.OneOf([m.value for m in vocabulary], error=CHOOSE_FROM_LIST)


def length(max_length=None, min_length=None):
    return validate.Length(
        min=min_length, max=max_length, error=AT_MOST if max_length else NOT_EMPTY
    )


def text(max_length=None, **kwargs):
    # min 1 is a safety net: blank values are dropped before (they read as missing).
    return fields.String(validate=length(max_length, 1), **kwargs)


def optional_text(max_length=None):
    return fields.String(allow_none=True, load_default=None, validate=length(max_length))


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
        validate=validate.Range(min=0, max=LARGEST_AMOUNT, error=OUT_OF_RANGE),
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
            error=_l("Use 3-32 capital letters, digits and hyphens, e.g. CB-2024-001."),
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
    conventions = fields.List(
        fields.String(), required=True,
        validate=validate.Length(min=1, error=_l("Choose at least one convention.")),
    )  # fmt: skip
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
    agencies = fields.List(fields.String(validate=length(200, 1)), load_default=list)
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
        allow_none=True,
        load_default=None,
        validate=validate.Range(min=0, max=1200, error=OUT_OF_RANGE),
    )
    appeal_notes = optional_text()
    lessons_learned = optional_text()
    source_urls = fields.List(
        fields.Url(schemes={"http", "https"}, validate=length(500)),
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
            raise ValidationError(_("The seizure date cannot be in the future."))

    @validates("decision_date")
    def decision_not_in_future(self, value, **kwargs):
        if value and value > date.today():
            raise ValidationError(_("The decision date cannot be in the future."))

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
            raise ValidationError(
                _("%(value)s is not an ISO 4217 currency code.", value=repr(value))
            )

    @validates("hs_codes")
    def hs_code_format(self, value, **kwargs):
        bad = [v for v in value if codes.normalise_hs_code(v) is None]
        if bad:
            raise ValidationError(
                _(
                    "Not an HS heading or subheading: %(codes)s (use 4 or 6 digits, e.g. 2903 "
                    "or 2903.14).",
                    codes=", ".join(map(repr, bad)),
                )
            )

    @validates("cas_number")
    def cas_checksum(self, value, **kwargs):
        if value is not None and not codes.is_valid_cas(value):
            raise ValidationError(
                _("%(value)s is not a valid CAS number (e.g. 75-45-6).", value=repr(value))
            )

    @validates("ashrae_number")
    def ashrae_format(self, value, **kwargs):
        if value is not None and not codes.is_valid_ashrae(value):
            raise ValidationError(
                _("%(value)s is not an ASHRAE number (e.g. R-22, R-404A).", value=repr(value))
            )

    @validates_schema
    def consistent(self, data, **kwargs):
        errors = {}
        for number, unit in (
            ("quantity", "quantity_unit"),
            ("estimated_value", "value_currency"),
            ("fine_amount", "fine_currency"),
        ):
            if data.get(number) is not None and not data.get(unit):
                errors[unit] = [
                    _("Required when %(field)s is given.", field=field_label(number).lower())
                ]
        if data.get("cites_appendix") and not data.get("species_scientific_name"):
            errors["cites_appendix"] = [_("Give the species' scientific name with its appendix.")]
        decided, seized = data.get("decision_date"), data.get("seizure_date")
        if decided and seized and decided < seized:
            errors["decision_date"] = [_("The decision cannot precede the seizure.")]
        if data.get("prosecution_status", "none") == ProsecutionStatus.NONE:
            given = [f for f in PROSECUTION_DETAIL_FIELDS if data.get(f) is not None]
            for field in given:
                errors[field] = [
                    _("Prosecution details need a prosecution status other than none.")
                ]
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
        raise ValidationError(
            _("%(code)s is not an ISO 3166-1 alpha-2 country code.", code=repr(code))
        )


CASE_FIELDS = tuple(CaseStudySchema().fields)
RESTRICTED_ONLY_FIELDS = ("restricted_notes",)
# The editorial bookkeeping that the public does not need to see.
INTERNAL_FIELDS = ("access_level", "status", "published_at")
PUBLIC_CASE_FIELDS = tuple(
    f for f in CASE_FIELDS if f not in RESTRICTED_ONLY_FIELDS and f not in INTERNAL_FIELDS
)
RESTRICTED_CASE_FIELDS = tuple(f for f in CASE_FIELDS if f not in INTERNAL_FIELDS)
