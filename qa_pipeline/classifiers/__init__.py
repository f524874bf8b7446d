"""Dialogue-act and call-outcome classifiers (scikit-learn pipelines shipped under models/)."""
