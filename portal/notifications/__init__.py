"""Follows, notifications in the site and by e-mail (immediately or as a digest), unsubscribe.

The blueprint is made in views.py, so importing the models does not import the pages."""
