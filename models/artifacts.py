"""Model artifacts on disk: skops files whose sha256 is checked before they are opened.

skops loads only the types it is told to trust; ``TRUSTED_TYPES`` is the exact list a
``LayoffRiskModel`` needs, and a file asking for anything else is refused. The hash recorded in
the registry is checked first, so a file swapped on disk is refused before skops reads it.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import skops.io as sio

from layoffwatch.errors import UserError
from models.estimator import LayoffRiskModel
from store.files import sha256_of

TRUSTED_TYPES = [
    "functools.partial",
    "models.estimator.LayoffRiskModel",
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
    "sklearn.utils.validation.check_array",
]


class ArtifactRefused(UserError):
    """The artifact's hash does not match the registry, or it asks for untrusted types."""


def save(model: LayoffRiskModel, path: Path) -> str:
    """Write the model atomically; returns the file's sha256."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".part")
    os.close(fd)
    sio.dump(model, tmp)
    os.replace(tmp, path)
    return sha256_of(path)


def load(path: Path, *, expected_sha256: str) -> LayoffRiskModel:
    """The model in ``path``, once its bytes hash to ``expected_sha256`` and it asks only for trusted
    types. The file is hashed on every call; the model read from the same bytes is kept, so a
    process that scores day after day (a backfill, the demo) reads each artifact once."""
    if not path.exists():
        raise ArtifactRefused(f"模型文件 {path} 不存在（model artifact missing）。")
    actual = sha256_of(path)
    if actual != expected_sha256:
        raise ArtifactRefused(
            f"{path}: sha256 {actual[:12]}… does not match the registry's {expected_sha256[:12]}…; "
            "the file was changed after training and will not be loaded."
        )
    key = (str(path.resolve()), actual)
    if key in _loaded:
        return _loaded[key]
    untrusted = sorted(set(sio.get_untrusted_types(file=path)) - set(TRUSTED_TYPES))
    if untrusted:
        raise ArtifactRefused(f"{path} asks to load untrusted types {untrusted}; refused.")
    model = sio.load(path, trusted=TRUSTED_TYPES)
    if not isinstance(model, LayoffRiskModel):
        raise ArtifactRefused(f"{path} does not hold a LayoffRiskModel.")
    if len(_loaded) >= LOADED_KEPT:
        _loaded.pop(next(iter(_loaded)))
    _loaded[key] = model
    return model


LOADED_KEPT = 2  # the champion and a challenger being compared with it
_loaded: dict[tuple[str, str], LayoffRiskModel] = {}
