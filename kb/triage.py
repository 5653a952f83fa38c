"""Suggests a ticket's category from keyword rules and the categories of the closest articles."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from pydantic import BaseModel, ConfigDict, Field

from kb.index import KnowledgeBase
from kb.query import alternative
from kb.text import term_set

# Share of the decision taken by the keyword rules; the closest articles take the rest.
KEYWORD_SHARE = 0.5


class TriageRule(BaseModel):
    """Words that point to a category."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    category: str
    keywords: tuple[str, ...] = Field(min_length=1)


# Words that point to each category, in English and Chinese.
_KEYWORDS = {
    "network": "vpn wifi wi-fi wireless internet network router connection 网络 断网 无线 连不上",
    "access": "password login sign-in mfa 2fa authenticator locked account access permission "
    "密码 登录 验证码 权限",
    "application": "outlook teams zoom excel word onedrive sharepoint calendar email mail app "
    "software 邮件 日历 软件 会议",
    "hardware": "printer monitor dock keyboard mouse headset laptop screen battery charger "
    "打印机 显示器 耳机 键盘",
    "security": "phishing virus malware stolen lost suspicious scam bitlocker filevault "
    "钓鱼 病毒 丢失",
    "system": "update disk storage slow crash freeze windows macos driver 更新 磁盘 卡 死机",
}


def _default_rules() -> tuple[TriageRule, ...]:
    return tuple(
        TriageRule(category=category, keywords=tuple(words.split()))
        for category, words in _KEYWORDS.items()
    )


class TriageSettings(BaseModel):
    """The keyword rules of triage suggestions."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    rules: tuple[TriageRule, ...] = Field(default_factory=_default_rules)
    # Suggestions below this confidence (0 to 1) are not made.
    min_confidence: float = Field(default=0.3, ge=0, le=1)


@dataclass(frozen=True)
class Suggestion:
    """A suggested category and how sure triage is of it (0 to 1); category None if unsure."""

    category: str | None
    confidence: float


def suggest(text: str, settings: TriageSettings, kb: KnowledgeBase | None) -> Suggestion:
    """Weigh keyword hits and the closest articles' categories into one suggestion."""
    votes: dict[str, float] = {}
    keywords = _keyword_votes(text, settings)
    articles = _article_votes(text, kb) if kb is not None else {}
    for share, counts in ((KEYWORD_SHARE, keywords), (1 - KEYWORD_SHARE, articles)):
        total = sum(counts.values())
        for category, count in counts.items():
            votes[category] = votes.get(category, 0.0) + share * count / total
    if not votes:
        return Suggestion(None, 0.0)
    # The two shares add up to one, so the leading category's votes are its confidence.
    category, weight = max(votes.items(), key=lambda item: item[1])
    confidence = round(weight, 3)
    if confidence < settings.min_confidence:
        return Suggestion(None, confidence)
    return Suggestion(category, confidence)


def _keyword_votes(text: str, settings: TriageSettings) -> dict[str, float]:
    terms = term_set(text)
    lowered = text.lower()
    votes: dict[str, float] = {}
    for rule in settings.rules:
        for keyword in rule.keywords:
            wanted = _terms_of(keyword)
            if (wanted and wanted <= terms) or (not keyword.isascii() and keyword in lowered):
                votes[rule.category] = votes.get(rule.category, 0.0) + 1
    return votes


@lru_cache(maxsize=4096)
def _terms_of(keyword: str) -> frozenset[str]:
    """A keyword's search terms; the same few keywords are read on every message."""
    return alternative(keyword).terms


def _article_votes(text: str, kb: KnowledgeBase) -> dict[str, float]:
    votes: dict[str, float] = {}
    for hit in kb.search(text, limit=5, audience="agents", min_score=0.25):
        votes[hit.category] = votes.get(hit.category, 0.0) + hit.score
    return votes
