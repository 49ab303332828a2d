"""Training, evaluation, the model registry and scoring (the risk-model issue builds this package)."""
