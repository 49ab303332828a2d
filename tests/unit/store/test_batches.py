"""Ingestion batches keyed by content hash, and the validation runs recorded with them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
import sqlalchemy as sa
from sqlmodel import Session

from layoffwatch.settings import Settings
from store import batches, db
from store.uow import unit_of_work

NOW = datetime(2025, 12, 3, 1, 0, tzinfo=UTC)
HASH = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


def record(session: Session, batch_id: str = HASH, **overrides: object) -> None:
    values: dict[str, object] = {
        "id": batch_id,
        "source": "si_changes",
        "file_name": "增减员.csv",
        "file_path": "/landing/增减员.csv",
        "format": "csv",
        "encoding": "gb18030",
        "status": "ingested",
        "rows_read": 10,
        "rows_valid": 9,
        "rows_quarantined": 1,
        "quarantine_path": f"/q/{batch_id}.parquet",
        "lake_paths": [f"/lake/si_changes/month=2025-11/{batch_id}.parquet"],
        "received_at": NOW,
    }
    batches.record_batch(session, **{**values, **overrides})  # type: ignore[arg-type]


def test_a_batch_is_found_by_its_content_hash(db_settings: Settings) -> None:
    engine = db.engine_for(db_settings)
    with unit_of_work(engine) as session:
        record(session)
        session.commit()

    with Session(engine) as session:
        found = batches.find_batch(session, HASH)
        assert batches.find_batch(session, "0" * 64) is None

    assert found is not None
    assert (found.source, found.rows_valid, found.encoding) == ("si_changes", 9, "gb18030")
    assert found.lake_paths == [f"/lake/si_changes/month=2025-11/{HASH}.parquet"]


def test_recording_the_same_hash_again_overwrites_the_one_row(db_settings: Settings) -> None:
    engine = db.engine_for(db_settings)
    with unit_of_work(engine) as session:
        record(session, status="rejected", reason="缺少必需的列：减员人数", rows_valid=0, lake_paths=[])
        session.commit()
    with unit_of_work(engine) as session:
        again = batches.record_batch(
            session,
            id=HASH,
            source="si_changes",
            file_name="增减员.csv",
            file_path="/landing/增减员.csv",
            format="csv",
            status="ingested",
            rows_read=10,
            rows_valid=10,
            received_at=NOW + timedelta(days=1),
        )
        assert again.status == "ingested"
        session.commit()

    with Session(engine) as session:
        everything = batches.list_batches(session)

    assert [(b.id, b.status, b.reason, b.rows_valid) for b in everything] == [(HASH, "ingested", None, 10)]


def test_list_batches_is_newest_first_and_filters(db_settings: Settings) -> None:
    engine = db.engine_for(db_settings)
    with unit_of_work(engine) as session:
        record(session, "1" * 64, received_at=NOW)
        record(session, "2" * 64, received_at=NOW + timedelta(hours=1), source="payroll")
        record(
            session, "3" * 64, received_at=NOW + timedelta(hours=2), status="rejected", reason="不是表格文件"
        )
        session.commit()

    with Session(engine) as session:
        assert [b.id[0] for b in batches.list_batches(session)] == ["3", "2", "1"]
        assert [b.id[0] for b in batches.list_batches(session, limit=1)] == ["3"]
        assert [b.id[0] for b in batches.list_batches(session, source="payroll")] == ["2"]
        assert [b.id[0] for b in batches.list_batches(session, status="rejected")] == ["3"]


def test_an_unknown_status_is_refused(db_settings: Settings) -> None:
    with unit_of_work(db.engine_for(db_settings)) as session, pytest.raises(ValueError, match="status"):
        record(session, status="duplicate")


def test_a_validation_run_keeps_its_results_and_warnings(db_settings: Settings) -> None:
    engine = db.engine_for(db_settings)
    results = [
        {
            "rule_id": "removed.min",
            "expectation_type": "expect_column_values_to_be_between",
            "column": "removed",
            "success": False,
            "unexpected_count": np.int64(3),
            "element_count": 10,
            "severity": "quarantine",
        },
    ]
    with unit_of_work(engine) as session:
        record(session)
        batches.record_validation_run(
            session,
            batch_id=HASH,
            source="si_changes",
            suite_name="si_changes",
            success=False,
            evaluated=5,
            successful=4,
            results=results,
            warnings={"insured_total.jump": np.int64(2)},
            run_at=NOW,
        )
        session.commit()

    with Session(engine) as session:
        (run,) = batches.validation_runs(session, HASH)

    assert run.results[0]["unexpected_count"] == 3
    assert run.results[0]["rule_id"] == "removed.min"
    assert run.warnings == {"insured_total.jump": 2}
    assert (run.success, run.evaluated, run.successful, run.run_at) == (False, 5, 4, NOW)


def test_a_validation_run_needs_its_batch(db_settings: Settings) -> None:
    with unit_of_work(db.engine_for(db_settings)) as session, pytest.raises(sa.exc.IntegrityError):
        batches.record_validation_run(
            session,
            batch_id="9" * 64,
            source="payroll",
            suite_name="payroll",
            success=True,
            evaluated=0,
            successful=0,
            results=[],
            warnings={},
            run_at=NOW,
        )


def test_work_not_committed_is_rolled_back(db_settings: Settings) -> None:
    engine = db.engine_for(db_settings)
    with pytest.raises(RuntimeError), unit_of_work(engine) as session:
        record(session)
        raise RuntimeError("the lake write failed")

    with Session(engine) as session:
        assert batches.find_batch(session, HASH) is None
