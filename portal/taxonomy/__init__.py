"""The shared vocabularies (themes, product groups, ...) and their pages.

The blueprint is made in views.py, so importing the models does not import the pages."""
