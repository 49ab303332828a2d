"""Data minimisation: each office's view of an alert holds exactly the categories it may see."""

from __future__ import annotations

from typing import Any

import pytest

from alerts.config import SEE_CATEGORIES, AlertingConfig, parse_alerting
from alerts.fields import (
    ALWAYS_SHOWN,
    DETAIL_CATEGORY,
    EVIDENCE_CATEGORY,
    REASON_CATEGORY,
    check_complete,
    visible_details,
)
from models.reasons import REASON_CODES
from models.scoring import EVIDENCE_COLUMNS


def default_config() -> AlertingConfig:
    from importlib import resources

    text = resources.files("alerts").joinpath("default_alerting.yaml").read_text(encoding="utf-8")
    return parse_alerting(text, source="default")


CONFIG = default_config()


def rich_alert() -> dict[str, Any]:
    """An enterprise alert carrying every figure (non-zero) and one reason of every code."""
    evidence: dict[str, Any] = {c: 7.0 for c in EVIDENCE_COLUMNS}
    evidence["unpaid_latest"] = True
    return {
        "kind": "enterprise", "uscc": "91140000MA00000001", "name": "测试企业1有限公司", "tier": "red",
        "as_of": "2026-03-02", "township": "上马街道", "industry": "C32", "chain": "精深铜加工",
        "probability": 0.4, "percentile": 0.99, "headcount": 120, "evidence": evidence,
        "reasons": [{"code": rc.code, "title": name, "sentence": f"{name}的说明", "impact": 0.1}
                    for name, rc in REASON_CODES.items()],
    }  # fmt: skip


def categories_of(view: dict[str, Any]) -> set[str]:
    """The categories a view shows (fields always shown excluded)."""
    shown = {DETAIL_CATEGORY[k] for k in view if k in DETAIL_CATEGORY}
    shown |= {EVIDENCE_CATEGORY[k] for k in view["evidence"]}
    shown |= {REASON_CATEGORY[r["code"]] for r in view["reasons"]}
    return shown


def test_every_figure_and_reason_code_has_a_category() -> None:
    assert check_complete() == []
    assert set(EVIDENCE_CATEGORY.values()) | set(REASON_CATEGORY.values()) | set(
        DETAIL_CATEGORY.values()
    ) <= set(SEE_CATEGORIES)


EXPECTED_EVIDENCE = {
    "hr": set(EVIDENCE_COLUMNS),
    "public_security": {"headcount", "petition_90d", "collective_petitions_90d", "police_90d", "participants_90d",
                        "max_participants_90d", "cat_collective_action_90d"},
    "petitions": {"headcount", "wage_arrears_workers", "wage_arrears_amount", "petition_90d",
                  "collective_petitions_90d", "participants_90d", "max_participants_90d", "cat_wage_arrears_90d",
                  "cat_collective_action_90d"},
    "cyberspace": {"online_90d"},
}  # fmt: skip
EXPECTED_REASONS = {
    "hr": {rc.code for rc in REASON_CODES.values()},
    "public_security": {"R12", "R13", "R16", "R24"},
    "petitions": {"R10", "R12", "R16", "R20", "R24"},
    "cyberspace": {"R15"},
}
EXPECTED_DETAILS = {
    "hr": {"township", "industry", "chain", "probability", "percentile", "headcount"},
    "public_security": {"township", "headcount"},
    "petitions": {"township", "headcount"},
    "cyberspace": {"township"},
}


@pytest.mark.parametrize("key", list(EXPECTED_EVIDENCE))
def test_each_default_office_sees_exactly_its_categories(key: str) -> None:
    office = CONFIG.office(key)
    view = visible_details(rich_alert(), office.sees)
    assert set(view["evidence"]) == EXPECTED_EVIDENCE[key]
    assert {r["code"] for r in view["reasons"]} == EXPECTED_REASONS[key]
    assert set(view) - {"evidence", "reasons", "excerpts"} == set(ALWAYS_SHOWN) | EXPECTED_DETAILS[key]
    assert ("excerpts" in view) == ("excerpts" in office.sees)
    assert categories_of(view) == office.sees - {"excerpts"}, "every category but excerpts has fields"


@pytest.mark.parametrize("key", list(EXPECTED_EVIDENCE))
def test_no_field_of_a_view_lies_outside_the_office_categories(key: str) -> None:
    office = CONFIG.office(key)
    view = visible_details(rich_alert(), office.sees)
    for name in view:
        assert (
            name in ALWAYS_SHOWN
            or name in ("evidence", "reasons")
            or (name == "excerpts" and "excerpts" in office.sees)
            or DETAIL_CATEGORY[name] in office.sees
        ), name
    assert categories_of(view) <= office.sees


def test_cyberspace_sees_online_figures_but_no_wage_arrears_and_no_probability() -> None:
    view = visible_details(rich_alert(), CONFIG.office("cyberspace").sees)
    assert view["evidence"] == {"online_90d": 7.0}
    assert "wage_arrears_workers" not in view["evidence"] and "wage_arrears_amount" not in view["evidence"]
    assert "probability" not in view and "percentile" not in view
    assert "R10" not in {r["code"] for r in view["reasons"]}
    assert {k: view[k] for k in ALWAYS_SHOWN} == {k: rich_alert()[k] for k in ALWAYS_SHOWN}


def test_public_security_sees_police_and_collective_action_but_not_contributions() -> None:
    view = visible_details(rich_alert(), CONFIG.office("public_security").sees)
    assert {"police_90d", "participants_90d", "max_participants_90d"} <= set(view["evidence"])
    assert not {"contribution_arrears", "arrears_months_6m", "days_late_latest", "unpaid_latest"} & set(
        view["evidence"]
    )
    assert not {"R06", "R07", "R08"} & {r["code"] for r in view["reasons"]}
    assert "probability" not in view


def test_zero_missing_and_false_figures_are_dropped_not_blanked() -> None:
    details = rich_alert()
    details["evidence"] |= {"police_90d": 0, "petition_90d": None, "unpaid_latest": False}
    view = visible_details(details, CONFIG.office("hr").sees)
    assert not {"police_90d", "petition_90d", "unpaid_latest"} & set(view["evidence"])
    assert view["evidence"]["online_90d"] == 7.0


def test_an_alert_without_evidence_or_reasons_still_has_both_keys() -> None:
    view = visible_details(
        {"kind": "enterprise", "uscc": "x", "name": "n", "tier": "red"}, frozenset({"online"})
    )
    assert view == {
        "kind": "enterprise",
        "uscc": "x",
        "name": "n",
        "tier": "red",
        "evidence": {},
        "reasons": [],
    }


def test_an_area_warning_cuts_each_of_its_enterprises_the_same_way() -> None:
    member = rich_alert() | {"kind": None}
    area = {
        "kind": "area", "level": "township", "area": "上马街道", "tier": "orange", "as_of": "2026-03-02",
        "rules": ["3家企业风险等级同时达到橙色及以上"], "summary": "3家企业……。", "enterprises": [member, member],
    }  # fmt: skip
    sees = CONFIG.office("cyberspace").sees
    view = visible_details(area, sees)
    assert {k: view[k] for k in ("level", "area", "rules", "summary")} == {
        k: area[k] for k in ("level", "area", "rules", "summary")
    }
    assert len(view["enterprises"]) == 2
    for e in view["enterprises"]:
        assert e["evidence"] == {"online_90d": 7.0}
        assert "probability" not in e and "headcount" not in e


def test_identity_and_mobile_numbers_in_free_text_are_masked_before_any_office_sees_them() -> None:
    from alerts.fields import deidentify, visible_details

    # Made-up numbers of the right shape (area 900000 does not exist), built here, never stored.
    identity = "900000" + "20000101" + "000" + "X"
    mobile = "130" + "0" * 8
    text = f"职工{identity}反映欠薪，联系电话{mobile}，企业代码91140000MA0Y12345X"
    masked = deidentify(text)
    assert identity not in masked and mobile not in masked
    assert "900000************" in masked and "130********" in masked
    assert "91140000MA0Y12345X" in masked, "an enterprise's credit code is not a person's number"
    view = visible_details(
        {"kind": "enterprise", "uscc": "x", "name": "n", "tier": "red",
         "reasons": [{"code": "R12", "title": "信访增多", "sentence": text, "impact": 0.1}]},
        frozenset({"petitions"}),
    )  # fmt: skip
    assert identity not in view["reasons"][0]["sentence"]


def test_numbers_in_other_forms_are_masked_too() -> None:
    from alerts.fields import deidentify

    assert deidentify("电话１３８１２３４５６７８") == "电话138********"
    assert deidentify("+8613812345678") == "+86138********"
    assert "12345678" not in deidentify("138-1234-5678").replace("-", "")
    assert deidentify("身份证110105700101123") == "身份证110105*********"
    assert deidentify("信用代码91141081MA0000001A，金额1234567元") == "信用代码91141081MA0000001A，金额1234567元"
