"""The case-study form, in the sections a customs officer recognises, shared by the partner and
editorial pages, and the glue between it and the case services: what a service refuses becomes
a message beside its field, and the form keeps everything that was typed."""

import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    HiddenField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, Optional

from casebank.auth.forms import MultiCheckboxField, PartnerChoice
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
)
from casebank.schemas.case_study import FIELD_LABELS
from casebank.services.cases.attachments import ATTACHMENT_KINDS
from casebank.services.cases.editing import FORM_FIELDS
from casebank.services.cases.workflow import PUBLISH_CHOICES
from casebank.services.catalogue import all_conventions

SEPARATORS = re.compile(r"[\s,;]+")
RESTRICTED_NOTES_LABEL = _l("Restricted notes: only vetted enforcement officers will read them")


def choices(vocabulary):
    return [("", "—"), *vocabulary.choices()]


# Each field's label is the schema's name for it (FIELD_LABELS): one word for a field everywhere.
def text(name, description=None, **kwargs):
    return StringField(FIELD_LABELS[name], description=description, **kwargs)


def area(name, description=None, label=None):
    return TextAreaField(
        label or FIELD_LABELS[name], description=description, render_kw={"rows": 5}
    )


def select(name, vocabulary, description=None):
    # validate_choice off: the schema checks the value, with the same words as an import.
    return SelectField(
        FIELD_LABELS[name], choices=choices(vocabulary), description=description,
        validate_choice=False,
    )  # fmt: skip


class CaseStudyForm(FlaskForm):
    """Every field is text here; the case-study schema alone validates (one validator)."""

    title = text("title", _l("One line a reader remembers, e.g. “Ivory in timber at Mombasa”."))
    summary = area("summary", _l("Two or three sentences shown in lists and search results."))
    narrative = area("narrative", _l("The seizure told in full; blank lines separate paragraphs."))
    # The seizure
    seizure_date = text("seizure_date", _l("YYYY-MM-DD"), render_kw={"type": "date"})
    country = text("country", _l("ISO code, e.g. KE."))
    place = text("place", _l("Port, airport or town."))
    facility_type = select("facility_type", FacilityType)
    point = select("point", ControlPoint)
    transport_mode = select("transport_mode", TransportMode)
    # The goods
    conventions = MultiCheckboxField(FIELD_LABELS["conventions"], choices=[], validate_choice=False)
    hs_codes = text("hs_codes", _l("4 or 6 digits, separated by spaces, e.g. 0507.10 2903.14."))
    commodity_category = select("commodity_category", CommodityCategory)
    species_scientific_name = text("species_scientific_name", _l("CITES cases."))
    species_common_name = text("species_common_name")
    cites_appendix = select("cites_appendix", CitesAppendix)
    substance_name = text(
        "substance_name", _l("Chemicals, ozone-depleting substances, HFCs, waste.")
    )
    cas_number = text("cas_number", _l("e.g. 75-45-6."))
    ashrae_number = text("ashrae_number", _l("Refrigerants, e.g. R-22."))
    quantity = text("quantity")
    quantity_unit = select("quantity_unit", QuantityUnit)
    estimated_value = text("estimated_value")
    value_currency = text("value_currency", _l("ISO code, e.g. USD."))
    # The route
    origin_countries = text("origin_countries", _l("ISO codes separated by spaces."))
    transit_countries = text("transit_countries", _l("ISO codes, in route order."))
    destination_countries = text("destination_countries", _l("ISO codes."))
    # Detection and concealment
    detection_method = select("detection_method", DetectionMethod)
    concealment_method = area("concealment_method")
    goods_disposition = area("goods_disposition")
    # Agencies
    agencies = area("agencies", _l("One per line."))
    # The prosecution
    prosecution_status = SelectField(
        FIELD_LABELS["prosecution_status"],
        choices=ProsecutionStatus.choices(),
        validate_choice=False,
    )
    court = text("court")
    charges = area("charges")
    decision_date = text("decision_date", _l("YYYY-MM-DD"), render_kw={"type": "date"})
    fine_amount = text("fine_amount")
    fine_currency = text("fine_currency", _l("ISO code."))
    custodial_months = text("custodial_months")
    appeal_notes = area("appeal_notes")
    # Lessons learned, sources, and what only officers read
    lessons_learned = area("lessons_learned")
    source_urls = area("source_urls", _l("Web addresses of public reports, one per line."))
    restricted_notes = area(
        "restricted_notes",
        _l(
            "Names, identity numbers, intelligence: never shown to the public or to other partners."
        ),
        label=RESTRICTED_NOTES_LABEL,
    )

    version = HiddenField(default="0")
    change_note = StringField(
        _l("Change note"), description=_l("What changed and why (kept in the history)."),
        validators=[Optional(), Length(max=500)],
    )  # fmt: skip
    save = SubmitField(_l("Save"))

    SECTIONS = (
        (_l("The case study"), ("title", "summary", "narrative")),
        (_l("The seizure"), ("seizure_date", "country", "place", "facility_type", "point",
                             "transport_mode")),
        (_l("The goods"), ("conventions", "hs_codes", "commodity_category",
                           "species_scientific_name", "species_common_name", "cites_appendix",
                           "substance_name", "cas_number", "ashrae_number", "quantity",
                           "quantity_unit", "estimated_value", "value_currency")),
        (_l("The route"), ("origin_countries", "transit_countries", "destination_countries")),
        (_l("Detection and concealment"), ("detection_method", "concealment_method",
                                           "goods_disposition")),
        (_l("Agencies"), ("agencies",)),
        (_l("The prosecution"), ("prosecution_status", "court", "charges", "decision_date",
                                 "fine_amount", "fine_currency", "custodial_months",
                                 "appeal_notes")),
        (_l("Lessons learned"), ("lessons_learned",)),
        (_l("Public sources"), ("source_urls",)),
        (_l("Restricted notes"), ("restricted_notes",)),
    )  # fmt: skip
    LINE_LISTS = ("agencies", "source_urls")
    CODE_LISTS = ("hs_codes", "origin_countries", "transit_countries", "destination_countries")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.conventions.choices = [(c.code, c.translated_short_name) for c in all_conventions()]

    def record(self):
        """The form as a case-study record for the schema (empty values mean: not given)."""
        record = {}
        for name in FORM_FIELDS:
            value = self[name].data
            if name in self.LINE_LISTS:
                value = [line.strip() for line in (value or "").splitlines() if line.strip()]
            elif name in self.CODE_LISTS:
                value = [part for part in SEPARATORS.split(value or "") if part]
            record[name] = value if value not in ("", None, []) else None
        return record

    def expected_version(self):
        try:
            return int(self.version.data or 0)
        except ValueError:
            return -1  # tampered: treated as stale, so nothing is overwritten

    def show_errors(self, errors):
        for name, messages in errors.items():
            target = self._fields.get(name, self.title)
            target.errors = [*target.errors, *messages]


def form_data(record):
    """A stored record (a revision's or the case's) as the form's initial values."""
    data = dict(record)
    for name in CaseStudyForm.LINE_LISTS:
        data[name] = "\n".join(record.get(name) or [])
    for name in CaseStudyForm.CODE_LISTS:
        data[name] = " ".join(record.get(name) or [])
    return {k: ("" if v is None else v) for k, v in data.items()}


class TransitionForm(FlaskForm):
    transition = HiddenField(validators=[InputRequired()])
    reason = TextAreaField(_l("Reason"), validators=[Optional(), Length(max=4000)])
    access_level = RadioField(
        _l("Who may read it once published"),
        choices=[(value, label) for value, (label, _) in PUBLISH_CHOICES.items()],
        validate_choice=False,
    )
    confirmed = HiddenField(default="")
    submit = SubmitField(_l("Go"))


class MessageForm(FlaskForm):
    body = TextAreaField(_l("Message"), validators=[InputRequired(), Length(max=10000)])
    internal = SelectField(
        _l("Who reads it"),
        choices=[
            ("0", _l("The organisation and editors")),
            ("1", _l("Editors only (internal note)")),
        ],
        default="0",
    )
    send = SubmitField(_l("Send"))


class AssignForm(FlaskForm):
    editor_id = SelectField(_l("Editor"), choices=[], validate_choice=False)
    assign = SubmitField(_l("Assign"))


class RestoreForm(FlaskForm):
    version = HiddenField(default="0")
    restore = SubmitField(_l("Restore as a new revision"))


class AttachmentForm(FlaskForm):
    file = FileField(_l("File"), description=_l("Photo or X-ray image (JPEG, PNG), or a "
                     "document (PDF, DOCX, ODT, plain text)."))  # fmt: skip
    title = StringField(_l("Title"), validators=[Optional(), Length(max=200)])
    kind = SelectField(
        _l("What it is"),
        choices=[(k.value, _l(k.label)) for k in ATTACHMENT_KINDS],
        validate_choice=False,
    )
    access_level = SelectField(
        _l("Who may read it"),
        choices=AccessLevel.choices(),
        default=AccessLevel.RESTRICTED.value,
        validate_choice=False,
    )
    upload = SubmitField(_l("Attach"))


class NewCaseForm(CaseStudyForm):
    # Any other value than a known acronym makes the secretariat's own case.
    partner = PartnerChoice(
        _l("Partner organisation"),
        blank=_l("None (the secretariat's own)"),
        validate_choice=False,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.partner.load_choices()
