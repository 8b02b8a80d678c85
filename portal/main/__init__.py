"""The home page and the site-wide pages.

The blueprint is made in views.py, so importing the models does not import the pages."""
