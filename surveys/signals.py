"""Signals of the surveys app, for apps that react to feedback (playbooks) without surveys
knowing them."""

from django.dispatch import Signal

# Sent on transaction commit after a response from the public survey page is stored, with the
# keyword argument `response` (a SurveyResponse whose `invitation` is set). A receiver runs
# outside the response's transaction: an error there cannot lose the customer's answer.
response_recorded = Signal()
