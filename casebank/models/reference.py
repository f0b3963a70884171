"""Reference data: the conventions and the HS nomenclature entries case studies point to."""

from flask_babel import gettext
from sqlalchemy import Column, ForeignKey, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casebank.extensions import db
from casebank.models.vocab import N_

# The conventions' names and descriptions as casebank/data/conventions.json gives them, marked
# for the catalogues (pybabel extract): the database keeps the English, which search indexes;
# pages show translated_*. tests/test_reading_pages.py checks this list follows the file.
CONVENTION_TEXTS = (
    N_("CITES"),
    N_("Convention on International Trade in Endangered Species of Wild Fauna and Flora"),
    N_(
        "Regulates international trade in specimens of wild animals and plants listed in its "
        "three Appendices, through a system of permits and certificates, so that trade does "
        "not threaten their survival."
    ),
    N_("Montreal Protocol"),
    N_("Montreal Protocol on Substances that Deplete the Ozone Layer"),
    N_(
        "Phases out the production and consumption of ozone-depleting substances (CFCs, "
        "halons, HCFCs, methyl bromide) and, since the Kigali Amendment, phases down "
        "hydrofluorocarbons (HFCs); trade is controlled through licensing systems."
    ),
    N_("Basel Convention"),
    N_(
        "Basel Convention on the Control of Transboundary Movements of Hazardous Wastes and "
        "their Disposal"
    ),
    N_(
        "Controls transboundary movements of hazardous and other wastes through prior "
        "informed consent; a shipment without consent is illegal traffic and must be taken "
        "back by the state of export."
    ),
    N_("Rotterdam Convention"),
    N_(
        "Rotterdam Convention on the Prior Informed Consent Procedure for Certain Hazardous "
        "Chemicals and Pesticides in International Trade"
    ),
    N_(
        "Lets importing countries decide whether to accept the chemicals and pesticides "
        "listed in its Annex III, and obliges exporters to respect those decisions."
    ),
    N_("Stockholm Convention"),
    N_("Stockholm Convention on Persistent Organic Pollutants"),
    N_(
        "Eliminates or restricts the production, use, import and export of persistent organic"
        " pollutants such as DDT, lindane, PCBs and PFOS."
    ),
    N_("Cartagena Protocol"),
    N_("Cartagena Protocol on Biosafety to the Convention on Biological Diversity"),
    N_(
        "Governs transboundary movements of living modified organisms (LMOs), requiring "
        "advance informed agreement and identification of shipments."
    ),
    N_("Chemical Weapons Convention"),
    N_(
        "Convention on the Prohibition of the Development, Production, Stockpiling and Use of"
        " Chemical Weapons and on their Destruction"
    ),
    N_(
        "Bans chemical weapons and controls trade in the toxic chemicals and precursors "
        "listed in its three Schedules, verified by the OPCW."
    ),
)

hs_code_conventions = Table(
    "hs_code_conventions",
    db.metadata,
    Column("hs_code_id", ForeignKey("hs_codes.id", ondelete="CASCADE"), primary_key=True),
    Column("convention_id", ForeignKey("conventions.id", ondelete="CASCADE"), primary_key=True),
)


class Convention(db.Model):
    __tablename__ = "conventions"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    short_name: Mapped[str] = mapped_column(String(80))
    name: Mapped[str] = mapped_column(String(300))
    url: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    adopted_year: Mapped[int]
    in_force_year: Mapped[int]
    sort_order: Mapped[int] = mapped_column(default=0)

    @property
    def translated_short_name(self):
        return gettext(self.short_name)

    @property
    def translated_name(self):
        return gettext(self.name)

    @property
    def translated_description(self):
        return gettext(self.description) if self.description else ""

    def __repr__(self):
        return f"<Convention {self.code}>"


class HSCode(db.Model):
    """A heading (`2903`) or subheading (`2903.71`) of the Harmonized System, normalised."""

    __tablename__ = "hs_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(7), unique=True)
    description: Mapped[str] = mapped_column(Text)
    notes: Mapped[str] = mapped_column(Text, default="")
    conventions: Mapped[list[Convention]] = relationship(
        secondary=hs_code_conventions, order_by=Convention.sort_order
    )

    @property
    def is_heading(self):
        return "." not in self.code

    def __repr__(self):
        return f"<HSCode {self.code}>"
