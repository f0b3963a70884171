"""What the partner and editorial award pages share: the nomination form."""

from flask import flash, redirect, render_template
from flask_babel import gettext as _

from casebank.auth.permissions import current_user
from casebank.award_forms import NominationForm
from casebank.services.awards import nominations


def nomination_page(award_round, back):
    """Show or take the nomination form of a round; on success go to `back` (a URL)."""
    form = NominationForm()
    if form.validate_on_submit():
        try:
            nominations.nominate(award_round, form.data, current_user())
        except nominations.NominationInvalid as invalid:
            form.show_errors(invalid.errors)
        else:
            flash(_("Nomination received."), "success")
            return redirect(back)
    status = 400 if form.is_submitted() else 200
    page = render_template(
        "awards/nominate.html",
        form=form,
        award_round=award_round,
        accepting=nominations.accepting(award_round),
        back=back,
    )
    return page, status
