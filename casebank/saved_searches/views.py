"""Saved-search pages: parse the form, ask services.saved_searches, render."""

import json

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from casebank.extensions import csrf, limiter
from casebank.saved_searches import bp
from casebank.saved_searches.forms import ButtonForm, NewSavedSearchForm, SavedSearchForm
from casebank.search.querying import FACETS
from casebank.services import saved_searches as service


@bp.get("/")
def index():
    return render_template(
        "saved_searches/index.html",
        searches=service.searches_of(current_user),
        labels=service.FREQUENCY_LABELS,
        search_args=service.search_args,
        delete_form=ButtonForm(),
    )


def facets_of(args):
    return {name: args.get(name)[:40] for name in FACETS if (args.get(name) or "").strip()}


@bp.get("/new")
def new():
    """The form to save the search these arguments run (the search page links here)."""
    text, facets = (request.args.get("q") or "")[:200], facets_of(request.args)
    name = service.suggested_name(current_user, text)
    form = NewSavedSearchForm(formdata=None, q=text, facets=json.dumps(facets), name=name)
    return render_template("saved_searches/new.html", form=form, text=text, facets=facets)


def posted_facets(form):
    try:
        facets = json.loads(form.facets.data or "{}")
    except ValueError:
        return {}
    return facets if isinstance(facets, dict) else {}


@bp.post("/")
@limiter.limit("30 per hour")
def create():
    form = NewSavedSearchForm()
    facets = posted_facets(form)
    if form.validate_on_submit():
        try:
            service.save_search(current_user, form.name.data, form.q.data, facets,
                                form.frequency.data)  # fmt: skip
        except service.SavedSearchInvalid as invalid:
            add_errors(form, invalid.errors)
        else:
            flash(_("Your search was saved."), "success")
            return redirect(url_for("saved_searches.index"))
    page = render_template("saved_searches/new.html", form=form, text=form.q.data or "",
                           facets=facets)  # fmt: skip
    return page, 400


def add_errors(form, errors):
    for name, messages in errors.items():
        field = form._fields.get(name, form.name)
        field.errors = [*field.errors, *messages]


def own_search(search_id):
    return service.get_search(current_user, search_id) or abort(404)


@bp.get("/<int:search_id>")
def edit(search_id):
    saved = own_search(search_id)
    form = SavedSearchForm(formdata=None, obj=saved)
    return render_template("saved_searches/edit.html", form=form, saved=saved,
                           search_args=service.search_args(saved))  # fmt: skip


@bp.post("/<int:search_id>")
def update(search_id):
    saved = own_search(search_id)
    form = SavedSearchForm()
    if form.validate_on_submit():
        try:
            service.update_search(saved, form.name.data, form.frequency.data)
        except service.SavedSearchInvalid as invalid:
            add_errors(form, invalid.errors)
        else:
            flash(_("Your saved search was changed."), "success")
            return redirect(url_for("saved_searches.index"))
    page = render_template("saved_searches/edit.html", form=form, saved=saved,
                           search_args=service.search_args(saved))  # fmt: skip
    return page, 400


@bp.post("/<int:search_id>/delete")
def delete(search_id):
    if not ButtonForm().validate_on_submit():
        abort(400)
    service.delete_search(own_search(search_id))
    flash(_("The saved search was deleted."), "success")
    return redirect(url_for("saved_searches.index"))


@bp.route("/unsubscribe/<token>", methods=["GET", "POST"])
@limiter.limit("30 per minute")
@csrf.exempt  # the signed token is the credential; mail clients POST it (RFC 8058 one-click)
def unsubscribe(token):
    """GET: a page with one button (a link scanner opening the mail must not unsubscribe);
    POST: stop the alerts of the saved search the token names, without logging in."""
    saved = service.search_of_token(token)
    if saved is None:
        return render_template("saved_searches/unsubscribe.html", saved=None), 400
    if request.method == "POST":
        service.unsubscribe(saved)
        return render_template("saved_searches/unsubscribe.html", saved=saved, done=True)
    return render_template("saved_searches/unsubscribe.html", saved=saved, done=False)
