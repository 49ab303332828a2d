"""The model registry: versions, their status, and the append-only history of promotions.

A version starts as ``challenger``. It becomes ``champion`` when ``gate`` passes on the latest
holdout window (or a data engineer forces it, with a reason); the champion it replaces is
``retired``. Every status change is a ``ModelPromotion`` row: who, when, why, what the gate said.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from layoffwatch.errors import UserError
from store.tables import ModelPromotion, ModelVersion

GATE_RULES = (
    # metric, direction: the challenger must beat the champion on both ranking measures and may
    # not be worse calibrated.
    ("pr_auc", "higher"),
    ("recall_top1pct", "higher"),
    ("brier", "not_worse"),
)


@dataclass(frozen=True)
class GateCheck:
    metric: str
    challenger: float
    champion: float
    rule: str
    passed: bool


@dataclass(frozen=True)
class GateResult:
    passed: bool
    checks: tuple[GateCheck, ...]
    window: str

    def as_dict(self) -> dict[str, Any]:
        return {"passed": self.passed, "window": self.window, "checks": [asdict(c) for c in self.checks]}


def gate(challenger: dict[str, float], champion: dict[str, float], *, window: str) -> GateResult:
    """Pure: does the challenger beat the champion on the same holdout rows?"""
    checks = []
    for metric, rule in GATE_RULES:
        a, b = float(challenger[metric]), float(champion[metric])
        passed = a > b if rule == "higher" else a <= b
        checks.append(GateCheck(metric, a, b, rule, passed))
    return GateResult(all(c.passed for c in checks), tuple(checks), window)


class UnknownModel(UserError):
    pass


def get(session: Session, version: str) -> ModelVersion:
    found = session.get(ModelVersion, version)
    if found is None:
        raise UnknownModel(
            f"没有模型版本 {version!r}（no such model version; see `layoffwatch models list`）。"
        )
    return found


def champion(session: Session) -> ModelVersion | None:
    return session.exec(select(ModelVersion).where(ModelVersion.status == "champion")).first()


def versions(session: Session) -> list[ModelVersion]:
    return list(session.exec(select(ModelVersion).order_by(col(ModelVersion.trained_at).desc())))


def history(session: Session, version: str | None = None) -> list[ModelPromotion]:
    query = select(ModelPromotion).order_by(col(ModelPromotion.id))
    if version is not None:
        query = query.where(ModelPromotion.version == version)
    return list(session.exec(query))


def add(session: Session, version: ModelVersion, *, by: str, at: datetime) -> ModelVersion:
    """Record a new challenger and its first history row."""
    version.status = "challenger"
    session.add(version)
    session.flush()
    session.add(
        ModelPromotion(
            version=version.version, from_status=None, to_status="challenger", at=at, by=by, reason="trained"
        )
    )
    return version


def change_status(
    session: Session,
    version: ModelVersion,
    to_status: str,
    *,
    by: str,
    at: datetime,
    reason: str,
    forced: bool = False,
    gate_result: GateResult | None = None,
) -> None:
    session.add(
        ModelPromotion(
            version=version.version,
            from_status=version.status,
            to_status=to_status,
            at=at,
            by=by,
            reason=reason,
            forced=forced,
            gate=gate_result.as_dict() if gate_result else {},
        )
    )
    version.status = to_status
    session.add(version)


def make_champion(
    session: Session,
    version: ModelVersion,
    *,
    by: str,
    at: datetime,
    reason: str,
    forced: bool = False,
    gate_result: GateResult | None = None,
) -> None:
    """Promote ``version``; the current champion (if another) is retired in the same transaction."""
    current = champion(session)
    if current is not None and current.version != version.version:
        change_status(session, current, "retired", by=by, at=at, reason=f"replaced by {version.version}")
        session.flush()
    change_status(
        session, version, "champion", by=by, at=at, reason=reason, forced=forced, gate_result=gate_result
    )
