"""Forms of the award pages (Flask-WTF: each carries a CSRF token). The rules are the award
services'; these forms only parse, and show the services' messages on their fields."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional


def show_errors(form, errors, fallback):
    """A service's {field: [messages]} on the form's fields (others on `fallback`)."""
    for name, messages in errors.items():
        target = form._fields.get(name, fallback)
        target.errors = list(target.errors) + list(messages)


class RoundForm(FlaskForm):
    year = IntegerField(_l("Year"), validators=[InputRequired(), NumberRange(2000, 2100)])
    title = StringField(_l("Title"), validators=[InputRequired(), Length(max=200)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=8000)])
    rules = TextAreaField(_l("Rules"), validators=[Optional(), Length(max=8000)])
    nominations_open_date = DateField(_l("Nominations open"), validators=[InputRequired()])
    nominations_close_date = DateField(_l("Nominations close"), validators=[InputRequired()])
    judging_open_date = DateField(_l("Judging opens"), validators=[InputRequired()])
    judging_close_date = DateField(_l("Judging closes"), validators=[InputRequired()])
    eligible_from_date = DateField(
        _l("Eligible: published from"), validators=[InputRequired()],
        description=_l("Case studies published between these two dates may be nominated; "
                       "restricted ones too, but only their citation is ever shown publicly."),
    )  # fmt: skip
    eligible_to_date = DateField(_l("Eligible: published until"), validators=[InputRequired()])
    max_nominations_per_partner = IntegerField(
        _l("Nominations per partner organisation, at most"),
        validators=[InputRequired(), NumberRange(1, 50)], default=3,
    )  # fmt: skip
    criteria = TextAreaField(
        _l("Criteria"), validators=[InputRequired(), Length(max=8000)],
        description=_l("One per line: “weight | name | description”, e.g. “3 | Impact | What "
                       "the seizure stopped”. Weights from 1 to 10."),
    )  # fmt: skip
    judges = TextAreaField(
        _l("Judges"), validators=[InputRequired(), Length(max=4000)],
        description=_l("E-mail addresses of editors or of accounts with the judge role, one "
                       "per line."),
    )  # fmt: skip
    submit = SubmitField(_l("Save the round"))

    def data_for_service(self):
        return {name: self[name].data for name in self._fields if name not in
                ("submit", "csrf_token")}  # fmt: skip

    def show_errors(self, errors):
        show_errors(self, errors, self.title)


class TransitionForm(FlaskForm):
    transition = HiddenField(validators=[InputRequired()])


class ResultsForm(FlaskForm):
    announcement = TextAreaField(
        _l("Announcement"), validators=[Optional(), Length(max=8000)],
        description=_l("Published on the awards page and in the feed when you announce."),
    )  # fmt: skip
    submit = SubmitField(_l("Save the results"))


class NominationForm(FlaskForm):
    case_reference = StringField(
        _l("Case study reference"), validators=[InputRequired(), Length(max=32)],
        description=_l("A published case study, e.g. CB-2021-104."),
    )  # fmt: skip
    citation = TextAreaField(
        _l("Citation"), validators=[InputRequired(), Length(max=4000)],
        description=_l("Why this work is exemplary. Published on the awards page if it wins: "
                       "write nothing that is restricted."),
    )  # fmt: skip
    administration = StringField(
        _l("Administration honoured"), validators=[InputRequired(), Length(max=200)]
    )
    unit = StringField(_l("Unit honoured"), validators=[Optional(), Length(max=200)])
    named_officers = TextAreaField(
        _l("Officers named"), validators=[Optional(), Length(max=2000)],
        description=_l("Only officers who agreed to be named publicly."),
    )  # fmt: skip
    officers_consent = BooleanField(
        _l("The officers named have agreed, in writing, to be named publicly.")
    )
    submit = SubmitField(_l("Nominate"))

    def show_errors(self, errors):
        show_errors(self, errors, self.case_reference)


class ScoreForm(FlaskForm):
    """The CSRF token of the score sheet; its marks are read per criterion (score-<id>)."""

    submit = SubmitField(_l("Save my scores"))


class ConflictForm(FlaskForm):
    reason = TextAreaField(
        _l("Why (seen by the editors)"), validators=[Optional(), Length(max=2000)]
    )
    submit = SubmitField(_l("Declare a conflict of interest"))


class FeatureForm(FlaskForm):
    featured = HiddenField()
    submit = SubmitField(_l("Save"))
