"""Point-in-time features and art. 41 labels (the risk-model issue builds this package)."""
