"""The promotion gate: better ranking on both measures, calibration not worse."""

from __future__ import annotations

import pytest

from models.registry import gate

CHAMPION = {"pr_auc": 0.10, "recall_top1pct": 0.20, "brier": 0.0060}


@pytest.mark.parametrize(
    ("challenger", "passes"),
    [
        ({"pr_auc": 0.11, "recall_top1pct": 0.21, "brier": 0.0060}, True),
        ({"pr_auc": 0.11, "recall_top1pct": 0.21, "brier": 0.0059}, True),
        ({"pr_auc": 0.11, "recall_top1pct": 0.21, "brier": 0.0061}, False),  # worse calibrated
        ({"pr_auc": 0.10, "recall_top1pct": 0.21, "brier": 0.0050}, False),  # ties on PR-AUC
        ({"pr_auc": 0.12, "recall_top1pct": 0.20, "brier": 0.0050}, False),  # no better at the budget
        ({"pr_auc": 0.05, "recall_top1pct": 0.10, "brier": 0.0090}, False),
    ],
)
def test_gate(challenger: dict[str, float], passes: bool) -> None:
    result = gate(challenger, CHAMPION, window="2026-02-28..2026-04-30")
    assert result.passed is passes
    assert [c.metric for c in result.checks] == ["pr_auc", "recall_top1pct", "brier"]
