"""Shared machinery of every knowledge item: model, visibility, revisions, links, files, the
generic pages; kinds plug themselves in through content.kinds.register_kind.

The blueprint is made in views.py, so importing the models does not import the pages."""
