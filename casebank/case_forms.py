"""The case-study form, in the sections a customs officer recognises, shared by the partner and
editorial pages, and the glue between it and the case services: what a service refuses becomes
a message beside its field, and the form keeps everything that was typed."""

import re

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
from casebank.services.cases.attachments import ATTACHMENT_KINDS
from casebank.services.cases.editing import FORM_FIELDS
from casebank.services.cases.workflow import PUBLISH_CHOICES
from casebank.services.catalogue import all_conventions

SEPARATORS = re.compile(r"[\s,;]+")
RESTRICTED_NOTES_LABEL = "Restricted notes: only vetted enforcement officers will read them"


def choices(vocabulary):
    return [("", "—"), *vocabulary.choices()]


def text(label, description=None, **kwargs):
    return StringField(label, description=description, **kwargs)


def area(label, description=None):
    return TextAreaField(label, description=description, render_kw={"rows": 5})


def select(label, vocabulary, description=None):
    # validate_choice off: the schema checks the value, with the same words as an import.
    return SelectField(
        label, choices=choices(vocabulary), description=description, validate_choice=False
    )


class CaseStudyForm(FlaskForm):
    """Every field is text here; the case-study schema alone validates (one validator)."""

    title = text("Title", "One line a reader remembers, e.g. “Ivory in timber at Mombasa”.")
    summary = area("Summary", "Two or three sentences shown in lists and search results.")
    narrative = area("What happened", "The seizure told in full; blank lines separate paragraphs.")
    # The seizure
    seizure_date = text("Seizure date", "YYYY-MM-DD", render_kw={"type": "date"})
    country = text("Seizing country", "ISO code, e.g. KE.")
    place = text("Place", "Port, airport or town.")
    facility_type = select("Facility", FacilityType)
    point = select("Control point", ControlPoint)
    transport_mode = select("Transport mode", TransportMode)
    # The goods
    conventions = MultiCheckboxField("Conventions", choices=[], validate_choice=False)
    hs_codes = text("HS codes", "4 or 6 digits, separated by spaces, e.g. 0507.10 2903.14.")
    commodity_category = select("Commodity", CommodityCategory)
    species_scientific_name = text("Species (scientific name)", "CITES cases.")
    species_common_name = text("Species (common name)")
    cites_appendix = select("CITES appendix", CitesAppendix)
    substance_name = text("Substance", "Chemicals, ozone-depleting substances, HFCs, waste.")
    cas_number = text("CAS number", "e.g. 75-45-6.")
    ashrae_number = text("ASHRAE number", "Refrigerants, e.g. R-22.")
    quantity = text("Quantity")
    quantity_unit = select("Unit", QuantityUnit)
    estimated_value = text("Estimated value")
    value_currency = text("Currency", "ISO code, e.g. USD.")
    # The route
    origin_countries = text("Countries of origin", "ISO codes separated by spaces.")
    transit_countries = text("Transit countries", "ISO codes, in route order.")
    destination_countries = text("Destination countries", "ISO codes.")
    # Detection and concealment
    detection_method = select("How it was detected", DetectionMethod)
    concealment_method = area("Concealment")
    goods_disposition = area("What became of the goods")
    # Agencies
    agencies = area("Agencies", "One per line.")
    # The prosecution
    prosecution_status = SelectField(
        "Prosecution", choices=ProsecutionStatus.choices(), validate_choice=False
    )
    court = text("Court")
    charges = area("Charges")
    decision_date = text("Decision date", "YYYY-MM-DD", render_kw={"type": "date"})
    fine_amount = text("Fine")
    fine_currency = text("Fine currency", "ISO code.")
    custodial_months = text("Custodial sentence (months)")
    appeal_notes = area("Appeal")
    # Lessons learned, sources, and what only officers read
    lessons_learned = area("Lessons learned")
    source_urls = area("Public sources", "Web addresses of public reports, one per line.")
    restricted_notes = area(
        RESTRICTED_NOTES_LABEL,
        "Names, identity numbers, intelligence: never shown to the public or to other partners.",
    )

    version = HiddenField(default="0")
    change_note = StringField(
        "Change note", description="What changed and why (kept in the history).",
        validators=[Optional(), Length(max=500)],
    )  # fmt: skip
    save = SubmitField("Save")

    SECTIONS = (
        ("The case study", ("title", "summary", "narrative")),
        ("The seizure", ("seizure_date", "country", "place", "facility_type", "point",
                         "transport_mode")),
        ("The goods", ("conventions", "hs_codes", "commodity_category", "species_scientific_name",
                       "species_common_name", "cites_appendix", "substance_name", "cas_number",
                       "ashrae_number", "quantity", "quantity_unit", "estimated_value",
                       "value_currency")),
        ("The route", ("origin_countries", "transit_countries", "destination_countries")),
        ("Detection and concealment", ("detection_method", "concealment_method",
                                       "goods_disposition")),
        ("Agencies", ("agencies",)),
        ("The prosecution", ("prosecution_status", "court", "charges", "decision_date",
                             "fine_amount", "fine_currency", "custodial_months", "appeal_notes")),
        ("Lessons learned", ("lessons_learned",)),
        ("Public sources", ("source_urls",)),
        ("Restricted notes", ("restricted_notes",)),
    )  # fmt: skip
    LINE_LISTS = ("agencies", "source_urls")
    CODE_LISTS = ("hs_codes", "origin_countries", "transit_countries", "destination_countries")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.conventions.choices = [(c.code, c.short_name) for c in all_conventions()]

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
    reason = TextAreaField("Reason", validators=[Optional(), Length(max=4000)])
    access_level = RadioField(
        "Who may read it once published",
        choices=[(value, label) for value, (label, _) in PUBLISH_CHOICES.items()],
        validate_choice=False,
    )
    confirmed = HiddenField(default="")
    submit = SubmitField("Go")


class MessageForm(FlaskForm):
    body = TextAreaField("Message", validators=[InputRequired(), Length(max=10000)])
    internal = SelectField(
        "Who reads it",
        choices=[("0", "The organisation and editors"), ("1", "Editors only (internal note)")],
        default="0",
    )
    send = SubmitField("Send")


class AssignForm(FlaskForm):
    editor_id = SelectField("Editor", choices=[], validate_choice=False)
    assign = SubmitField("Assign")


class RestoreForm(FlaskForm):
    version = HiddenField(default="0")
    restore = SubmitField("Restore as a new revision")


class AttachmentForm(FlaskForm):
    file = FileField("File", description="Photo or X-ray image (JPEG, PNG), or a document "
                     "(PDF, DOCX, ODT, plain text).")  # fmt: skip
    title = StringField("Title", validators=[Optional(), Length(max=200)])
    kind = SelectField(
        "What it is",
        choices=[(k.value, k.label) for k in ATTACHMENT_KINDS],
        validate_choice=False,
    )
    access_level = SelectField(
        "Who may read it",
        choices=AccessLevel.choices(),
        default=AccessLevel.RESTRICTED.value,
        validate_choice=False,
    )
    upload = SubmitField("Attach")


class NewCaseForm(CaseStudyForm):
    # Any other value than a known acronym makes the secretariat's own case.
    partner = PartnerChoice(
        "Partner organisation", blank="None (the secretariat's own)", validate_choice=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.partner.load_choices()
