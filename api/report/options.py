"""What a report needs besides the package: its language, the branch's time zone, and the
letterhead (the firm's and branches' names), taken from the settings."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from api.report.i18n import normalize
from api.settings import Settings


def parse_branch_names(text: str) -> dict[str, str]:
    """``SH01=上海某路证券营业部,BJ02=…`` → {code: name}; blank entries are ignored."""
    names: dict[str, str] = {}
    for part in text.split(","):
        code, sep, name = part.partition("=")
        if sep and code.strip() and name.strip():
            names[code.strip().upper()] = name.strip()
    return names


@dataclass(frozen=True)
class ReportOptions:
    """How one package's report is written."""

    locale: str = "zh-CN"
    timezone: str = "Asia/Shanghai"
    firm_name: str | None = None
    branch_names: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "locale", normalize(self.locale))

    @classmethod
    def from_settings(cls, settings: Settings, locale: str | None = None) -> ReportOptions:
        """Options from the settings; ``locale`` (when given) chosen for this package."""
        return cls(
            locale=locale or settings.report_locale,
            timezone=settings.branch_timezone,
            firm_name=settings.firm_name or None,
            branch_names=parse_branch_names(settings.branch_names),
        )
