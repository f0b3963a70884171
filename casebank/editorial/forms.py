"""Forms of the editorial pages (Flask-WTF: every form carries a CSRF token)."""

import re

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import DateField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from casebank.auth.forms import MultiCheckboxField
from casebank.models.vocab import AccessLevel, DocumentKind, IndicatorCategory, Language
from casebank.services.catalogue import all_conventions
from casebank.services.risk_indicators import RiskIndicatorInvalid, parse_indicators

SEPARATORS = re.compile(r"[\s,;]+")


def split_codes(text):
    return [part for part in SEPARATORS.split(text or "") if part]


class DocumentForm(FlaskForm):
    title = StringField(_l("Title"), validators=[InputRequired(), Length(max=200)])
    # A neutral kind first: the risk-indicator fields are required for that kind only.
    kind = SelectField(_l("Kind"), choices=DocumentKind.choices(), default=DocumentKind.OTHER.value)
    access_level = SelectField(
        _l("Who may read it"), choices=AccessLevel.choices(),
        default=AccessLevel.RESTRICTED.value,
        description=_l("Restricted files are encrypted at rest and served to vetted officers "
                       "only."),
    )  # fmt: skip
    language = SelectField(_l("Language"), choices=Language.choices())
    description = TextAreaField(
        _l("Document description"), validators=[Optional(), Length(max=4000)]
    )
    document_conventions = MultiCheckboxField(_l("Conventions it concerns"), choices=[])
    case_reference = StringField(
        _l("Attached to case study"), validators=[Optional(), Length(max=32)],
        description=_l("A case-study reference (e.g. CB-2020-102) for photos, scans and reports "
                       "about one seizure; leave empty for a stand-alone document."),
    )  # fmt: skip
    # Risk indicators only (kind risk_indicator)
    conventions = MultiCheckboxField(_l("Conventions"), choices=[])
    hs_codes = StringField(
        _l("HS codes"), validators=[Optional(), Length(max=500)],
        description=_l("Separated by spaces or commas, e.g. 2903.41 3827.61."),
    )  # fmt: skip
    indicators = TextAreaField(
        _l("Indicators"), validators=[Optional(), Length(max=20000)],
        description=_l("One per line, as “category: indicator”; categories: %(categories)s.",
                       categories=", ".join(c.value for c in IndicatorCategory)),
    )  # fmt: skip
    last_reviewed_date = DateField(_l("Last reviewed"), validators=[Optional()])
    review_due_date = DateField(_l("Review due"), validators=[Optional()])
    case_references = StringField(
        _l("Case studies showing these indicators"), validators=[Optional(), Length(max=2000)],
        description=_l("References separated by spaces or commas."),
    )  # fmt: skip
    submit = SubmitField(_l("Save"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.conventions.choices = [(c.code, c.translated_short_name) for c in all_conventions()]
        self.document_conventions.choices = self.conventions.choices

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        if self.kind.data != DocumentKind.RISK_INDICATOR:
            return valid
        for name in ("indicators", "last_reviewed_date", "review_due_date"):
            if not self[name].data and not self[name].errors:
                self[name].errors.append(_("Required for a risk indicator."))
                valid = False
        if self.indicators.data:
            try:
                parse_indicators(self.indicators.data)
            except RiskIndicatorInvalid as error:
                self.indicators.errors.extend(error.errors["indicators"])
                valid = False
        return valid

    def metadata(self):
        return {
            "title": self.title.data.strip(),
            "kind": self.kind.data,
            "access_level": self.access_level.data,
            "language": self.language.data,
            "description": (self.description.data or "").strip() or None,
        }


class UploadForm(DocumentForm):
    file = FileField(
        _l("File"),
        description=_l(
            "PDF, DOCX, ODT, plain text, JPEG or PNG. For a risk indicator you may "
            "leave it empty: the indicators below are then stored as a text sheet."
        ),
    )
    submit = SubmitField(_l("Upload"))


class PublishForm(FlaskForm):
    publish = SubmitField(_l("Publish"))
    unpublish = SubmitField(_l("Return to draft"))


# Document versions and feedback moderation (issue 13).
class VersionForm(FlaskForm):
    file = FileField(_l("File of the new version"), description=_l(
        "PDF, DOCX, ODT, plain text, JPEG or PNG. It becomes the current version; earlier "
        "ones stay downloadable."))  # fmt: skip
    label = StringField(
        _l("Version label"), validators=[InputRequired(), Length(max=100)],
        description=_l("As readers know it, e.g. “2.1” or “2024 edition”."),
    )  # fmt: skip
    version_date = DateField(_l("Version date"), validators=[InputRequired()])
    changes = TextAreaField(
        _l("What changed"), validators=[Optional(), Length(max=4000)],
        description=_l("Shown to readers in the list of versions."),
    )  # fmt: skip
    submit = SubmitField(_l("Upload the new version"))

    def fields(self):
        return {
            "label": self.label.data.strip(),
            "version_date": self.version_date.data,
            "changes": (self.changes.data or "").strip() or None,
        }


class ModerationForm(FlaskForm):
    """Bulk moderation: the checked feedback ids come as a list of "ids" values."""


class ReplyForm(FlaskForm):
    reply = TextAreaField(_l("Public reply"), validators=[Optional(), Length(max=2000)])
    submit = SubmitField(_l("Save the reply"))


class AddressedForm(FlaskForm):
    version = SelectField(_l("Addressed in version"), choices=[])
    submit = SubmitField(_l("Save"))
