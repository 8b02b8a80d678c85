"""Action plans (actieplannen): an organisation's MVI ambitions per theme, with SMART goals whose
progress the monitor can compute, actions with owners, and links to the tenders, criteria and
lessons that carry them out. A plan is a knowledge item of kind 'plan'; its own pages (copy, the
yearly report) are in views.py, so the kind registry can import the model without the pages."""
