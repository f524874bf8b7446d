"""Dialogue-act and call-outcome classifiers: scikit-learn pipelines shipped under `models/`.

Dialogue acts of agent utterances (one label per utterance, its primary act):
greeting_offer, discovery_question, name_request, contact_request, price_statement,
self_introduction, closing_check, farewell, backchannel, hold_request, other.
An utterance that carries several acts is labelled by priority, most specific first:
self_introduction > price_statement > name_request > contact_request >
discovery_question > hold_request > farewell > closing_check > greeting_offer >
backchannel > other. So "Good morning, Ventura Windows, Anna speaking, how can I help?"
is a self_introduction, and "It's about ninety, but which tooth is it?" a price_statement.
At prediction time each sentence of a long agent turn is classified too, so a question
or request at the end of a turn is not lost (see `predict.primary_act`).

Call outcomes: appointment_booked, order_placed, callback_agreed, information_only,
customer_declined, unresolved.
"""

from qa_pipeline.classifiers.data import ACT_PRIORITY, DIALOGUE_ACTS, OUTCOMES
from qa_pipeline.classifiers.predict import predict_dialogue_acts, predict_outcome

__all__ = ["ACT_PRIORITY", "DIALOGUE_ACTS", "OUTCOMES", "predict_dialogue_acts", "predict_outcome"]
