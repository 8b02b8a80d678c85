"""Accounts: registration, login, profile, password and e-mail changes.

The blueprint is made in views.py, so importing the models does not import the pages."""
