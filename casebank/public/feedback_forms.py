"""The public feedback form (Flask-WTF: CSRF token) with its honeypot and signed start time."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import Email, InputRequired, Length, Optional

from casebank.i18n import sorted_country_choices
from casebank.services.feedback import COMMENT_MAX_CHARS

RATINGS = [(str(n), str(n)) for n in range(1, 6)]


class FeedbackForm(FlaskForm):
    rating = RadioField(
        _l("Your rating (1 = poor, 5 = excellent)"),
        choices=RATINGS,
        validators=[InputRequired(_l("Choose a rating from 1 to 5."))],
    )
    # Longer than the cap here so that the service's own message (with the cap) is shown.
    comment = TextAreaField(
        _l("Your comment"),
        validators=[InputRequired(), Length(max=COMMENT_MAX_CHARS * 4)],
        description=_l(
            "Plain text, at most %(num)s characters and 2 links.", num=COMMENT_MAX_CHARS
        ),
    )
    name = StringField(_l("Your name (optional)"), validators=[Optional(), Length(max=100)])
    organisation = StringField(
        _l("Organisation (optional)"), validators=[Optional(), Length(max=200)]
    )
    country = SelectField(_l("Country (optional)"), validators=[Optional()])
    reply_email = StringField(
        _l("E-mail for a reply (optional)"),
        validators=[Optional(), Length(max=254), Email(check_deliverability=False)],
        description=_l("Never shown and never published; only the secretariat may use it to "
                       "answer you."),
    )  # fmt: skip
    consent_to_publish = BooleanField(
        _l("I agree that my rating, comment, name, organisation and country are published "
           "on this site once a moderator approves them.")
    )  # fmt: skip
    # A field people never see (hidden by the stylesheet, labelled as a trap for screen
    # readers); robots that fill in every field fill it in.
    website = StringField(_l("Leave this field empty"))
    started = HiddenField()
    version = HiddenField()  # the number of the version read: feedback belongs to it

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.country.choices = sorted_country_choices("—")

    def fields(self):
        def text(field):
            return (field.data or "").strip() or None

        return {
            "rating": int(self.rating.data),
            "comment": self.comment.data.strip(),
            "name": text(self.name),
            "organisation": text(self.organisation),
            "country": text(self.country),
            "reply_email": text(self.reply_email),
            "consent_to_publish": bool(self.consent_to_publish.data),
        }
