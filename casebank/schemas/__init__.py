"""marshmallow schemas: the shape of records at casebank's edges."""
