"""The Great Expectations project under the home: one file-backed context per home, kept quiet.

The context lives in ``settings.home / "gx"`` (suites, validation definitions, and every
validation result under ``uncommitted/validations``), so results accumulate across runs and the
Data Docs are rebuilt from all of them. The Data Docs site is written to
``settings.reports / "data_docs"``.

Importing Great Expectations costs 4-5 seconds, so this module imports it only when a context
is first needed; importing ``expectations.suite`` stays cheap for commands that never validate.
Analytics and progress bars are switched off before the first context is made.
"""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from layoffwatch.settings import Settings

if TYPE_CHECKING:
    from great_expectations.data_context import AbstractDataContext

SITE = "layoffwatch"
DATASOURCE = "layoffwatch"
BATCH_DEFINITION = "whole file"

_contexts: dict[Path, AbstractDataContext] = {}
lock = threading.RLock()  # one validation or Data Docs build at a time per process


def docs_directory(settings: Settings) -> Path:
    return settings.reports / "data_docs"


def import_gx() -> Any:
    """``great_expectations``, imported quietly (no analytics, no progress bars, few log lines)."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    import great_expectations as gx

    logging.getLogger("great_expectations").setLevel(logging.ERROR)
    # Registers the custom expectation before any suite that uses it is built or loaded.
    from expectations import gx_uscc  # noqa: F401

    return gx


def context_for(settings: Settings) -> AbstractDataContext:
    """The file-backed context of this home, created on first use and then reused in the process."""
    root = (settings.home / "gx").resolve()
    with lock:
        if root not in _contexts:
            _contexts[root] = _open(root, docs_directory(settings).resolve())
        return _contexts[root]


def _open(root: Path, docs: Path) -> AbstractDataContext:
    gx = import_gx()
    from great_expectations.data_context.types.base import ProgressBarsConfig

    root.parent.mkdir(parents=True, exist_ok=True)
    context = gx.get_context(mode="file", project_root_dir=str(root.parent))
    variables = context.variables
    changed = False
    if variables.analytics_enabled is not False:
        variables.analytics_enabled = False
        changed = True
    bars = variables.progress_bars
    if isinstance(bars, ProgressBarsConfig):  # read back from the YAML it is a plain dict
        bars = {"globally": bars.globally, "metric_calculations": bars.metric_calculations}
    if bars != {"globally": False, "metric_calculations": False}:
        variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
        changed = True
    if changed:
        variables.save()
    _point_data_docs_at(context, docs)
    return context


def _point_data_docs_at(context: AbstractDataContext, docs: Path) -> None:
    """One Data Docs site, ours, written to ``docs`` (the default site under gx/uncommitted goes)."""
    site = {
        "class_name": "SiteBuilder",
        "show_how_to_buttons": False,
        "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(docs)},
        "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
    }
    sites = dict(context.variables.data_docs_sites or {})
    for name in sites:
        if name != SITE:
            context.delete_data_docs_site(name)
    if SITE not in sites:
        context.add_data_docs_site(SITE, site)  # type: ignore[arg-type]
    elif sites[SITE] != site:
        context.update_data_docs_site(SITE, site)  # type: ignore[arg-type]


def forget_contexts() -> None:
    """Drop the cached contexts (tests that delete a home between runs)."""
    with lock:
        _contexts.clear()
