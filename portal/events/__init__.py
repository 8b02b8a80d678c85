"""Events (bijeenkomsten): an event is a knowledge item of kind 'event'; registrations, the
waiting list and calendar files live here. The blueprint is in views.py, so the kind registry can
import the model without importing the pages."""
