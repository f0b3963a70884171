"""Where a search hit leads: the public page of what the public may read, the restricted
area's page for the rest (only officers are ever shown those hits)."""

from flask import url_for

from casebank.models.vocab import DocumentKind
from casebank.search.entries import CASE


def url_of(hit):
    if hit.kind == CASE:
        endpoint = "public.case_detail" if hit.public else "restricted.case_detail"
        return url_for(endpoint, reference=hit.reference)
    if hit.public:
        return url_for("public.document_detail", document_id=int(hit.reference))
    if hit.kind == DocumentKind.RISK_INDICATOR:
        return url_for("restricted.risk_indicator_detail", document_id=int(hit.reference))
    return url_for("restricted.document_detail", document_id=int(hit.reference))
