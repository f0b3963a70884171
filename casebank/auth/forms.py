"""Forms of the account pages (Flask-WTF: every form carries a CSRF token)."""

from flask_babel import lazy_gettext
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import (
    DateField,
    EmailField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from casebank import codes
from casebank.auth.security import InvalidEmail, login_email
from casebank.extensions import db
from casebank.models import Partner, RoleName


def select_choices(pairs):
    return list(pairs)


REQUESTABLE_ROLES = select_choices(r for r in RoleName.choices() if r[0] != RoleName.ADMIN)


def country_choices():
    names = sorted(codes.country_names().items(), key=lambda pair: pair[1])
    return select_choices([("", "Choose a country"), *names])


def login_address(form, field):
    """The address the account would log in with: the login form's own validator decides."""
    try:
        field.data = login_email(field.data.strip().lower())
    except InvalidEmail as error:
        raise ValidationError(str(error)) from None


def partners_by_acronym():
    return {p.acronym: p for p in db.session.scalars(select(Partner).order_by(Partner.name))}


class PartnerChoice(SelectField):
    """A partner organisation, chosen by acronym from the Partner table ("" for none)."""

    def __init__(self, label, blank, **kwargs):
        super().__init__(label, default="", **kwargs)
        self.blank = blank

    def load_choices(self):
        self.partners = partners_by_acronym()
        self.choices = [("", self.blank)] + [
            (acronym, f"{partner.name} ({acronym})") for acronym, partner in self.partners.items()
        ]

    @property
    def partner(self):
        return self.partners.get(self.data or "")


class RequestAccessForm(FlaskForm):
    name = StringField("Full name", validators=[InputRequired(), Length(max=200)])
    organisation = StringField(
        "Organisation", validators=[InputRequired(), Length(max=200)],
        description="Your customs administration, agency or partner organisation.",
    )  # fmt: skip
    email = EmailField(
        "Work e-mail", validators=[InputRequired(), Length(max=254), login_address],
        description="Your official work address; private addresses are not accepted.",
    )  # fmt: skip
    country = SelectField("Country", validators=[InputRequired()])
    role_wanted = SelectField("Access wanted", choices=REQUESTABLE_ROLES)
    partner = PartnerChoice(
        "Partner organisation", blank="Not a partner organisation",
        description="Required when you ask for partner access: the organisation you submit "
        "case studies for.",
    )  # fmt: skip
    justification = TextAreaField(
        "Why do you need access?", validators=[InputRequired(), Length(min=30, max=4000)],
        description="Your duties and how casebank will help (at least 30 characters).",
    )  # fmt: skip
    supervisor_contact = TextAreaField(
        "Your supervisor's name and work contact", validators=[InputRequired(), Length(max=1000)],
        description="The secretariat may contact them to confirm your role.",
    )  # fmt: skip
    submit = SubmitField("Send request")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.country.choices = country_choices()
        self.partner.load_choices()

    def validate_partner(self, field):
        if self.role_wanted.data == RoleName.PARTNER and not field.partner:
            raise ValidationError("Choose the partner organisation you work for.")

    def partner_wanted(self):
        """The organisation named, when partner access is asked for (ignored otherwise)."""
        return self.partner.partner if self.role_wanted.data == RoleName.PARTNER else None


class DecisionForm(FlaskForm):
    reason = TextAreaField(
        "Reason for refusal (sent to the applicant)", validators=[Optional(), Length(max=2000)]
    )
    approve = SubmitField("Approve and send invitation")
    refuse = SubmitField("Refuse")


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class UserForm(FlaskForm):
    roles = MultiCheckboxField("Roles", choices=select_choices(RoleName.choices()))
    save_roles = SubmitField("Save roles")
    revet = SubmitField("Confirm vetting for another period")


class EndSessionForm(FlaskForm):
    """One button: its CSRF token is the whole content (ending a session, or all of them)."""

    end = SubmitField("End session")


class AccountActiveForm(FlaskForm):
    deactivate = SubmitField("Deactivate account")
    reactivate = SubmitField("Reactivate account")


class UserPartnerForm(FlaskForm):
    partner = PartnerChoice("Partner organisation", blank="None")
    save_partner = SubmitField("Save organisation")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.partner.load_choices()


class AuditFilterForm(FlaskForm):
    """GET filters of the audit log; no CSRF (it changes nothing)."""

    class Meta:
        csrf = False

    action = StringField("Action", validators=[Optional(), Length(max=64)])
    actor = StringField("Actor e-mail", validators=[Optional(), Length(max=254)])
    since = DateField("From", validators=[Optional()])
    until = DateField("To", validators=[Optional()])


class TokenForm(FlaskForm):
    """A new personal access token for the API; the scopes offered are the user's own."""

    name = StringField(lazy_gettext("Name"), validators=[InputRequired(), Length(max=100)])
    scopes = MultiCheckboxField(lazy_gettext("Scopes"), choices=[])
    expires_on = DateField(lazy_gettext("Expires on"), validators=[InputRequired()])
    create_token = SubmitField(lazy_gettext("Create token"))

    def __init__(self, user, *args, **kwargs):
        from datetime import date, timedelta

        from casebank.auth.tokens import SCOPES, scopes_allowed

        super().__init__(*args, **kwargs)
        self.scopes.choices = [
            (scope, f"{scope}: {SCOPES[scope]}") for scope in scopes_allowed(user)
        ]
        if self.expires_on.data is None and not self.expires_on.raw_data:
            self.expires_on.data = date.today() + timedelta(days=90)
