"""layoffwatch: mass-layoff (规模性失业) early warning for human-resources bureaus."""

__version__ = "0.1.0"
