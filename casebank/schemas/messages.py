"""marshmallow's own error messages in the reader's language. marshmallow has no catalogue:
its fixed messages are marked here for casebank's, and translated where a form shows them.
casebank's own schema messages are translated when they are raised."""

from flask_babel import gettext

from casebank.models.vocab import N_

# The messages of marshmallow's fields that casebank's schemas can raise (the ones with
# placeholders are replaced on the schemas' fields and validators by casebank's own words).
MARSHMALLOW_MESSAGES = (
    N_("Missing data for required field."),
    N_("Field may not be null."),
    N_("Invalid value."),
    N_("Unknown field."),
    N_("Not a valid string."),
    N_("Not a valid utf-8 string."),
    N_("Not a valid list."),
    N_("Not a valid date."),
    N_("Not a valid datetime."),
    N_("Not a valid number."),
    N_("Number too large."),
    N_("Not a valid integer."),
    N_("Not a valid URL."),
    N_("Special numeric values (nan or infinity) are not permitted."),
    N_("Invalid input type."),
)


def translated(messages_by_field):
    """{field: [message]} with marshmallow's own messages in the reader's language (the others,
    translated already or not marshmallow's, are left as they are)."""
    return {
        field: [gettext(m) if m in MARSHMALLOW_MESSAGES else m for m in messages]
        for field, messages in messages_by_field.items()
    }
