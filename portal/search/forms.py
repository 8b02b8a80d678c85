"""The administrators' concept form (search query expansion)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import StringField, TextAreaField

from portal.forms import PortalForm, max_length, required


class ConceptForm(PortalForm):
    name = StringField(
        _l("Voorkeursterm"),
        validators=[required(), max_length(120)],
        description=_l("Het woord dat de voorbeelden gebruiken, bijvoorbeeld ‘eiwittransitie’."),
    )
    synonym = TextAreaField(
        _l("Synoniemen"), validators=[max_length(60_000)],
        description=_l("Woorden met dezelfde betekenis. Eén term per regel (hoogstens vier woorden)."),
    )  # fmt: skip
    abbreviation = TextAreaField(
        _l("Afkortingen en oude namen"), validators=[max_length(60_000)],
        description=_l("Bijvoorbeeld ‘EMVI’ bij ‘BPKV’. Eén term per regel."),
    )  # fmt: skip
    narrower = TextAreaField(
        _l("Smallere termen"), validators=[max_length(60_000)],
        description=_l("Wat onder het begrip valt, bijvoorbeeld ‘plantaardig’ of ‘vegetarisch’. Eén term per regel."),
    )  # fmt: skip
    related = TextAreaField(
        _l("Verwante termen"), validators=[max_length(60_000)],
        description=_l("Woorden waarmee mensen ernaar zoeken, bijvoorbeeld ‘kantine’ of ‘vlees’; ze tellen het minst mee. Eén term per regel."),
    )  # fmt: skip
    note = TextAreaField(
        _l("Toelichting"), validators=[max_length(500)],
        description=_l("Voor andere beheerders: waarom deze termen bij elkaar horen, met bron."),
    )  # fmt: skip

    def values(self) -> dict[str, str]:
        return {name: f.data or "" for name, f in self._fields.items() if name != "csrf_token"}

    def fill(self, concept) -> None:
        """Show a concept's terms in the fields, one per line."""
        self.name.data = concept.name
        self.note.data = concept.note
        for role in ("synonym", "abbreviation", "narrower", "related"):
            getattr(self, role).data = "\n".join(concept.terms_of(role))
