"""Who may do what on the console.

The four offices' officers see the alerts routed to their office, cut to what their office may see
(``alerts.fields.visible_details``); the lead office (人社, ``lead: true`` in the alerting
configuration) also runs each alert's workflow. Data engineers see models, validation results and
daily reports; administrators see those and the accounts. Neither sees alerts: they are not the
ones who act on them.
"""

from __future__ import annotations

from dataclasses import dataclass

from alerts.config import OFFICE_KEYS, AlertingConfig, Office
from store.tables import ROLES

ROLE_ZH = {
    "hr": "人社局",
    "public_security": "公安局",
    "petitions": "信访局",
    "cyberspace": "网信办",
    "data_engineer": "数据工程师",
    "admin": "系统管理员",
}
ENGINEERING_ROLES = ("data_engineer", "admin")
assert set(ROLE_ZH) == set(ROLES) and set(OFFICE_KEYS) <= set(ROLES)


@dataclass(frozen=True)
class Principal:
    """The signed-in person, as every page checks them."""

    username: str
    display_name: str
    role: str
    office: Office | None
    csrf_token: str

    @property
    def role_zh(self) -> str:
        return ROLE_ZH[self.role]

    @property
    def sees_alerts(self) -> bool:
        return self.office is not None

    @property
    def runs_workflow(self) -> bool:
        return self.office is not None and self.office.lead

    @property
    def sees_engineering(self) -> bool:
        return self.role in ENGINEERING_ROLES

    @property
    def manages_accounts(self) -> bool:
        return self.role == "admin"

    def sees(self, category: str) -> bool:
        return self.office is not None and category in self.office.sees


def principal_for(
    username: str, display_name: str, role: str, csrf_token: str, config: AlertingConfig
) -> Principal:
    office = config.office(role) if role in OFFICE_KEYS else None
    return Principal(username, display_name, role, office, csrf_token)
