"""Controlled vocabularies: every term has a stable slug, a name and an order.

Names and descriptions are Dutch; `name_en`/`description_en` hold the English ones, and `label` /
`explanation` pick by the current locale, falling back to Dutch when the English one is empty."""

from __future__ import annotations

from sqlalchemy import CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.common import current_language
from portal.extensions import db


class TermMixin:
    """Columns every vocabulary term shares; the slug never changes after creation."""

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(150))
    description: Mapped[str] = mapped_column(Text, default="")
    name_en: Mapped[str] = mapped_column(String(150), default="", server_default="")
    description_en: Mapped[str] = mapped_column(Text, default="", server_default="")
    position: Mapped[int] = mapped_column(default=0)
    is_active: Mapped[bool] = mapped_column(default=True)

    @property
    def label(self) -> str:
        """The name in the current language (Dutch when there is no English one)."""
        return localized(self.name, self.name_en)

    @property
    def explanation(self) -> str:
        """The description in the current language (Dutch when there is no English one)."""
        return localized(self.description, self.description_en)

    def __str__(self) -> str:
        return self.label


def localized(dutch: str, english: str | None) -> str:
    """Return the English text on English pages when there is one, else the Dutch."""
    return english if english and current_language() == "en" else dutch


class Theme(TermMixin, db.Model):
    __tablename__ = "themes"
    # The six MVOI themes of the Manifest 2022-2025; related policy goals have is_core False.
    is_core: Mapped[bool] = mapped_column(default=True)


class ProductCluster(TermMixin, db.Model):
    __tablename__ = "product_clusters"
    groups: Mapped[list[ProductGroup]] = relationship(
        back_populates="cluster", order_by="ProductGroup.position"
    )


class ProductGroup(TermMixin, db.Model):
    __tablename__ = "product_groups"
    cluster_id: Mapped[int] = mapped_column(ForeignKey("product_clusters.id"), index=True)
    # Space-separated 8-digit CPV codes, main code first (validated by the form and the seeds).
    cpv_codes: Mapped[str] = mapped_column(String(400), default="")
    confirmed: Mapped[bool] = mapped_column(default=False)
    cluster: Mapped[ProductCluster] = relationship(back_populates="groups")

    @property
    def cpv_list(self) -> list[str]:
        return self.cpv_codes.split()


class Procedure(TermMixin, db.Model):
    __tablename__ = "procedures"
    __table_args__ = (
        CheckConstraint("threshold in ('boven', 'onder', 'overig')", name="threshold"),
    )
    threshold: Mapped[str] = mapped_column(String(10), default="boven")


class AwardMethod(TermMixin, db.Model):
    __tablename__ = "award_methods"


class Instrument(TermMixin, db.Model):
    __tablename__ = "instruments"


class AmbitionLevel(TermMixin, db.Model):
    __tablename__ = "ambition_levels"


class CriterionKind(TermMixin, db.Model):
    __tablename__ = "criterion_kinds"


class Phase(TermMixin, db.Model):
    __tablename__ = "phases"


class JobRole(TermMixin, db.Model):
    """A person's function in procurement (interne opdrachtgever, contractmanager, ...)."""

    __tablename__ = "job_roles"


class OrganisationType(TermMixin, db.Model):
    __tablename__ = "organisation_types"
    # Only for this type does a size class (by inhabitants) apply: gemeenten.
    has_size_class: Mapped[bool] = mapped_column(default=False)


class SizeClass(TermMixin, db.Model):
    """Municipality size class by number of inhabitants."""

    __tablename__ = "size_classes"


class Vocabulary:
    """One editable vocabulary: its URL key, model and Dutch label."""

    def __init__(self, key: str, model: type[TermMixin], label, help_text) -> None:
        self.key = key
        self.model = model
        self.label = label
        self.help_text = help_text


def _vocabularies() -> dict[str, Vocabulary]:
    from flask_babel import lazy_gettext as _l

    items = [
        Vocabulary("themas", Theme, _l("Thema's"), _l("De zes MVOI-thema's en verwante doelen.")),
        Vocabulary(
            "productclusters",
            ProductCluster,
            _l("Productclusters"),
            _l("Clusters van productgroepen."),
        ),
        Vocabulary(
            "productgroepen",
            ProductGroup,
            _l("Productgroepen"),
            _l("Productgroepen met CPV-codes."),
        ),
        Vocabulary("procedures", Procedure, _l("Procedures"), _l("Aanbestedingsprocedures.")),
        Vocabulary(
            "gunningsmethoden",
            AwardMethod,
            _l("Gunningsmethoden"),
            _l("Gunningscriteria volgens de Aanbestedingswet."),
        ),
        Vocabulary(
            "instrumenten",
            Instrument,
            _l("Instrumenten"),
            _l("Hoe MVI aan de markt wordt gevraagd."),
        ),
        Vocabulary(
            "ambitieniveaus",
            AmbitionLevel,
            _l("Ambitieniveaus"),
            _l("Ambitieniveaus van MVI-criteria."),
        ),
        Vocabulary(
            "criteriumsoorten",
            CriterionKind,
            _l("Soorten criteria"),
            _l("Eisen, criteria en contractbepalingen."),
        ),
        Vocabulary("fasen", Phase, _l("Fasen"), _l("Fasen van de inkoopcyclus.")),
        Vocabulary("functies", JobRole, _l("Functies"), _l("Rollen in het inkoopproces.")),
        Vocabulary(
            "organisatietypen",
            OrganisationType,
            _l("Organisatietypen"),
            _l("Soorten publieke organisaties."),
        ),
        Vocabulary(
            "grootteklassen", SizeClass, _l("Grootteklassen"), _l("Gemeenten naar aantal inwoners.")
        ),
    ]
    return {v.key: v for v in items}


VOCABULARIES = _vocabularies()
