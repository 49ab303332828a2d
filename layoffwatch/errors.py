"""Errors meant for people: one sentence naming the file, row, column or setting at fault.

The command line prints a ``UserError`` as that sentence and exits 2; anything else is a bug
and keeps its traceback.
"""


class UserError(Exception):
    """A mistake in input or configuration that the user can fix."""


class SettingsError(UserError):
    """A setting (environment variable or layoffwatch.toml) has a value we cannot use."""


class FileRejected(UserError):
    """A whole input file cannot be taken; nothing from it reaches the lake.

    ``reason`` is one Chinese/English sentence for the per-file table; ``column`` names the
    column at fault when there is one.
    """

    def __init__(self, path: object, reason: str, *, column: str | None = None) -> None:
        self.path = str(path)
        self.reason = reason
        self.column = column
        super().__init__(f"{self.path}: {reason}")
