"""Regions and networks of organisations.

The blueprint is made in views.py, so importing the models does not import the pages."""
