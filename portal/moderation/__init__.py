"""Moderation: the queue of reports on items and answers, hide / restore / dismiss, and the audit
log of every moderator decision. The blueprint is in views.py."""
