"""Forms of the account pages (Flask-WTF: every form carries a CSRF token)."""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
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

from casebank.auth.security import InvalidEmail, login_email
from casebank.extensions import db
from casebank.i18n import sorted_country_choices
from casebank.models import Partner, RoleName


def select_choices(pairs):
    return list(pairs)


# Judges are named by editors for a round, never asked for.
REQUESTABLE_ROLES = select_choices(
    r for r in RoleName.choices() if r[0] not in (RoleName.ADMIN, RoleName.JUDGE)
)


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
    name = StringField(_l("Full name"), validators=[InputRequired(), Length(max=200)])
    organisation = StringField(
        _l("Organisation"), validators=[InputRequired(), Length(max=200)],
        description=_l("Your customs administration, agency or partner organisation."),
    )  # fmt: skip
    email = EmailField(
        _l("Work e-mail"), validators=[InputRequired(), Length(max=254), login_address],
        description=_l("Your official work address; private addresses are not accepted."),
    )  # fmt: skip
    country = SelectField(_l("Country"), validators=[InputRequired()])
    role_wanted = SelectField(_l("Access wanted"), choices=REQUESTABLE_ROLES)
    partner = PartnerChoice(
        _l("Partner organisation"), blank=_l("Not a partner organisation"),
        description=_l("Required when you ask for partner access: the organisation you "
                       "submit case studies for."),
    )  # fmt: skip
    justification = TextAreaField(
        _l("Why do you need access?"), validators=[InputRequired(), Length(min=30, max=4000)],
        description=_l("Your duties and how casebank will help (at least 30 characters)."),
    )  # fmt: skip
    supervisor_contact = TextAreaField(
        _l("Your supervisor's name and work contact"),
        validators=[InputRequired(), Length(max=1000)],
        description=_l("The secretariat may contact them to confirm your role."),
    )  # fmt: skip
    submit = SubmitField(_l("Send request"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.country.choices = sorted_country_choices(_("Choose a country"))
        self.partner.load_choices()

    def validate_partner(self, field):
        if self.role_wanted.data == RoleName.PARTNER and not field.partner:
            raise ValidationError(_("Choose the partner organisation you work for."))

    def partner_wanted(self):
        """The organisation named, when partner access is asked for (ignored otherwise)."""
        return self.partner.partner if self.role_wanted.data == RoleName.PARTNER else None


class DecisionForm(FlaskForm):
    reason = TextAreaField(
        _l("Reason for refusal (sent to the applicant)"),
        validators=[Optional(), Length(max=2000)],
    )
    approve = SubmitField(_l("Approve and send invitation"))
    refuse = SubmitField(_l("Refuse"))


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class UserForm(FlaskForm):
    roles = MultiCheckboxField(_l("Roles"), choices=select_choices(RoleName.choices()))
    save_roles = SubmitField(_l("Save roles"))
    revet = SubmitField(_l("Confirm vetting for another period"))


class EndSessionForm(FlaskForm):
    """One button: its CSRF token is the whole content (ending a session, or all of them)."""

    end = SubmitField(_l("End session"))


class AccountActiveForm(FlaskForm):
    deactivate = SubmitField(_l("Deactivate account"))
    reactivate = SubmitField(_l("Reactivate account"))


class UserPartnerForm(FlaskForm):
    partner = PartnerChoice(_l("Partner organisation"), blank=_l("None"))
    save_partner = SubmitField(_l("Save organisation"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.partner.load_choices()


class AuditFilterForm(FlaskForm):
    """GET filters of the audit log; no CSRF (it changes nothing)."""

    class Meta:
        csrf = False

    action = StringField(_l("Action"), validators=[Optional(), Length(max=64)])
    actor = StringField(_l("Actor e-mail"), validators=[Optional(), Length(max=254)])
    since = DateField(_l("From"), validators=[Optional()])
    until = DateField(_l("To"), validators=[Optional()])


class TokenForm(FlaskForm):
    """A new personal access token for the API; the scopes offered are the user's own."""

    name = StringField(_l("Name"), validators=[InputRequired(), Length(max=100)])
    scopes = MultiCheckboxField(_l("Scopes"), choices=[])
    expires_on = DateField(_l("Expires on"), validators=[InputRequired()])
    create_token = SubmitField(_l("Create token"))

    def __init__(self, user, *args, **kwargs):
        from datetime import date, timedelta

        from casebank.auth.tokens import SCOPES, scopes_allowed

        super().__init__(*args, **kwargs)
        self.scopes.choices = [
            (scope, f"{scope}: {SCOPES[scope]}") for scope in scopes_allowed(user)
        ]
        if self.expires_on.data is None and not self.expires_on.raw_data:
            self.expires_on.data = date.today() + timedelta(days=90)
