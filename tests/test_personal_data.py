"""The personal-data check before submission: what it finds in realistic case-study text, and
the species, places, agencies, companies, vessels and codes it must leave alone."""

import json
from importlib import resources

import pytest

from casebank.schemas.case_study import PUBLIC_CASE_FIELDS
from casebank.services.cases.personal_data import (
    FREE_TEXT_FIELDS,
    Finding,
    check_case,
    find_personal_data,
)

pytestmark = pytest.mark.no_db


def found(text, region=None):
    """[(kind, text)] found in one field."""
    return [
        (f.kind, f.text)
        for f in find_personal_data({"narrative": text}, region).get("narrative", [])
    ]


# --- what it finds ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        ("The driver, Ahmad Yusof, was stopped at the Bukit Kayu Hitam checkpoint.",
         "Ahmad Yusof"),
        ("Mr Li Wei declared the crates as ornamental fish.", "Li Wei"),
        ("Mrs Theresa May signed the declaration.", "Theresa May"),
        ("Mr Brian, the agent, paid the duty.", "Brian"),
        ("The shipper, known as Ali, vanished.", "Ali"),
        ("Dr. Amina Okafor examined the tusks.", "Amina Okafor"),
        ("Captain Igor Petrov was the master of the reefer.", "Igor Petrov"),
        ("A Vietnamese national, Nguyen Van An, was detained at Noi Bai airport.",
         "Nguyen Van An"),
        ("The court sentenced the owner, Georg Eide, to six months.", "Georg Eide"),
        ("The passenger, named in Indonesian media as Mulyono, admitted it.", "Mulyono"),
        ("Police arrested Kwame Mensah at the port gate.", "Kwame Mensah"),
        ("In May Samuel Otieno was arrested in Mombasa.", "Samuel Otieno"),
        ("The importer, Daniel Kimani, 52, paid the fine.", "Daniel Kimani"),
        ("The suspect Pedro DA SILVA refused to answer.", "Pedro DA SILVA"),
        # French
        ("Le prévenu, Jean Dupont, a été condamné à deux ans.", "Jean Dupont"),
        ("M. Martin conduisait le camion.", "Martin"),
        ("Mme Claire Lefèvre, âgée de 41 ans, a reconnu les faits.", "Claire Lefèvre"),
        # Spanish
        ("El acusado Juan Pérez García fue condenado a tres años.", "Juan Pérez García"),
        ("La Sra. López viajaba desde Lima.", "López"),
        ("El conductor, identificado como Carlos Ruiz, huyó.", "Carlos Ruiz"),
    ],
)  # fmt: skip
def test_names_of_persons_next_to_a_cue_are_found(text, expected):
    assert ("person_name", expected) in found(text)


@pytest.mark.parametrize(
    "text, kind, expected",
    [
        ("His passport No. E12345678 was Malaysian.", "passport_or_id", "E12345678"),
        ("He showed ID card number 880412-14-5521.", "passport_or_id", "880412-14-5521"),
        ("Passeport n° 12AB34567 délivré à Lyon.", "passport_or_id", "12AB34567"),
        ("passeport n°12AB34567", "passport_or_id", "12AB34567"),
        ("Travelling on passport #E1234567 issued in 2019.", "passport_or_id", "E1234567"),
        ("Con pasaporte PA1234567 y DNI 12345678Z.", "passport_or_id", "PA1234567"),
        ("Con pasaporte PA1234567 y DNI 12345678Z.", "passport_or_id", "12345678Z"),
        ("a national ID: 19850321-0457", "passport_or_id", "19850321-0457"),
        ("The truck, licence plate WXY 1234, was weighed.", "vehicle_plate", "WXY 1234"),
        ("Le camion immatriculé AB-123-CD a été fouillé.", "vehicle_plate", "AB-123-CD"),
        ("La furgoneta con matrícula 1234 BCD fue inspeccionada.", "vehicle_plate", "1234 BCD"),
        ("the car registration number B 1234 XYZ", "vehicle_plate", "B 1234 XYZ"),
        ("Contact him on +60 3 2093 5544 for the release.", "phone", "+60 3 2093 5544"),
        ("Tél. 06 12 34 56 78 (portable).", "phone", "06 12 34 56 78"),
        ("whatsapp: 0812 3456 7890", "phone", "0812 3456 7890"),
        ("The agent answered on 03-2093 5544.", "phone", "03-2093 5544"),
        ("Orders went to li.wei@example.com by mail.", "email", "li.wei@example.com"),
        ("escribir a j.perez+pedidos@correo.example.es.", "email",
         "j.perez+pedidos@correo.example.es"),
    ],
)  # fmt: skip
def test_numbers_and_addresses_are_found(text, kind, expected):
    # "03-2093 5544" is a Malaysian number written the national way: the case's country says so.
    assert (kind, expected) in found(text, region="MY")


def test_national_phone_numbers_need_the_case_country_or_a_cue():
    assert found("The agent answered on 03-2093 5544.") == []
    assert found("The agent answered on 03-2093 5544.", region="MY") == [("phone", "03-2093 5544")]


def test_each_finding_says_what_it_is_and_advises_the_restricted_notes():
    result = find_personal_data({"summary": "Mr Li Wei", "place": "Port Klang"})
    assert list(result) == ["summary"]
    (item,) = result["summary"]
    assert item == Finding("person_name", "Li Wei")
    assert "the name of a person" in item.advice
    assert "restricted notes" in item.advice


def test_a_stretch_of_text_is_reported_once_under_its_best_kind():
    assert found("passport number 0123456789 and phone +44 20 7946 0958", region="GB") == [
        ("passport_or_id", "0123456789"),
        ("phone", "+44 20 7946 0958"),
    ]


def test_names_in_the_demo_cases_are_found():
    """The demo case studies quote names from press reports: the check must see them."""
    narratives = {c["reference"]: c["narrative"] for c in demo_cases()}
    assert ("person_name", "Georg Eide") in found(narratives["CB-2017-111"])
    assert ("person_name", "Andrei Zhestkov") in found(narratives["CB-2019-008"])
    assert ("person_name", "Mulyono") in found(narratives["CB-2015-007"])


# --- what it leaves alone --------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        # species
        "Customs found 2,300 Psittacus erithacus (African grey parrot) in crates.",
        "Scales of Pangolin manis and Manis javanica, 1,500 kg in total.",
        "The animals were identified as Isostichopus fuscus, the brown sea cucumber.",
        "The owner of the Psittacus erithacus had no CITES permit.",
        # places
        "The containers moved from Port Klang via Le Havre to Santa Cruz de Tenerife.",
        "The driver, Santa Cruz police said, had crossed twice that week.",
        "The passenger ship KM Tidar sails between Papua and Jakarta.",
        # agencies, companies, vessels, conventions
        "The Royal Malaysian Customs and the Customs Intelligence Unit were alerted.",
        "The owner Maersk Line cooperated; Hapag-Lloyd AG was fined EUR 20,000.",
        "Royal Malaysian Customs was praised; the national Customs Intelligence Unit agreed.",
        "The defendant Golden Star Trading Sdn Bhd was convicted.",
        "The National Parks Board (NParks) and Singapore Customs inspected the cargo.",
        "The vessel MV Ever Given was boarded under the Montreal Protocol.",
        "It was identified as Mexican nationals' luggage by the Basel Convention Secretariat.",
        "The courier was identified as Vietnamese; the buyer was known as Malaysian.",
        "He was named a suspect and detained under Law 5/1990.",
        "The exporter named R-134a, R-404A and R-507 as the refrigerants.",
        # codes, quantities, dates and references
        "HS 0106.19 and 2903.41; CAS 75-37-6; ASHRAE R-22; reference CB-2015-007.",
        "12 tonnes in 40 containers, 3,250 kg, 1,500,000 sticks, seized 2014-2019.",
        "On 2019-05-04, 21 specimens and 145 kg were seized; fine 250,000 MYR.",
        "Bill of lading 123456789 for container MSKU1234567, seal 00123456.",
        "Steel plates 50 KG each hid the ivory; the passport of Indonesia was genuine.",
        "Passports 2019: the scheme used registration of companies since 2018.",
        # French and Spanish
        "Le prévenu a été condamné par le tribunal du Havre; la douane de Marseille a saisi.",
        "El acusado fue condenado por la Aduana Nacional en Santa Cruz de la Sierra.",
    ],
)
def test_no_false_alarm(text):
    assert found(text, region="MY") == []


def demo_cases():
    path = resources.files("casebank").joinpath("data", "demo", "case_studies.json")
    return json.loads(path.read_text(encoding="utf-8"))


def test_demo_cases_raise_no_alarm_beyond_the_names_they_quote():
    quoted = {"Mulyono", "Georg Eide", "Andrei Zhestkov", "Al-Maamari Maged Mutahar Ali"}
    public = ("title", "summary", "narrative", "place", "concealment_method",
              "goods_disposition", "charges", "appeal_notes", "lessons_learned")  # fmt: skip
    for case in demo_cases():
        fields = {name: case.get(name) or "" for name in public}
        fields["agencies"] = "; ".join(case.get("agencies") or [])
        for items in find_personal_data(fields, case["country"]).values():
            for item in items:
                assert (item.kind, item.text) in {("person_name", q) for q in quoted}, (
                    case["reference"],
                    item,
                )


# --- a whole case study ---------------------------------------------------------------------

# Public fields the check skips: codes, dates, numbers, URLs, choices from a vocabulary.
CODED_FIELDS = {
    "reference", "seizure_date", "country", "facility_type", "point", "transport_mode",
    "conventions", "hs_codes", "commodity_category", "cites_appendix", "cas_number",
    "ashrae_number", "quantity", "quantity_unit", "estimated_value", "value_currency",
    "origin_countries", "transit_countries", "destination_countries", "detection_method",
    "prosecution_status", "decision_date", "fine_amount", "fine_currency", "custodial_months",
    "source_urls", "partner",
}  # fmt: skip


def test_every_public_field_is_checked_or_declared_coded():
    """A public field added to the schema must be placed in one list or the other."""
    assert set(FREE_TEXT_FIELDS) | CODED_FIELDS == set(PUBLIC_CASE_FIELDS)
    assert not set(FREE_TEXT_FIELDS) & CODED_FIELDS


def test_a_case_record_is_checked_field_by_field():
    record = {
        "country": "MY",
        "title": "Malaysia: pangolin scales in a lorry at Bukit Kayu Hitam",
        "narrative": "The driver, Ahmad Yusof, gave 012-345 6789 as his number.",
        "agencies": ["Royal Malaysian Customs", "Officer in charge: Mr Tan Boon Huat"],
        "charges": None,
        "restricted_notes": "Mr Lim Kok Wai, passport A12345678",  # never public: not checked
        "hs_codes": ["0106.19"],
    }
    result = check_case(record)
    assert set(result) == {"narrative", "agencies"}
    assert [(f.kind, f.text) for f in result["narrative"]] == [
        ("person_name", "Ahmad Yusof"),
        ("phone", "012-345 6789"),
    ]
    assert [(f.kind, f.text) for f in result["agencies"]] == [("person_name", "Tan Boon Huat")]
