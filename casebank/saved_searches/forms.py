"""The saved-search forms (Flask-WTF: CSRF on each)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, StringField, SubmitField

from casebank.services.saved_searches import FREQUENCY_LABELS, MAX_NAME


class SavedSearchForm(FlaskForm):
    name = StringField(_l("Name"), description=_l("So you can tell your searches apart."))
    frequency = SelectField(
        _l("E-mail me new matches"),
        choices=list(FREQUENCY_LABELS.items()),
        default="none",
        validate_choice=False,  # the service checks it, and says so beside the name's message
        description=_l(
            "Only case studies published after you save the search, and only those "
            "you may read when the e-mail is sent."
        ),  # fmt: skip
    )
    save = SubmitField(_l("Save"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.name.render_kw = {"maxlength": MAX_NAME, "autocomplete": "off"}


class NewSavedSearchForm(SavedSearchForm):
    """Saving a search: its words and facets travel as hidden fields (the search page's)."""

    q = HiddenField(_l("Search"))
    facets = HiddenField()  # JSON of {facet: value}


class ButtonForm(FlaskForm):
    """One button: its CSRF token is the whole content (delete)."""

    submit = SubmitField(_l("Delete"))
