"""Reading a request body: JSON objects only (415 for another content type), validated by a
marshmallow schema that refuses unknown fields (422 with each field's messages)."""

from flask import request
from marshmallow import ValidationError

from casebank.api.problems import Problem, invalid
from casebank.services.cases.editing import flat_messages


def json_object():
    if not request.is_json:
        raise Problem(415, "Send a JSON object with Content-Type: application/json.")
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise Problem(400, "The body is not a JSON object.")
    return data


def form_fields():
    """A multipart/form-data body's fields (its files are read by the caller)."""
    if request.mimetype != "multipart/form-data":
        raise Problem(415, "Send the file as multipart/form-data.")
    return request.form


def load(schema, data):
    try:
        return schema.load(data)
    except ValidationError as error:
        raise invalid(flat_messages(error.messages)) from error
