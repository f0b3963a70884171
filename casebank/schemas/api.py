"""What the JSON API reads and writes, beside the case-study schema it reuses.

Case studies go out through CaseStudySchema with one of its field sets (public, restricted,
workflow: casebank/schemas/case_study.py) and come in through the same schema the web forms
and import use (services/cases/editing.load_record). The schemas here describe the rest: the
envelopes, the workflow's input, documents and reference data. The OpenAPI description is
generated from all of them (casebank/api/openapi.py).
"""

import copy

from marshmallow import RAISE, Schema, fields, validate

from casebank.models.vocab import AccessLevel, DocumentKind, Language, WorkflowStatus
from casebank.schemas.case_study import (
    CASE_FIELDS,
    PUBLIC_CASE_FIELDS,
    RESTRICTED_CASE_FIELDS,
    CaseStudySchema,
    one_of,
)

LONGEST_MESSAGE = 10000
# The fields a partner or editor writes: the form's (services/cases/editing.FORM_FIELDS).
WRITABLE_CASE_FIELDS = tuple(
    f for f in CASE_FIELDS if f not in ("reference", "partner", "access_level", "status",
                                        "published_at")
)  # fmt: skip
# Which case-study fields each audience reads (the audience is permissions.case_audience's).
CASE_FIELD_SETS = {
    "public": PUBLIC_CASE_FIELDS,
    "restricted": (*RESTRICTED_CASE_FIELDS, "access_level", "published_at"),
    "workflow": CASE_FIELDS,
}


class Strict(Schema):
    class Meta:
        unknown = RAISE


def read_only_copy(field):
    """A case field as it is read back: never required, null when not given (a draft may lack
    anything), amounts as exact text, timestamps as the database keeps them (no time zone)."""
    if isinstance(field, fields.Decimal):
        return fields.String(allow_none=True, metadata={"description": "An exact decimal."})
    if isinstance(field, fields.NaiveDateTime):
        return fields.String(allow_none=True, metadata={"description": "UTC, ISO 8601."})
    field = copy.deepcopy(field)
    field.required, field.allow_none = False, True
    # A draft's record may be short of what submitting needs (no convention yet): only the
    # vocabularies bound what is read back.
    field.validators = [v for v in field.validators if isinstance(v, validate.OneOf)]
    return field


def case_output_schema(audience):
    declared = CaseStudySchema._declared_fields
    names = CASE_FIELD_SETS[audience]
    shape = {name: read_only_copy(declared[name]) for name in names}
    shape["status"] = fields.String(validate=one_of(WorkflowStatus), allow_none=True)
    if audience == "public":
        shape.pop("status")
    shape["url"] = fields.String(metadata={"description": "This case study in the API."})
    return Schema.from_dict(shape, name=f"Case{audience.capitalize()}")


CasePublic = case_output_schema("public")
CaseRestricted = case_output_schema("restricted")
CaseWorkflow = case_output_schema("workflow")


class CaseWrite(CaseStudySchema):
    """A draft's fields (all optional while it is a draft), with the envelope of a save."""

    class Meta(CaseStudySchema.Meta):
        unknown = RAISE

    version = fields.Integer(
        validate=validate.Range(min=0, max=2**31 - 1),
        metadata={"description": "The case's version this save builds on (updates only)."},
    )
    change_note = fields.String(allow_none=True, validate=validate.Length(max=500))


class Transition(Strict):
    name = fields.String(
        required=True,
        validate=validate.OneOf(
            [
                "submit",
                "withdraw",
                "start_review",
                "request_changes",
                "publish",
                "reject",
                "unpublish",
                "reopen",
                "send_to_review",
            ]
        ),  # fmt: skip
    )
    reason = fields.String(allow_none=True, validate=validate.Length(max=LONGEST_MESSAGE))
    access_level = fields.String(
        allow_none=True,
        validate=validate.OneOf(["public", "public_with_notes", "restricted"]),
        metadata={"description": "publish only: who may read the published case study."},
    )
    confirmed = fields.Boolean(
        load_default=False,
        metadata={"description": "submit only: the personal-data findings were read."},
    )


class MessageWrite(Strict):
    body = fields.String(required=True, validate=validate.Length(min=1, max=LONGEST_MESSAGE))


class Message(Schema):
    id = fields.Integer()
    author = fields.String(allow_none=True)
    body = fields.String()
    internal = fields.Boolean()
    created_at = fields.String()


class Revision(Schema):
    number = fields.Integer()
    author = fields.String(allow_none=True)
    change_note = fields.String(allow_none=True)
    created_at = fields.String()


class Status(Schema):
    reference = fields.String()
    status = fields.String(validate=one_of(WorkflowStatus))
    version = fields.Integer()
    transitions = fields.List(fields.String(), metadata={"description": "Allowed to you now."})
    history = fields.List(fields.Nested(Revision))
    messages = fields.List(fields.Nested(Message))


class Finding(Schema):
    field = fields.String()
    kind = fields.String()
    text = fields.String()


class SubmitFindings(Schema):
    detail = fields.String()
    findings = fields.List(fields.Nested(Finding))


class DocumentOut(Schema):
    id = fields.Integer()
    title = fields.String()
    kind = fields.String(validate=one_of(DocumentKind))
    language = fields.String(validate=one_of(Language))
    access_level = fields.String(validate=one_of(AccessLevel))
    status = fields.String()
    description = fields.String(allow_none=True)
    media_type = fields.String()
    size_bytes = fields.Integer()
    sha256 = fields.String()
    case_reference = fields.String(allow_none=True)
    published_at = fields.String(allow_none=True)
    download_url = fields.String(allow_none=True, metadata={"description": "Once published."})


class AttachmentWrite(Strict):
    """multipart/form-data: the file with its title, kind and access level."""

    file = fields.Raw(required=True, metadata={"type": "string", "format": "binary"})
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    kind = fields.String(required=True, validate=validate.OneOf(["image", "report", "other"]))
    access_level = fields.String(required=True, validate=one_of(AccessLevel))


class ConventionOut(Schema):
    code = fields.String()
    short_name = fields.String()
    name = fields.String()
    url = fields.String()
    adopted_year = fields.Integer()
    in_force_year = fields.Integer()
    public_cases = fields.Integer()


class HSCodeOut(Schema):
    code = fields.String()
    description = fields.String()
    notes = fields.String()
    conventions = fields.List(fields.String())


class Page(Schema):
    page = fields.Integer()
    per_page = fields.Integer()
    total = fields.Integer()
    pages = fields.Integer()
    notices = fields.List(fields.String(), metadata={"description": "Filters ignored, and why."})


def page_of(item_schema, name):
    return Schema.from_dict(
        {
            **{n: copy.deepcopy(f) for n, f in Page._declared_fields.items()},
            "items": fields.List(fields.Nested(item_schema)),
        },
        name=name,
    )


class ProblemOut(Schema):
    type = fields.String()
    title = fields.String()
    status = fields.Integer()
    detail = fields.String()
    errors = fields.Dict(
        keys=fields.String(), values=fields.List(fields.String()),
        metadata={"description": "Messages for each invalid field."},
    )  # fmt: skip
