"""The alerting configuration: the default, every mistake named by its key, versions, target URLs."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import time, timedelta
from importlib import resources
from typing import Any

import pytest
import yaml

from alerts.config import OFFICE_KEYS, Target, load_alerting, parse_alerting, resolve_url
from layoffwatch.errors import SettingsError
from layoffwatch.settings import Settings

DEFAULT_TEXT = resources.files("alerts").joinpath("default_alerting.yaml").read_text(encoding="utf-8")
SOURCE = "site/alerting.yaml"


def default() -> dict[str, Any]:
    return copy.deepcopy(yaml.safe_load(DEFAULT_TEXT))


def parse(content: dict[str, Any]):  # type: ignore[no-untyped-def]
    return parse_alerting(yaml.safe_dump(content, allow_unicode=True), source=SOURCE)


def test_the_default_loads_when_the_home_has_no_alerting_file(settings: Settings) -> None:
    config = load_alerting(settings)
    assert config.source.endswith("default_alerting.yaml")
    assert [o.key for o in config.offices] == list(OFFICE_KEYS)
    assert [o.key for o in config.offices if o.lead] == ["hr"]
    assert config.min_tier == "yellow"
    assert config.repeat_interval == timedelta(days=7)
    assert config.ack_deadlines == {
        "red": timedelta(hours=2),
        "orange": timedelta(hours=2),
        "yellow": timedelta(hours=12),
    }
    cyberspace = config.office("cyberspace")
    assert (cyberspace.delivery, cyberspace.digest_at) == ("digest", time(8, 30))
    assert all(
        o.delivery == "immediate" and o.digest_at is None for o in config.offices if o.key != "cyberspace"
    )
    assert all(o.targets and o.escalation for o in config.offices)
    assert config.data_engineering
    assert config.alert_link(12) == "http://127.0.0.1:8000/alerts/12"
    assert (config.batch_over, config.batch_size) == (20, 20)
    assert config.area.flagged_count == 3 and config.area.flagged_tier == "orange"
    assert len(config.version) == 16


def test_the_home_file_replaces_the_default_and_its_mistakes_name_it(settings: Settings) -> None:
    settings.home.mkdir(parents=True)
    content = default()
    content["alerting"]["repeat_interval_days"] = 3
    settings.alerting.write_text(yaml.safe_dump(content, allow_unicode=True), encoding="utf-8")
    assert load_alerting(settings).repeat_interval == timedelta(days=3)
    content["alerting"]["min_tier"] = "purple"
    settings.alerting.write_text(yaml.safe_dump(content, allow_unicode=True), encoding="utf-8")
    with pytest.raises(SettingsError, match="alerting.min_tier") as raised:
        load_alerting(settings)
    assert str(settings.alerting) in str(raised.value)


def test_an_unknown_office_lookup_names_the_offices() -> None:
    with pytest.raises(SettingsError, match="no office 'police'.*hr"):
        parse(default()).office("police")


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(content: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node = content
        for p in parents:
            node = node[p]
        node[last] = value

    return change


def _drop(path: str) -> Callable[[dict[str, Any]], None]:
    def change(content: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node = content
        for p in parents:
            node = node[p]
        del node[last]

    return change


def _url(office: str, url: str) -> Callable[[dict[str, Any]], None]:
    return _set(f"offices.{office}.targets", [{"name": "outbox", "url": url}])


INVALID: list[tuple[str, Callable[[dict[str, Any]], None], str]] = [
    ("unknown office key", _set("offices.police", default()["offices"]["hr"] | {"lead": False}),
     "offices has unknown key 'police'"),
    ("missing office", _drop("offices.cyberspace"), "offices.cyberspace is missing"),
    ("two leads", _set("offices.public_security.lead", True), "exactly one office must have lead"),
    ("no lead", _set("offices.hr.lead", False), "exactly one office must have lead"),
    ("lead not a flag", _set("offices.hr.lead", "yes"), "offices.hr.lead"),
    ("bad min tier", _set("alerting.min_tier", "purple"), "alerting.min_tier = 'purple'"),
    ("bad deadline tier", _set("alerting.ack_deadline_hours.amber", 2), "alerting.ack_deadline_hours"),
    ("negative deadline", _set("alerting.ack_deadline_hours.red", -1), "alerting.ack_deadline_hours.red"),
    ("repeat interval zero", _set("alerting.repeat_interval_days", 0), "alerting.repeat_interval_days"),
    ("link without id", _set("alerting.link", "http://x/alerts"), "alerting.link"),
    ("negative batch_over", _set("alerting.batch_over", -1), "alerting.batch_over = -1; expected a whole number"),
    ("batch_size zero", _set("alerting.batch_size", 0), "alerting.batch_size = 0; expected a whole number of at least 1"),
    ("batch_size not whole", _set("alerting.batch_size", 2.5), "alerting.batch_size = 2.5"),
    ("unknown key in alerting", _set("alerting.repeat_every", 3), "alerting has unknown key 'repeat_every'"),
    ("unknown top-level key", _set("routes", {}), "the file has unknown key 'routes'"),
    ("unknown key in an office", _set("offices.hr.phone", "12345"), "offices.hr has unknown key 'phone'"),
    ("bad tier in a condition", _set("offices.public_security.receives", [{"tier_at_least": "crimson"}]),
     "offices.public_security.receives[0].tier_at_least"),
    ("unknown condition", _set("offices.petitions.receives", [{"min_tweets_90d": 1}]),
     "offices.petitions.receives[0].min_tweets_90d is not a condition"),
    ("negative threshold", _set("offices.petitions.receives", [{"min_petition_90d": -1}]),
     "offices.petitions.receives[0].min_petition_90d"),
    ("empty receives", _set("offices.petitions.receives", []), "offices.petitions.receives"),
    ("empty condition block", _set("offices.petitions.receives", [{}]), "offices.petitions.receives[0] is empty"),
    ("unknown category seen", _set("offices.cyberspace.sees", ["location", "names"]), "offices.cyberspace.sees has 'names'"),
    ("nothing seen", _set("offices.cyberspace.sees", []), "offices.cyberspace.sees"),
    ("bad delivery", _set("offices.cyberspace.delivery", "weekly"), "offices.cyberspace.delivery = 'weekly'"),
    ("bad digest_at", _set("offices.cyberspace.digest_at", "25:61"), "offices.cyberspace.digest_at = '25:61'"),
    ("digest_at not a time", _set("offices.cyberspace.digest_at", "morning"), "offices.cyberspace.digest_at"),
    ("no targets", _set("offices.hr.targets", []), "offices.hr.targets must be a list of targets"),
    ("target without a name", _set("offices.hr.targets", [{"url": "lwoutbox://localhost/x"}]), "offices.hr.targets[0].name"),
    ("target with two urls", _set("offices.hr.targets", [{"name": "a", "url": "lwoutbox://localhost/x", "url_env": "HR_URL"}]),
     "offices.hr.targets[0] (a) needs exactly one of url"),
    ("two targets one name", _set("offices.hr.targets", [{"name": "a", "url": "lwoutbox://localhost/x"},
                                                         {"name": "a", "url": "lwoutbox://localhost/y"}]),
     "offices.hr.targets has two targets with the same name"),
    ("unknown key in a target", _set("offices.hr.targets", [{"name": "a", "url": "lwoutbox://localhost/x", "token": "t"}]),
     "offices.hr.targets[0] has unknown key 'token'"),
    ("not an Apprise url", _url("hr", "hr-office@example.org"), "offices.hr.targets[0].url"),
    ("literal dingtalk token", _url("hr", "dingtalk://3f9a1c0d5e7b"), "offices.hr.targets[0].url carries a literal secret"),
    ("literal dingtalk token after a placeholder", _url("hr", "dingtalk://${DT_TOKEN}/abc123"),
     "offices.hr.targets[0].url carries a literal secret"),
    ("literal wecom key", _url("petitions", "wecombot://693axxx6-7aoc"), "offices.petitions.targets[0].url carries a literal secret"),
    ("literal mail password", _url("hr", "mailtos://user:pass@smtp.example.org"),
     "offices.hr.targets[0].url carries a literal secret"),
    ("literal token in a query", _url("hr", "json://hooks.example.org/in?token=abc"),
     "offices.hr.targets[0].url carries a literal secret"),
    ("literal secret in an escalation target", _set("offices.cyberspace.escalation", [{"name": "lead", "url": "feishu://abcdef"}]),
     "offices.cyberspace.escalation[0].url carries a literal secret"),
    ("no data engineering targets", _set("data_engineering.targets", []), "data_engineering.targets"),
    ("bad area level", _set("area.flagged_together.levels", ["street"]), "area.flagged_together.levels"),
    ("share over one", _set("area.enterprises_cutting.min_share", 1.5), "area.enterprises_cutting.min_share"),
    ("unknown area rule", _set("area.big_cut", 100), "area has unknown key 'big_cut'"),
    ("bad area tier", _set("area.flagged_together.tier_at_least", "high"), "area.flagged_together.tier_at_least"),
]  # fmt: skip


@pytest.mark.parametrize(("change", "names"), [c[1:] for c in INVALID], ids=[c[0] for c in INVALID])
def test_an_invalid_configuration_is_one_sentence_naming_the_key(
    change: Callable[[dict[str, Any]], None], names: str
) -> None:
    content = default()
    change(content)
    with pytest.raises(SettingsError) as raised:
        parse(content)
    message = str(raised.value)
    assert names in message
    assert message.startswith(f"{SOURCE}:")
    assert message.endswith(".")
    assert "\n" not in message


@pytest.mark.parametrize("text", ["offices: [unclosed", "- just\n- a list\n", "42"])
def test_text_that_is_not_a_mapping_of_settings_is_refused(text: str) -> None:
    with pytest.raises(SettingsError, match=SOURCE):
        parse_alerting(text, source=SOURCE)


@pytest.mark.parametrize(
    "url",
    [
        "dingtalk://${DINGTALK_TOKEN}",
        "dingtalk://${DINGTALK_TOKEN}/${DINGTALK_SECRET}",
        "wecombot://${WECOM_KEY}",
        "mailtos://hr:${MAIL_PASSWORD}@smtp.example.org?to=hr@example.org",
        "json://hooks.example.org/in?token=${HOOK_TOKEN}",
        "mailtos://smtp.example.org?user=hr&to=hr@example.org",
        "lwoutbox://localhost{home}/outbox/hr",
    ],
)
def test_a_url_with_its_secret_as_a_placeholder_is_accepted(url: str) -> None:
    content = default()
    _url("hr", url)(content)
    assert parse(content).office("hr").targets[0].url == url


def test_url_env_and_url_secret_targets_are_accepted() -> None:
    content = default()
    _set(
        "offices.hr.targets",
        [{"name": "mail", "url_env": "HR_MAIL_URL"}, {"name": "ding", "url_secret": "hr-ding"}],
    )(content)
    targets = parse(content).office("hr").targets
    assert targets == (Target(name="mail", url_env="HR_MAIL_URL"), Target(name="ding", url_secret="hr-ding"))


def test_the_version_follows_the_content() -> None:
    base = parse(default())
    assert parse(default()).version == base.version
    assert parse_alerting(DEFAULT_TEXT + "\n# a comment only\n", source="elsewhere").version == base.version
    changed = default()
    changed["alerting"]["repeat_interval_days"] = 3
    assert parse(changed).version != base.version
    routed = default()
    routed["offices"]["petitions"]["receives"].append({"min_hotline_90d": 3})
    assert parse(routed).version not in (base.version, parse(changed).version)


def test_resolve_url_fills_in_home_and_variables(settings: Settings) -> None:
    home = Target(name="outbox", url="lwoutbox://localhost{home}/outbox/hr")
    assert resolve_url(home, settings, env={}) == f"lwoutbox://localhost{settings.home}/outbox/hr"
    ding = Target(name="ding", url="dingtalk://${DT_TOKEN}/${DT_SECRET}")
    assert resolve_url(ding, settings, env={"DT_TOKEN": "tok", "DT_SECRET": "sec"}) == "dingtalk://tok/sec"
    whole = Target(name="mail", url_env="HR_MAIL_URL")
    assert resolve_url(whole, settings, env={"HR_MAIL_URL": "mailtos://a:b@c"}) == "mailtos://a:b@c"


def test_resolve_url_names_a_missing_variable(settings: Settings) -> None:
    ding = Target(name="ding", url="dingtalk://${DT_TOKEN}/${DT_SECRET}")
    with pytest.raises(SettingsError, match="'ding'.*DT_SECRET is not set"):
        resolve_url(ding, settings, env={"DT_TOKEN": "tok"})
    whole = Target(name="mail", url_env="HR_MAIL_URL")
    for env in ({}, {"HR_MAIL_URL": ""}):
        with pytest.raises(SettingsError, match="'mail'.*HR_MAIL_URL is not set"):
            resolve_url(whole, settings, env=env)


def test_the_default_routes_each_kind_of_signal_to_the_office_that_acts_on_it() -> None:
    """Collective action and police records to public security (also when only the text model saw
    the gathering), petitions to the petitions office, online posts to the cyberspace office."""
    import polars as pl

    from alerts.routing import routed_offices
    from features.catalog import EVIDENCE_COLUMNS

    config = parse(default())
    signals = [
        {"police_90d": 1},
        {"cat_collective_action_90d": 2},
        {"petition_90d": 1},
        {"online_90d": 3},
        {"cat_layoffs_90d": 4},
    ]
    rows = pl.DataFrame(
        [{"tier": "yellow", **{c: 0.0 for c in EVIDENCE_COLUMNS}, **signal} for signal in signals]
    )
    assert routed_offices(rows, config).to_list() == [
        ["hr", "public_security"],
        ["hr", "public_security"],
        ["hr", "petitions"],
        ["hr", "cyberspace"],
        ["hr"],
    ]
