"""The OCDS upload form."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField

from portal.forms import PortalForm


class OcdsUploadForm(PortalForm):
    file = FileField(
        _l("OCDS-bestand (JSON)"),
        description=_l(
            "Een release of een release package, bijvoorbeeld uit de open data van TenderNed."
        ),
    )
