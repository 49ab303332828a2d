"""Mass-layoff starts as the contract defines them (art. 41), at the edges of every threshold."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from features.labels import layoff_episodes, snapshot_labels
from tests.unit.features.builders import History, day

UNTIL = date(2026, 6, 30)


def starts(history: History, outcomes: pl.DataFrame | None = None) -> list[tuple[str, date]]:
    inputs = history.inputs(**({"outcomes": outcomes} if outcomes is not None else {}))
    episodes = layoff_episodes(inputs.changes, inputs.register, inputs.outcomes, until=UNTIL)
    return [(r["uscc"], r["start_date"]) for r in episodes.iter_rows(named=True)]


@pytest.mark.parametrize(
    ("headcount", "removed", "is_layoff"),
    [
        (500, 20, True),  # 20 people is the line whatever the size
        (500, 19, False),
        (50, 5, True),  # exactly 10% and 5 people
        (51, 5, False),  # 5 is under 10% of 51
        (40, 4, False),  # 10% but fewer than 5 people
        (30, 5, True),
        (199, 19, False),  # under 20 and under 10% (19.9)
        (190, 19, True),
    ],
)
def test_the_20_or_10_percent_and_5_line(headcount: int, removed: int, is_layoff: bool) -> None:
    history = History().enterprise("A", headcount).change("A", 100, removed=removed)
    assert starts(history) == ([("A", day(100))] if is_layoff else [])


def test_removals_count_over_30_days_from_the_start_day_inclusive() -> None:
    inside = History().enterprise("A", 500).change("A", 100, removed=10).change("A", 129, removed=10)
    outside = History().enterprise("A", 500).change("A", 100, removed=10).change("A", 130, removed=10)
    assert starts(inside) == [("A", day(100))]
    assert starts(outside) == []


def test_the_headcount_is_the_one_on_the_day_before() -> None:
    # 45 insured the day before; 5 removed the same day 10 are added: 5 >= 10% of 45 (4.5).
    history = History().enterprise("A", 45).change("A", 100, removed=5, added=10)
    assert starts(history) == [("A", day(100))]


def test_the_start_is_the_first_day_from_which_the_window_reaches_the_line() -> None:
    history = History().enterprise("A", 1000)
    for n in range(100, 150, 5):
        history.change("A", n, removed=4)
    # 4 per 5 days: the window from day 100 holds days 100..125 (6 x 4 = 24 >= 20).
    assert starts(history) == [("A", day(100))]


def test_one_episode_for_a_long_layoff_and_a_new_one_after_a_quiet_spell() -> None:
    history = History().enterprise("A", 1000).change("A", 100, removed=25).change("A", 150, removed=25)
    history.change("A", 400, removed=25)
    assert starts(history) == [("A", day(100)), ("A", day(400))]


def test_a_transfer_to_another_enterprise_is_not_a_layoff() -> None:
    history = History().enterprise("A", 100).enterprise("B", 200)
    history.change("A", 100, removed=40).change("B", 103, added=38)
    assert starts(history) == []


def test_an_arrival_too_far_away_in_time_does_not_make_a_transfer() -> None:
    history = History().enterprise("A", 100).enterprise("B", 200)
    history.change("A", 100, removed=40).change("B", 110, added=40)
    assert starts(history) == [("A", day(100))]


def test_an_arrival_of_a_different_size_does_not_make_a_transfer() -> None:
    history = History().enterprise("A", 100).enterprise("B", 200)
    history.change("A", 100, removed=40).change("B", 101, added=20)
    assert starts(history) == [("A", day(100))]


def test_a_new_enterprise_hiring_is_not_a_transfer_unless_it_carries_the_same_name() -> None:
    new_other = History().enterprise("A", 100, name="侯马市金星铜业有限公司")
    new_other.enterprise("B", 0, name="侯马市恒达物流有限公司", founded=day(90)).change("A", 100, removed=40)
    new_other.change("B", 101, added=40)
    assert starts(new_other) == [("A", day(100))]

    reregistered = History().enterprise("A", 100, name="侯马市金星铜业有限公司")
    reregistered.enterprise("B", 0, name="山西金星铜业有限公司", founded=day(90)).change("A", 100, removed=40)
    reregistered.change("B", 101, added=40)
    assert starts(reregistered) == []


def test_an_enterprise_taking_back_its_own_people_is_not_receiving_a_transfer() -> None:
    # B's arrival is its own staff returning (B removed as many the month before): not a match for A.
    history = History().enterprise("A", 100).enterprise("B", 200)
    history.change("B", 70, removed=40).change("B", 101, added=40).change("A", 100, removed=40)
    assert ("A", day(100)) in starts(history)


def test_spring_festival_exits_are_not_a_layoff() -> None:
    history = History().enterprise("A", 60)
    history.change("A", 20, removed=15).change("A", 30, removed=5)  # migrant workers go home
    history.change("A", 60, added=12).change("A", 70, added=4)  # and most come back
    assert starts(history) == []


def test_people_who_do_not_come_back_make_a_layoff() -> None:
    history = History().enterprise("A", 60).change("A", 20, removed=20).change("A", 60, added=3)
    assert starts(history) == [("A", day(20))]


def outcome(uscc: str, verified_on: date, result: str, affected: int | None = None) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "uscc": [uscc],
            "verified_on": [verified_on],
            "outcome": [result],
            "affected_workers": [affected],
            "note": [None],
        },
        schema_overrides={"affected_workers": pl.Int64, "note": pl.String},
    )


def test_a_verified_no_layoff_cancels_the_derived_start() -> None:
    history = History().enterprise("A", 500).change("A", 100, removed=25)
    assert starts(history, outcome("A", day(130), "no_layoff")) == []


def test_a_verified_mass_layoff_adds_an_event_the_data_did_not_show() -> None:
    history = History().enterprise("A", 500).change("A", 100, removed=5)
    assert starts(history, outcome("A", day(130), "mass_layoff", 60)) == [("A", day(130))]


def test_a_verified_mass_layoff_confirms_the_derived_start_without_a_second_event() -> None:
    history = History().enterprise("A", 500).change("A", 100, removed=25)
    inputs = history.inputs(outcomes=outcome("A", day(130), "mass_layoff", 25))
    episodes = layoff_episodes(inputs.changes, inputs.register, inputs.outcomes, until=UNTIL)
    assert episodes.select("start_date", "basis").rows() == [(day(100), "data_confirmed")]


def test_an_outcome_verified_after_until_is_not_yet_known() -> None:
    history = History().enterprise("A", 500).change("A", 100, removed=25)
    inputs = history.inputs(
        outcomes=outcome("A", UNTIL.replace(day=30) if False else date(2027, 1, 1), "no_layoff")
    )
    episodes = layoff_episodes(inputs.changes, inputs.register, inputs.outcomes, until=UNTIL)
    assert episodes.height == 1


def test_snapshot_label_looks_90_days_ahead_and_excludes_enterprises_inside_an_episode() -> None:
    history = History().enterprise("A", 500).change("A", 100, removed=25)
    inputs = history.inputs()
    episodes = layoff_episodes(inputs.changes, inputs.register, inputs.outcomes, until=UNTIL)
    snaps = pl.LazyFrame({"uscc": ["A"] * 4, "as_of": [day(9), day(10), day(99), day(150)]})
    labelled = snapshot_labels(snaps, episodes).sort("as_of").collect()
    assert labelled["label"].to_list() == [False, True, True, False]  # day 100 is 90 days after day 10
    assert labelled["days_to_start"].to_list() == [None, 90, 1, None]
    assert labelled["in_episode"].to_list() == [False, False, False, True]
