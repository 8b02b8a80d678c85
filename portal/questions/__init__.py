"""Questions and answers: a question is a knowledge item of kind 'question'; answers, votes,
comments, acceptance and verification live here. The blueprint is in views.py, so the kind
registry can import the model without importing the pages."""
