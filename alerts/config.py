"""The alerting configuration: offices, what each receives and may see, targets, deadlines, area rules.

Read from ``<home>/alerting.yaml`` when it exists, otherwise the packaged
``default_alerting.yaml``; validated on load, every mistake one sentence naming the file, the key
and what was expected. The validated content is hashed into ``version``: an alert keeps the
version it was created under (``store.tables.RoutingConfig``).

Secrets never live in the file. A target is ``url`` (with ``${ENV_NAME}`` wherever a secret goes),
``url_env`` (the whole URL in an environment variable) or ``url_secret`` (a Prefect Secret block);
``resolve_url`` fills them in only when a message is sent.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import time, timedelta
from importlib import resources
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import yaml

from features.catalog import EVIDENCE_COLUMNS
from layoffwatch.errors import SettingsError
from layoffwatch.settings import TIER_NAMES, Settings

DEFAULT_NAME = "default_alerting.yaml"
OFFICE_KEYS = ("hr", "public_security", "petitions", "cyberspace")
DELIVERIES = ("immediate", "digest")
# What an office may be shown, beyond the enterprise, its tier and the link, which every alert
# carries. ``all`` is every category. ``alerts.fields`` maps evidence and reason codes onto these.
SEE_CATEGORIES = (
    "location", "industry", "headcount", "probability", "enrolment", "contributions", "payroll",
    "wage_arrears", "petitions", "police", "hotline", "online", "collective_action",
    "sentiment_volume", "reporting_gap", "excerpts",
)  # fmt: skip
CONDITION_KEYS = ("tier_at_least", *(f"min_{c}" for c in EVIDENCE_COLUMNS))
# Schemes that carry no secret and may be written literally in the file.
SECRET_FREE_SCHEMES = ("lwoutbox",)
_PLACEHOLDER = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_SECRETISH_QUERY = re.compile(r"(token|key|secret|pass|password|signature|sig)$", re.IGNORECASE)


@dataclass(frozen=True)
class Target:
    """One Apprise destination of an office. Exactly one of url / url_env / url_secret is set."""

    name: str
    url: str | None = None
    url_env: str | None = None
    url_secret: str | None = None


@dataclass(frozen=True)
class Office:
    key: str
    name: str
    short: str
    asks: str
    lead: bool
    receives: tuple[Mapping[str, Any], ...]
    """Any one block routes the alert to the office; in a block every condition must hold.
    An empty block (written ``all``) routes everything."""
    sees: frozenset[str]
    delivery: str
    digest_at: time | None
    targets: tuple[Target, ...]
    escalation: tuple[Target, ...]


@dataclass(frozen=True)
class AreaRules:
    single_enterprise_cut: int | None
    cutting_count: int | None
    cutting_min_workers: int
    cutting_min_share: float
    cutting_min_share_workers: int
    flagged_count: int | None
    flagged_tier: str
    flagged_levels: tuple[str, ...]


@dataclass(frozen=True)
class AlertingConfig:
    offices: tuple[Office, ...]
    data_engineering: tuple[Target, ...]
    min_tier: str
    repeat_interval: timedelta
    ack_deadlines: Mapping[str, timedelta]
    link: str
    area: AreaRules
    source: str
    content: Mapping[str, Any] = field(repr=False)
    version: str = ""
    batch_over: int = 20
    """More messages than this for one target from one alerting step go out grouped (``alerts.digests``)."""
    batch_size: int = 20
    """At most this many alerts in one grouped message (a batch, or a part of a daily digest)."""

    def office(self, key: str) -> Office:
        for office in self.offices:
            if office.key == key:
                return office
        raise SettingsError(
            f"{self.source}: no office {key!r}; expected one of {', '.join(o.key for o in self.offices)}."
        )

    def alert_link(self, alert_id: int) -> str:
        return self.link.format(id=alert_id)


def load_alerting(settings: Settings) -> AlertingConfig:
    """The home's ``alerting.yaml``, or the packaged default; raises ``SettingsError`` on any mistake."""
    if settings.alerting.exists():
        path = str(settings.alerting)
        try:
            text = settings.alerting.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise SettingsError(f"{path}: cannot read it ({exc}); expected a UTF-8 YAML file.") from None
    else:
        path = f"(default) {DEFAULT_NAME}"
        text = resources.files("alerts").joinpath(DEFAULT_NAME).read_text(encoding="utf-8")
    return parse_alerting(text, source=path)


def parse_alerting(text: str, *, source: str) -> AlertingConfig:
    try:
        content = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise SettingsError(f"{source} is not valid YAML ({exc}).".replace("\n", " ")) from None
    top = _mapping(content, source, "the file")
    _known(top, ("alerting", "offices", "data_engineering", "area"), source, "the file")
    general = _mapping(top.get("alerting", {}), source, "alerting")
    _known(general, ("min_tier", "repeat_interval_days", "ack_deadline_hours", "link", "batch_over", "batch_size"), source, "alerting")
    min_tier = _tier(general.get("min_tier", "yellow"), source, "alerting.min_tier")
    repeat_days = _number(general.get("repeat_interval_days", 7), source, "alerting.repeat_interval_days", low=0.01)
    deadlines_in = _mapping(general.get("ack_deadline_hours", {"red": 2, "orange": 2, "yellow": 12}), source, "alerting.ack_deadline_hours")
    for name in deadlines_in:
        _tier(name, source, "alerting.ack_deadline_hours")
    deadlines = {
        name: timedelta(hours=_number(v, source, f"alerting.ack_deadline_hours.{name}", low=0.01))
        for name, v in deadlines_in.items()
    }
    link = general.get("link", "http://127.0.0.1:8000/alerts/{id}")
    if not isinstance(link, str) or "{id}" not in link:
        raise SettingsError(f"{source}: alerting.link = {link!r}; expected a URL containing {{id}}.")
    batch_over = _whole(general.get("batch_over", 20), source, "alerting.batch_over", low=0)
    batch_size = _whole(general.get("batch_size", 20), source, "alerting.batch_size", low=1)

    offices_in = _mapping(top.get("offices"), source, "offices")
    missing = [k for k in OFFICE_KEYS if k not in offices_in]
    if missing:
        raise SettingsError(f"{source}: offices.{missing[0]} is missing; expected all of {', '.join(OFFICE_KEYS)}.")
    _known(offices_in, OFFICE_KEYS, source, "offices")
    offices = tuple(_office(key, offices_in[key], source) for key in OFFICE_KEYS)
    if sum(o.lead for o in offices) != 1:
        raise SettingsError(f"{source}: exactly one office must have lead: true (the lead office, usually hr).")

    engineering = _mapping(top.get("data_engineering"), source, "data_engineering")
    _known(engineering, ("targets",), source, "data_engineering")
    data_engineering = _targets(engineering.get("targets"), source, "data_engineering.targets", required=True)

    config = AlertingConfig(
        offices=offices,
        data_engineering=data_engineering,
        min_tier=min_tier,
        repeat_interval=timedelta(days=repeat_days),
        ack_deadlines=deadlines,
        link=link,
        batch_over=batch_over,
        batch_size=batch_size,
        area=_area(top.get("area", {}), source),
        source=source,
        content=content,
    )
    canonical = json.dumps(content, sort_keys=True, ensure_ascii=False, default=str)
    return replace(config, version=hashlib.sha256(canonical.encode()).hexdigest()[:16])


def resolve_url(target: Target, settings: Settings, env: Mapping[str, str] | None = None) -> str:
    """The target's Apprise URL with ``{home}`` and ``${ENV}`` filled in; a missing variable or
    Prefect Secret is a ``SettingsError`` naming it (the message then waits in the outbox)."""
    env = os.environ if env is None else env
    if target.url_env is not None:
        url = env.get(target.url_env)
        if not url:
            raise SettingsError(f"target {target.name!r}: environment variable {target.url_env} is not set; expected the target's Apprise URL.")
    elif target.url_secret is not None:
        url = _prefect_secret(target.url_secret, target.name)
    else:
        assert target.url is not None
        url = target.url

    def fill(match: re.Match[str]) -> str:
        value = env.get(match.group(1))
        if value is None:
            raise SettingsError(f"target {target.name!r}: environment variable {match.group(1)} is not set; the URL needs it.")
        return value

    return _PLACEHOLDER.sub(fill, url.replace("{home}", str(settings.home)))


def _prefect_secret(block: str, target: str) -> str:
    try:
        from prefect.blocks.system import Secret

        value = Secret.load(block).get()  # type: ignore[union-attr]  # sync context: a Secret, not a coroutine
    except Exception as exc:  # Prefect raises ValueError, ObjectNotFound, connection errors ...
        raise SettingsError(f"target {target!r}: cannot read Prefect Secret block {block!r} ({exc}).") from None
    if not isinstance(value, str) or not value:
        raise SettingsError(f"target {target!r}: Prefect Secret block {block!r} holds no URL.")
    return value


def _office(key: str, value: object, source: str) -> Office:
    where = f"offices.{key}"
    office = _mapping(value, source, where)
    _known(office, ("name", "short", "asks", "lead", "receives", "sees", "delivery", "digest_at", "targets", "escalation"), source, where)
    name = _text(office.get("name"), source, f"{where}.name")
    delivery = office.get("delivery", "immediate")
    if delivery not in DELIVERIES:
        raise SettingsError(f"{source}: {where}.delivery = {delivery!r}; expected immediate or digest.")
    digest_at = None
    if delivery == "digest":
        digest_at = _clock(office.get("digest_at", "08:30"), source, f"{where}.digest_at")
    return Office(
        key=key,
        name=name,
        short=_text(office.get("short", name), source, f"{where}.short"),
        asks=_text(office.get("asks", "请及时处理。"), source, f"{where}.asks"),
        lead=_flag(office.get("lead", False), source, f"{where}.lead"),
        receives=_receives(office.get("receives"), source, f"{where}.receives"),
        sees=_sees(office.get("sees"), source, f"{where}.sees"),
        delivery=delivery,
        digest_at=digest_at,
        targets=_targets(office.get("targets"), source, f"{where}.targets", required=True),
        escalation=_targets(office.get("escalation", []), source, f"{where}.escalation", required=False),
    )


def _receives(value: object, source: str, where: str) -> tuple[Mapping[str, Any], ...]:
    if not isinstance(value, list) or not value:
        raise SettingsError(f"{source}: {where} must be a list of conditions (or [all]).")
    blocks: list[Mapping[str, Any]] = []
    for i, block in enumerate(value):
        if block == "all":
            blocks.append({})
            continue
        conditions = _mapping(block, source, f"{where}[{i}]")
        if not conditions:
            raise SettingsError(f"{source}: {where}[{i}] is empty; write `all` to receive every alert.")
        for name, threshold in conditions.items():
            if name not in CONDITION_KEYS:
                raise SettingsError(
                    f"{source}: {where}[{i}].{name} is not a condition; expected tier_at_least or min_<figure> "
                    f"with a figure among {', '.join(EVIDENCE_COLUMNS)}."
                )
            if name == "tier_at_least":
                _tier(threshold, source, f"{where}[{i}].{name}")
            else:
                _number(threshold, source, f"{where}[{i}].{name}", low=0)
        blocks.append(dict(conditions))
    return tuple(blocks)


def _sees(value: object, source: str, where: str) -> frozenset[str]:
    if not isinstance(value, list) or not value:
        raise SettingsError(f"{source}: {where} must list what the office may see ({', '.join(SEE_CATEGORIES)}, or all).")
    if "all" in value:
        return frozenset(SEE_CATEGORIES)
    unknown = [v for v in value if v not in SEE_CATEGORIES]
    if unknown:
        raise SettingsError(f"{source}: {where} has {unknown[0]!r}; expected some of {', '.join(SEE_CATEGORIES)}, or all.")
    return frozenset(value)


def _targets(value: object, source: str, where: str, *, required: bool) -> tuple[Target, ...]:
    if value is None:
        value = []
    if not isinstance(value, list) or (required and not value):
        raise SettingsError(f"{source}: {where} must be a list of targets, each with a name and url, url_env or url_secret.")
    targets = []
    for i, item in enumerate(value):
        spec = _mapping(item, source, f"{where}[{i}]")
        _known(spec, ("name", "url", "url_env", "url_secret"), source, f"{where}[{i}]")
        name = _text(spec.get("name"), source, f"{where}[{i}].name")
        given = [k for k in ("url", "url_env", "url_secret") if spec.get(k)]
        if len(given) != 1:
            raise SettingsError(f"{source}: {where}[{i}] ({name}) needs exactly one of url, url_env, url_secret.")
        if "url" in given:
            _no_literal_secret(str(spec["url"]), source, f"{where}[{i}].url")
        targets.append(Target(name=name, **{k: str(spec[k]) for k in given}))
    names = [t.name for t in targets]
    if len(set(names)) != len(names):
        raise SettingsError(f"{source}: {where} has two targets with the same name; names must differ.")
    return tuple(targets)


def _no_literal_secret(url: str, source: str, where: str) -> None:
    """A URL written in the file may carry a secret only as ``${ENV_NAME}``."""
    scheme = url.split("://", 1)[0].lower() if "://" in url else ""
    if not scheme:
        raise SettingsError(f"{source}: {where} = {url!r} is not an Apprise URL; expected scheme://...")
    if scheme in SECRET_FREE_SCHEMES:
        return
    bare = _PLACEHOLDER.sub("", url)
    parts = urlsplit(bare.replace(f"{scheme}://", "http://", 1))
    secret_in_userinfo = parts.password not in (None, "")
    secret_in_query = any(_SECRETISH_QUERY.search(k) and v for k, v in parse_qsl(parts.query))
    # Webhook-style schemes (dingtalk://TOKEN, wecombot://KEY, feishu://TOKEN) put the secret in
    # the host or path: there, any literal path or host beyond a placeholder is a secret.
    token_scheme = scheme in ("dingtalk", "wecombot", "feishu", "lark", "wxpusher", "qq")
    if secret_in_userinfo or secret_in_query or (token_scheme and (parts.netloc or parts.path.strip("/"))):
        raise SettingsError(
            f"{source}: {where} carries a literal secret; write it as ${{ENV_NAME}} and set the variable "
            "(or use url_env / url_secret)."
        )


def _area(value: object, source: str) -> AreaRules:
    area = _mapping(value, source, "area")
    _known(area, ("single_enterprise_cut", "enterprises_cutting", "flagged_together"), source, "area")
    single = area.get("single_enterprise_cut")
    cutting = _mapping(area.get("enterprises_cutting", {}), source, "area.enterprises_cutting")
    _known(cutting, ("count", "min_workers", "min_share", "min_share_workers"), source, "area.enterprises_cutting")
    flagged = _mapping(area.get("flagged_together", {}), source, "area.flagged_together")
    _known(flagged, ("count", "tier_at_least", "levels"), source, "area.flagged_together")
    levels = flagged.get("levels", ["township", "chain"])
    if not isinstance(levels, list) or any(level not in ("township", "chain", "county") for level in levels):
        raise SettingsError(f"{source}: area.flagged_together.levels = {levels!r}; expected some of township, chain, county.")
    return AreaRules(
        single_enterprise_cut=None if single is None else int(_number(single, source, "area.single_enterprise_cut", low=1)),
        cutting_count=None if "count" not in cutting else int(_number(cutting["count"], source, "area.enterprises_cutting.count", low=1)),
        cutting_min_workers=int(_number(cutting.get("min_workers", 50), source, "area.enterprises_cutting.min_workers", low=1)),
        cutting_min_share=_number(cutting.get("min_share", 0.3), source, "area.enterprises_cutting.min_share", low=0.0, high=1.0),
        cutting_min_share_workers=int(_number(cutting.get("min_share_workers", 10), source, "area.enterprises_cutting.min_share_workers", low=1)),
        flagged_count=None if "count" not in flagged else int(_number(flagged["count"], source, "area.flagged_together.count", low=1)),
        flagged_tier=_tier(flagged.get("tier_at_least", "orange"), source, "area.flagged_together.tier_at_least"),
        flagged_levels=tuple(levels),
    )


def _mapping(value: object, source: str, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise SettingsError(f"{source}: {where} must be a mapping of names to values.")
    return value


def _known(value: Mapping[str, Any], allowed: tuple[str, ...], source: str, where: str) -> None:
    unknown = [k for k in value if k not in allowed]
    if unknown:
        raise SettingsError(f"{source}: {where} has unknown key {unknown[0]!r}; expected some of {', '.join(allowed)}.")


def _text(value: object, source: str, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise SettingsError(f"{source}: {where} must be non-empty text.")
    return value.strip()


def _flag(value: object, source: str, where: str) -> bool:
    if not isinstance(value, bool):
        raise SettingsError(f"{source}: {where} = {value!r}; expected true or false.")
    return value


def _tier(value: object, source: str, where: str) -> str:
    if value not in TIER_NAMES:
        raise SettingsError(f"{source}: {where} = {value!r}; expected one of {', '.join(TIER_NAMES)}.")
    return str(value)


def _number(value: object, source: str, where: str, *, low: float, high: float | None = None) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < low or (high is not None and value > high):
        bound = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise SettingsError(f"{source}: {where} = {value!r}; expected a number {bound}.")
    return float(value)


def _whole(value: object, source: str, where: str, *, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise SettingsError(f"{source}: {where} = {value!r}; expected a whole number of at least {low}.")
    return value


def _clock(value: object, source: str, where: str) -> time:
    try:
        return time.fromisoformat(str(value))
    except ValueError:
        raise SettingsError(f"{source}: {where} = {value!r}; expected a time of day like 08:30.") from None
