"""Every reply in Simplified Chinese: a Chinese template for each English one, same context."""

# The expected replies are Chinese as people write it, with full-width punctuation.
# ruff: noqa: RUF001

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.render import TEMPLATES, Renderer
from desk.notify import button
from desk.vocabulary import Urgency
from flows.agent import COMMANDS
from flows.conversation import say
from flows.intake import EDITABLE
from flows.messages import Button, Reply
from flows.offer import NONE, OFFER
from kb.articles import Article
from kb.index import Hit
from storage.models import KbDraft, Ticket, TicketEvent

ENGLISH = TEMPLATES / "en" / "plain"
CHINESE = TEMPLATES / "zh" / "plain"
# Partials the English templates do without: how collected values, the agents' words (a
# duration, a status) and the notes the desk records read in Chinese.
CHINESE_ONLY = {"intake/_value.j2", "agent/_words.j2", "common/_note.j2"}
TIME_ZONE = "Asia/Shanghai"
HAN = re.compile("[\u4e00-\u9fff]")
LATIN = re.compile("[A-Za-z]")
FIELD = re.compile(r"{(\w*)}")
INCLUDED = re.compile(r"""{%-?\s*(?:include|from|import)\s+["']([^"']+)["']""")

MEI, SAM, PRIYA = 2, 4, 5
NAMES = {MEI: "Mei Chen", SAM: "Sam Okafor"}
AGENT_NAMES = {**NAMES, PRIYA: "Priya Nair"}


def _at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=UTC)


def _ticket(number: str, **values: Any) -> Ticket:
    fields: dict[str, Any] = {
        "id": 12,
        "number": number,
        "requester_id": MEI,
        "title": "VPN 每隔几分钟就断开",
        "symptom": "VPN 每隔几分钟就断开，重新连接也没用",
        "impact": "team",
        "urgency": "blocked",
        "priority": "P2",
        "status": "new",
        "created_at": _at(3, 1, 30),
        "updated_at": _at(3, 1, 30),
    }
    fields.update(values)
    return Ticket(**fields)


def _event(action: str, at: datetime, actor_id: int | None = MEI, **values: Any) -> TicketEvent:
    return TicketEvent(ticket_id=12, actor_id=actor_id, action=action, at=at, **values)


OPEN = _ticket("HD-12")
WORKED_ON = _ticket("HD-12", status="in_progress", assignee_id=SAM)
WAITING = _ticket(
    "HD-9", id=9, title="打印机卡纸", priority="P4", status="waiting_on_user", impact="just_me"
)
HISTORY = [
    _event("created", _at(3, 1, 30), after={"status": "new", "priority": "P2"}),
    _event("masked", _at(3, 1, 30), after={"kinds": ["password"]}),
    _event(
        "status",
        _at(3, 2, 5),
        SAM,
        field="status",
        before="new",
        after="in_progress",
        note="正在远程排查",
    ),
    _event("status", _at(3, 2, 6), None, field="status", before="in_progress", after="resolved"),
    _event("comment", _at(3, 6, 45), SAM, note="请重启电脑后再试一次"),
    _event("comment", _at(3, 7, 0), None, note="客户端已更新"),
    _event("field", _at(3, 7, 1), SAM, field="category", before=None, after="network"),
]
# The support team's side: tickets in the queue, and one ticket's whole history.
NOW = _at(3, 4, 35)
QUEUE = [
    _ticket(
        "HD-14",
        id=14,
        title="财务系统无法登录",
        priority="P1",
        group_name="service-desk",
        created_at=_at(3, 3, 50),
    ),
    _ticket("HD-12", group_name="service-desk"),
    _ticket(
        "HD-7",
        id=7,
        title="新员工需要开通邮箱",
        priority="P3",
        status="triaged",
        group_name="network",
        created_at=_at(1, 9, 0),
    ),
]
CLAIMED = _ticket("HD-12", status="in_progress", assignee_id=SAM, group_name="service-desk")
ESCALATED = _ticket("HD-12", status="triaged", group_name="network")
WAITING_ON_MEI = _ticket(
    "HD-12", status="waiting_on_user", assignee_id=SAM, group_name="service-desk"
)
WAITING_ON_ACME = _ticket(
    "HD-12",
    status="waiting_on_vendor",
    assignee_id=SAM,
    group_name="service-desk",
    vendor="Acme Networks",
    vendor_ref="AC-5531",
)
AGENT_VIEW = _ticket(
    "HD-12",
    priority="P1",
    status="triaged",
    group_name="network",
    since_text="昨天下午",
    device="VPN",
    tried="重新安装客户端",
    vendor="Acme Networks",
    vendor_ref="AC-5531",
    resolution="供应商更换了网关证书",
)
# What the extractor files in English, on a ticket nobody has yet.
BARE_VIEW = _ticket(
    "HD-9",
    id=9,
    title="打印机卡纸",
    symptom="打印机卡纸",
    impact="just_me",
    urgency="difficult",
    priority="P4",
    since_text="not sure",
    device="printer",
    tried="nothing yet",
)
AGENT_HISTORY = [
    _event(
        "created",
        _at(3, 1, 30),
        after={"status": "new", "priority": "P2", "title": "VPN", "group": "service-desk"},
    ),
    _event("masked", _at(3, 1, 30), after={"kinds": ["password"]}),
    _event("field", _at(3, 1, 31), None, field="assignee", before=None, after=SAM),
    _event("status", _at(3, 1, 31), None, field="status", before="new", after="triaged"),
    _event("status", _at(3, 2, 5), SAM, field="status", before="triaged", after="in_progress"),
    _event("comment", _at(3, 2, 10), SAM, note="可能是网关证书过期", public=False),
    _event(
        "status",
        _at(3, 2, 12),
        SAM,
        field="status",
        before="in_progress",
        after="waiting_on_user",
        note="请问您用的是哪个版本的客户端？",
    ),
    _event("comment", _at(3, 2, 12), SAM, note="请问您用的是哪个版本的客户端？"),
    _event("comment", _at(3, 2, 30), note="5.1.2"),
    _event("status", _at(3, 2, 30), field="status", before="waiting_on_user", after="in_progress"),
    _event(
        "field",
        _at(3, 3, 0),
        PRIYA,
        field="priority",
        before="P2",
        after="P1",
        note="整个财务部都受影响",
    ),
    _event(
        "status",
        _at(3, 3, 20),
        SAM,
        field="status",
        before="in_progress",
        after="waiting_on_vendor",
        note="Acme Networks",
    ),
    _event(
        "field",
        _at(3, 3, 20),
        SAM,
        field="vendor",
        before=None,
        after={"vendor": "Acme Networks", "ref": "AC-5531"},
    ),
    _event(
        "status",
        _at(3, 6, 0),
        SAM,
        field="status",
        before="waiting_on_vendor",
        after="resolved",
        note="供应商更换了网关证书",
    ),
    _event(
        "status",
        _at(3, 7, 15),
        field="status",
        before="resolved",
        after="in_progress",
        note="still broken, says the requester",
    ),
    _event("comment", _at(3, 7, 15), note="下午又断了两次"),
    _event(
        "status",
        _at(3, 7, 40),
        SAM,
        field="status",
        before="in_progress",
        after="triaged",
        note="需要网络组排查",
    ),
    _event(
        "field",
        _at(3, 7, 40),
        SAM,
        field="group",
        before="service-desk",
        after="network",
        note="需要网络组排查",
    ),
    _event("field", _at(3, 7, 40), SAM, field="assignee", before=SAM, after=None),
    _event("field", _at(3, 8, 0), None, field="category", before=None, after="network"),
]
# The plain values a queued message carries: summary() of the ticket, and what each change adds.
SUMMARY = {
    "number": "HD-12",
    "title": "VPN 每隔几分钟就断开",
    "priority": "P2",
    "status": "in_progress",
    "group": "service-desk",
}
# What the service-level sweep adds: which target, when it falls due (ISO text), who holds it.
SLA_CHECK = {
    **SUMMARY,
    "target": "response",
    "due": "2026-12-03T02:00:00+00:00",
    "holder": "Sam Okafor",
}
VENDOR_REQUEST = {
    **SUMMARY,
    "status": "waiting_on_vendor",
    "symptom": "VPN 每隔几分钟就断开，重新连接也没用",
    "vendor": "Acme Networks",
    "contract": "ACME-2026-017",
    "their_ref": "AC-5531",
    "agent": "Sam Okafor",
    "agent_email": "sam@example.com",
}
DRAFT = {
    "symptom": "VPN 每隔几分钟就断开",
    "since": "昨天下午",
    "since_at": "2026-12-02T06:00:00+00:00",
    "device": "VPN",
    "tried": "重新安装客户端",
    "impact": "team",
    "urgency": "blocked",
}
# What the extractor files in English: "not sure", "nothing yet" and a device's plain name.
ENGLISH_WORDS_DRAFT = {
    **DRAFT,
    "since": "not sure",
    "since_at": None,
    "device": "printer",
    "tried": "nothing yet",
    "impact": "just_me",
    "urgency": "difficult",
}
# The knowledge base: articles offered during intake (flows.offer cuts a Chinese excerpt at 90
# characters, an English one at 180), suggested to agents, found, drafted and published.
HOME_WIFI_ZH = {
    "id": "zh-home-wifi-slow",
    "title": "家里 Wi-Fi 慢或不稳定",
    "excerpt": "在家网速很慢，网页打不开或要转很久；视频会议卡顿，声音断断续续、画面冻住；"
    "Wi-Fi 时好时坏，经常断网，信号满格却上不了网。下面的方法按从简单到复杂排列，"
    "大多数情况都能改善。…",
}
# Nothing in Chinese answers a VPN that drops, so the English articles are offered.
VPN_DROPS = {
    "id": "vpn-connection-drops",
    "title": "VPN keeps disconnecting",
    "excerpt": "The VPN connects, but it keeps dropping: every few minutes or hours you see "
    '"disconnected" or "reconnecting", you get kicked out of shared drives or internal sites, '
    "or a Teams…",
}
HOME_WIFI = {
    "id": "home-wifi-slow",
    "title": "Slow or unstable home Wi-Fi",
    "excerpt": "Your home internet is slow or keeps dropping: pages take ages to load, Teams or "
    'Zoom says "your network connection is poor", your video freezes or people say you sound '
    "robotic,…",
}
# What desk.tickets.suggested_articles puts in notify/queued and notify/assigned.
SUGGESTED = [
    {"id": "vpn-connection-drops", "title": "VPN keeps disconnecting"},
    {"id": "agent-vpn-log-collection", "title": "Collecting VPN client logs for an escalation"},
    {"id": "zh-home-wifi-slow", "title": "家里 Wi-Fi 慢或不稳定"},
]
HITS = [
    Hit(
        "agent-vpn-log-collection",
        "Collecting VPN client logs for an escalation",
        0.8712,
        "network",
        "en",
    ),
    Hit("vpn-connection-drops", "VPN keeps disconnecting", 0.6403, "network", "en"),
    Hit("zh-home-wifi-slow", "家里 Wi-Fi 慢或不稳定", 0.5127, "network", "zh"),
]
# As desk.articles.Drafts.draft writes it from a resolved ticket: its sections in English.
KB_DRAFT = KbDraft(
    id="vpn-hd-12",
    ticket_id=12,
    author_id=SAM,
    title="VPN 每隔几分钟就断开",
    category="network",
    tags=["vpn", "network"],
    body="## What this looks like\n\nVPN 每隔几分钟就断开，重新连接也没用\n"
    "\nAlready tried without success: 重新安装客户端.\n\n"
    "## Cause\n\nTo be described by the reviewing lead.\n\n"
    "## What fixed it\n\n供应商更换了网关证书\n\n"
    "## When to contact IT\n\nIf this does not help, tell the helpdesk what you tried.\n",
    created_at=_at(3, 8, 0),
)
PUBLISHED = Article(
    id="vpn-hd-12",
    title="VPN 每隔几分钟就断开",
    category="network",
    tags=("vpn", "network"),
    language="en",
    audience="employees",
    last_reviewed="2026-12-03",
    body=KB_DRAFT.body,
    path="kb/articles/vpn-hd-12.md",
)

CASES = [
    pytest.param(
        "comment/cancelled", {}, "已取消，没有为工单添加补充说明。", id="comment/cancelled"
    ),
    pytest.param(
        "common/empty",
        {},
        "我没有收到文字内容。请告诉我遇到了什么问题，或者发送“help”（或“帮助”）查看用法。",
        id="common/empty",
    ),
    pytest.param(
        "common/error",
        {"message": "There is no ticket HD-99."},
        "抱歉，这个请求没能完成：There is no ticket HD-99.",
        id="common/error",
    ),
    pytest.param(
        "common/expired",
        {"minutes": 30},
        "我们上一次的对话已有超过 30 分钟没有回复，我已将它结束，没有创建工单。我们重新开始吧。",
        id="common/expired",
    ),
    pytest.param(
        "common/help",
        {"name": "Mei Chen"},
        "您好，Mei Chen！我是 IT 服务台。请用您自己的话告诉我遇到了什么问题，接下来交给我就好。\n"
        "您也可以发送：\n"
        "  my tickets           查看您未关闭的工单（也可以说“我的工单”）\n"
        "  show HD-12           查看工单进展和最新动态（也可以说“查看 HD-12”）\n"
        "  comment HD-12 内容   为工单补充说明\n"
        "  cancel               停止当前操作（也可以说“取消”）",
        id="common/help",
    ),
    pytest.param(
        "common/masked",
        {"kinds": ("api_key", "password")},
        "为了安全，我在保存任何内容之前，已从您的消息中删除了疑似凭据的内容（API 密钥、密码）。"
        "请不要在聊天中发送密码或密钥，即使是发给 IT 也不要：我们绝不会向您索要这些信息。"
        "如果刚才发送的是真实信息，请立即更改。",
        id="common/masked",
    ),
    pytest.param(
        "common/nothing_to_cancel",
        {},
        "目前没有可以取消的操作。准备好了随时告诉我遇到了什么问题，"
        "或者发送“help”（或“帮助”）查看用法。",
        id="common/nothing_to_cancel",
    ),
    pytest.param(
        "common/resume",
        {},
        "我们回到您的报修：请回答我上一个问题，或者发送“cancel”（或“取消”）放弃这次报修。",
        id="common/resume",
    ),
    pytest.param(
        "common/sorry",
        {},
        "抱歉，我这边出了点问题，您的信息没有保存。请稍后再试一次。",
        id="common/sorry",
    ),
    pytest.param(
        "common/stale_button",
        {},
        "这个按钮所属的对话已经结束了。请告诉我您需要什么帮助，我们重新开始。",
        id="common/stale_button",
    ),
    pytest.param(
        "common/too_long",
        {"length": 4210, "limit": 4000},
        "这条消息有 4210 个字符，我最多只能接收 4000 个。请精简一下，或者分几条发送。",
        id="common/too_long",
    ),
    pytest.param(
        "common/unknown_person",
        {"identity": "console user lin@example.com"},
        "抱歉，我还无法确认您的身份，所以暂时不能为您创建工单。"
        "请联系您的 IT 管理员，把您添加到服务台通讯录中（console user lin@example.com）。",
        id="common/unknown_person",
    ),
    pytest.param(
        "intake/ask_device",
        {"retry": False, "noted": [("since", "昨天"), ("tried", "重启")]},
        "谢谢，以下信息我已记下——开始时间：昨天；已尝试的方法：重启。\n"
        "是哪台设备或哪个应用出了问题？（例如：工作电脑、VPN、Outlook、Teams）",
        id="intake/ask_device",
    ),
    pytest.param("intake/ask_edit", {}, "您想修改哪一项？", id="intake/ask_edit"),
    pytest.param(
        "intake/ask_impact",
        {
            "retry": False,
            "noted": [("since", "今天早上"), ("device", "laptop"), ("tried", "nothing yet")],
        },
        "谢谢，以下信息我已记下——开始时间：今天早上；设备或应用：电脑；"
        "已尝试的方法：还没有尝试过。\n"
        "这个问题影响到了哪些人？",
        id="intake/ask_impact",
    ),
    pytest.param(
        "intake/ask_impact",
        {"retry": True, "noted": []},
        "请从下面的选项中选择一项：这个问题影响到了哪些人？",
        id="intake/ask_impact-retry",
    ),
    pytest.param(
        "intake/ask_since",
        {"retry": False, "noted": [("device", "VPN")]},
        "谢谢，以下信息我已记下——设备或应用：VPN。\n"
        "这个问题是从什么时候开始的？（例如：今天早上、昨天下午3点、两天前，或者“不清楚”）",
        id="intake/ask_since",
    ),
    pytest.param(
        "intake/ask_symptom",
        {"retry": False, "noted": []},
        "遇到了什么问题？请用一两句话描述一下，就像跟同事说明情况那样。",
        id="intake/ask_symptom",
    ),
    pytest.param(
        "intake/ask_symptom",
        {"retry": True, "noted": []},
        "能再多说一点吗？用几个词说明出了什么问题就可以。",
        id="intake/ask_symptom-retry",
    ),
    pytest.param(
        "intake/ask_tried",
        {"retry": False, "noted": [("impact", "company"), ("urgency", "stopped")]},
        "谢谢，以下信息我已记下——影响范围：全公司；紧急程度：业务已停止。\n"
        "您已经尝试过哪些方法？（如果还没有尝试过，回复“没有”即可）",
        id="intake/ask_tried",
    ),
    pytest.param(
        "intake/ask_urgency",
        {"retry": False, "noted": []},
        "这个问题对您的工作影响有多大？",
        id="intake/ask_urgency",
    ),
    pytest.param(
        "intake/ask_urgency",
        {"retry": True, "noted": []},
        "请从下面的选项中选择一项：这个问题对您的工作影响有多大？",
        id="intake/ask_urgency-retry",
    ),
    pytest.param(
        "intake/cancelled",
        {},
        "已取消，没有创建工单。需要帮助时随时找我。",
        id="intake/cancelled",
    ),
    pytest.param(
        "intake/choose",
        {},
        "请从下面的选项中选择一项（输入序号或选项文字都可以）。",
        id="intake/choose",
    ),
    pytest.param(
        "intake/created",
        {"ticket": OPEN},
        "工单 HD-12 已创建，优先级为 P2（高）。\n"
        "接下来：服务台已将它排入处理队列，一有同事接手，我就会在这里通知您。\n"
        "您可以发送“show HD-12”（或“查看 HD-12”）查看进展，发送“comment HD-12 ...”补充信息，"
        "或发送“my tickets”（或“我的工单”）查看您的所有工单。",
        id="intake/created",
    ),
    pytest.param(
        "intake/noted",
        {"noted": [("device", "Outlook"), ("impact", "department"), ("urgency", "normal")]},
        "谢谢，以下信息我已记下——设备或应用：Outlook；影响范围：我的部门；紧急程度：能正常工作。",
        id="intake/noted",
    ),
    pytest.param(
        "intake/summary",
        {"draft": DRAFT},
        "这是您的报修内容，需要我为您创建工单吗？\n"
        "  问题描述：VPN 每隔几分钟就断开\n"
        "  开始时间：昨天下午\n"
        "  设备或应用：VPN\n"
        "  已尝试的方法：重新安装客户端\n"
        "  影响范围：我的团队\n"
        "  紧急程度：无法工作",
        id="intake/summary",
    ),
    pytest.param(
        "intake/summary",
        {"draft": ENGLISH_WORDS_DRAFT},
        "这是您的报修内容，需要我为您创建工单吗？\n"
        "  问题描述：VPN 每隔几分钟就断开\n"
        "  开始时间：不清楚\n"
        "  设备或应用：打印机\n"
        "  已尝试的方法：还没有尝试过\n"
        "  影响范围：只有我\n"
        "  紧急程度：能工作，但有些困难",
        id="intake/summary-extracted-words",
    ),
    pytest.param(
        "intake/summary",
        {"draft": {**DRAFT, "category": "network"}},
        "这是您的报修内容，需要我为您创建工单吗？\n"
        "  问题描述：VPN 每隔几分钟就断开\n"
        "  开始时间：昨天下午\n"
        "  设备或应用：VPN\n"
        "  已尝试的方法：重新安装客户端\n"
        "  影响范围：我的团队\n"
        "  紧急程度：无法工作\n"
        "  类别：网络（network），系统推荐；如需更改，请选择“修改”",
        id="intake/summary-suggested-category",
    ),
    pytest.param(
        "intake/summary",
        {"draft": {**DRAFT, "category": "access", "category_chosen": True}},
        "这是您的报修内容，需要我为您创建工单吗？\n"
        "  问题描述：VPN 每隔几分钟就断开\n"
        "  开始时间：昨天下午\n"
        "  设备或应用：VPN\n"
        "  已尝试的方法：重新安装客户端\n"
        "  影响范围：我的团队\n"
        "  紧急程度：无法工作\n"
        "  类别：账号与权限（access）",
        id="intake/summary-chosen-category",
    ),
    pytest.param(
        "intake/summary",
        {"draft": {**DRAFT, "category": "facilities", "category_chosen": True}},
        "这是您的报修内容，需要我为您创建工单吗？\n"
        "  问题描述：VPN 每隔几分钟就断开\n"
        "  开始时间：昨天下午\n"
        "  设备或应用：VPN\n"
        "  已尝试的方法：重新安装客户端\n"
        "  影响范围：我的团队\n"
        "  紧急程度：无法工作\n"
        "  类别：facilities",
        id="intake/summary-configured-category",
    ),
    pytest.param(
        "intake/ask_category",
        {"retry": False},
        "哪个类别最符合您的问题？",
        id="intake/ask_category",
    ),
    pytest.param(
        "intake/ask_category",
        {"retry": True},
        "请从下面的类别中选择一项（输入序号或类别的英文名称都可以）。",
        id="intake/ask_category-retry",
    ),
    pytest.param(
        "kb/offer",
        {"articles": [HOME_WIFI_ZH]},
        "这些文章也许能马上解决您的问题：\n"
        "  1. 家里 Wi-Fi 慢或不稳定\n"
        "     在家网速很慢，网页打不开或要转很久；视频会议卡顿，声音断断续续、画面冻住；"
        "Wi-Fi 时好时坏，经常断网，信号满格却上不了网。下面的方法按从简单到复杂排列，"
        "大多数情况都能改善。…\n"
        "发送“read 1”（或“查看 1”）即可在这里阅读全文。其中有哪一篇解决了您的问题吗？",
        id="kb/offer",
    ),
    pytest.param(
        "kb/offer",
        {"articles": [VPN_DROPS, HOME_WIFI]},
        "这些文章也许能马上解决您的问题：\n"
        "  1. VPN keeps disconnecting\n"
        f"     {VPN_DROPS['excerpt']}\n"
        "  2. Slow or unstable home Wi-Fi\n"
        f"     {HOME_WIFI['excerpt']}\n"
        "发送“read 1”（或“查看 1”）即可在这里阅读全文。其中有哪一篇解决了您的问题吗？",
        id="kb/offer-english-articles",
    ),
    pytest.param(
        "kb/article",
        {
            "title": "家里 Wi-Fi 慢或不稳定",
            "body": "## 常见表现\n\n在家网速很慢，网页打不开或要转很久。\n\n"
            "## 您可以自己先试试\n\n1. **重启光猫和路由器**：拔掉电源等 30 秒再插上。\n",
        },
        "家里 Wi-Fi 慢或不稳定\n"
        "\n"
        "## 常见表现\n"
        "\n"
        "在家网速很慢，网页打不开或要转很久。\n"
        "\n"
        "## 您可以自己先试试\n"
        "\n"
        "1. **重启光猫和路由器**：拔掉电源等 30 秒再插上。",
        id="kb/article",
    ),
    pytest.param(
        "kb/glad",
        {"title": "家里 Wi-Fi 慢或不稳定"},
        "很高兴《家里 Wi-Fi 慢或不稳定》帮您解决了问题！这次不需要创建工单。"
        "如果还有其他问题，随时找我。",
        id="kb/glad",
    ),
    pytest.param(
        "tickets/ask_comment",
        {"number": "HD-12"},
        "您想为 HD-12 补充什么内容？",
        id="tickets/ask_comment",
    ),
    pytest.param(
        "tickets/comment_added",
        {"number": "HD-12"},
        "已添加到 HD-12，负责处理的同事会看到。",
        id="tickets/comment_added",
    ),
    pytest.param(
        "tickets/list",
        {"tickets": [WORKED_ON, WAITING]},
        "您未关闭的工单：\n"
        "  HD-12  P2  处理中  VPN 每隔几分钟就断开\n"
        "  HD-9  P4  等待您回复  打印机卡纸\n"
        "发送“show”加工单号（例如“show HD-12”，或“查看 HD-12”）即可查看详情。",
        id="tickets/list",
    ),
    pytest.param(
        "tickets/list",
        {"tickets": []},
        "您目前没有未关闭的工单。如果需要帮助，请告诉我遇到了什么问题。",
        id="tickets/list-empty",
    ),
    pytest.param(
        "tickets/show",
        {"ticket": WORKED_ON, "events": HISTORY, "names": NAMES},
        "HD-12：VPN 每隔几分钟就断开\n"
        "  状态：处理中\n"
        "  优先级：P2（高）\n"
        "  处理人：Sam Okafor\n"
        "  创建时间：12月03日 09:30\n"
        "最新动态：\n"
        "  12月03日 09:30  Mei Chen 创建了工单\n"
        "  12月03日 09:30  一条消息中的密码等凭据已被删除\n"
        "  12月03日 10:05  状态由“新建”变为“处理中”：正在远程排查\n"
        "  12月03日 10:06  状态由“处理中”变为“已解决”\n"
        "  12月03日 14:45  Sam Okafor：请重启电脑后再试一次\n"
        "  12月03日 15:00  IT：客户端已更新\n"
        "  12月03日 15:01  工单信息有更新",
        id="tickets/show",
    ),
    pytest.param(
        "tickets/show",
        {"ticket": OPEN, "events": HISTORY[:1], "names": {}},
        "HD-12：VPN 每隔几分钟就断开\n"
        "  状态：新建\n"
        "  优先级：P2（高）\n"
        "  处理人：尚未分配\n"
        "  创建时间：12月03日 09:30\n"
        "最新动态：\n"
        "  12月03日 09:30  IT 创建了工单",
        id="tickets/show-unassigned",
    ),
    pytest.param(
        "tickets/show",
        {
            "ticket": _ticket("HD-12", status="closed", assignee_id=SAM),
            "events": [
                HISTORY[0],
                _event(
                    "status",
                    _at(3, 9, 0),
                    field="status",
                    before="resolved",
                    after="closed",
                    note="confirmed fixed by the requester",
                ),
            ],
            "names": NAMES,
        },
        "HD-12：VPN 每隔几分钟就断开\n"
        "  状态：已关闭\n"
        "  优先级：P2（高）\n"
        "  处理人：Sam Okafor\n"
        "  创建时间：12月03日 09:30\n"
        "最新动态：\n"
        "  12月03日 09:30  Mei Chen 创建了工单\n"
        "  12月03日 17:00  状态由“已解决”变为“已关闭”：提交人确认已修复",
        id="tickets/show-confirmed",
    ),
    pytest.param(
        "tickets/show",
        {
            "ticket": _ticket("HD-12", status="closed", assignee_id=SAM),
            "events": [
                HISTORY[0],
                _event(
                    "sla",
                    _at(3, 2, 0),
                    None,
                    field="response",
                    note="response target missed",
                ),
                _event(
                    "status",
                    _at(7, 1, 0),
                    None,
                    field="status",
                    before="resolved",
                    after="closed",
                    note="closed automatically, not confirmed",
                ),
            ],
            "names": NAMES,
        },
        "HD-12：VPN 每隔几分钟就断开\n"
        "  状态：已关闭\n"
        "  优先级：P2（高）\n"
        "  处理人：Sam Okafor\n"
        "  创建时间：12月03日 09:30\n"
        "最新动态：\n"
        "  12月03日 09:30  Mei Chen 创建了工单\n"
        "  12月03日 10:00  已超过首次响应时限\n"
        "  12月07日 09:00  状态由“已解决”变为“已关闭”：提交人未确认，已自动关闭",
        id="tickets/show-closed-automatically",
    ),
    # The support team's replies: command words stay English, the parser knows only those.
    pytest.param(
        "agent/assigned",
        {"ticket": CLAIMED, "agent": "Sam Okafor"},
        "HD-12 已分配给 Sam Okafor，已通知对方和提交人。",
        id="agent/assigned",
    ),
    pytest.param(
        "agent/cancelled",
        {"ticket": _ticket("HD-12", status="cancelled")},
        "HD-12 已取消，已通知提交人。",
        id="agent/cancelled",
    ),
    pytest.param(
        "agent/claimed",
        {"ticket": CLAIMED},
        "HD-12 现在由您负责：VPN 每隔几分钟就断开（P2）。已通知提交人。",
        id="agent/claimed",
    ),
    pytest.param(
        "agent/duty",
        {"on": True},
        "您已开始值班：自动分配工单的组可能会把新工单分配给您。",
        id="agent/duty",
    ),
    pytest.param(
        "agent/duty",
        {"on": False},
        "您已结束值班：不会再有工单自动分配给您。",
        id="agent/duty-off",
    ),
    pytest.param(
        "agent/escalated",
        {"ticket": ESCALATED},
        "HD-12 已转到 network 队列，已通知该组和提交人。",
        id="agent/escalated",
    ),
    pytest.param(
        "agent/help",
        {"commands": list(COMMANDS.values()), "command": None},
        "服务台团队命令（工单号带不带“HD-”都可以）：\n"
        "  queue [组名]             未分配的工单，最紧急的在前\n"
        "  mine                     分配给您的工单\n"
        "  show HD-1                查看工单及其完整历史\n"
        "  claim HD-1               接手工单\n"
        "  assign HD-1 处理人       把工单交给本组的一位同事\n"
        "  escalate HD-1 组名 原因  转到专家组\n"
        "  priority HD-1 P2 原因    修改优先级\n"
        "  reply HD-1 内容          回复提交人\n"
        "  note HD-1 内容           添加内部备注，提交人永远看不到\n"
        "  wait HD-1 user [问题] | wait HD-1 vendor 供应商 [对方编号] "
        "暂停处理，等待提交人或供应商回复\n"
        "  resolve HD-1 解决方案    标记为已解决，并请提交人确认\n"
        "  reopen HD-1 原因         重新打开已解决或已关闭的工单\n"
        "  cancel HD-1 原因         取消工单\n"
        "  duty on | duty off       开始或停止接收自动分配的工单\n"
        "  kb search 关键词 | kb draft HD-1 | kb publish 草稿编号 "
        "搜索知识库文章；根据已解决的工单起草文章；发布草稿（限组长）\n"
        "  help [命令]              显示此列表，或某个命令的用法\n"
        "作为员工，您也可以用自己的话报告问题，或者发送“my tickets”（或“我的工单”）。",
        id="agent/help",
    ),
    pytest.param(
        "agent/help",
        {"commands": list(COMMANDS.values()), "command": COMMANDS["escalate"]},
        "escalate HD-1 组名 原因\n  转到专家组",
        id="agent/help-one-command",
    ),
    pytest.param(
        "agent/help",
        {"commands": list(COMMANDS.values()), "command": COMMANDS["kb"]},
        "kb search 关键词 | kb draft HD-1 | kb publish 草稿编号\n"
        "  搜索知识库文章；根据已解决的工单起草文章；发布草稿（限组长）",
        id="agent/help-kb",
    ),
    pytest.param(
        "agent/kb_results",
        {"query": "vpn 断线 日志", "hits": HITS},
        "与“vpn 断线 日志”相关的文章：\n"
        "  0.87  agent-vpn-log-collection  Collecting VPN client logs for an escalation\n"
        "  0.64  vpn-connection-drops  VPN keeps disconnecting\n"
        "  0.51  zh-home-wifi-slow  家里 Wi-Fi 慢或不稳定",
        id="agent/kb_results",
    ),
    pytest.param(
        "agent/kb_results",
        {"query": "打印机卡纸", "hits": []},
        "没有找到能很好地回答“打印机卡纸”的文章。",
        id="agent/kb_results-none",
    ),
    pytest.param(
        "agent/kb_draft",
        {"draft": KB_DRAFT},
        "草稿 vpn-hd-12（类别：network），根据已解决的工单起草：\n"
        "# VPN 每隔几分钟就断开\n"
        "\n"
        "## What this looks like\n"
        "\n"
        "VPN 每隔几分钟就断开，重新连接也没用\n"
        "\n"
        "Already tried without success: 重新安装客户端.\n"
        "\n"
        "## Cause\n"
        "\n"
        "To be described by the reviewing lead.\n"
        "\n"
        "## What fixed it\n"
        "\n"
        "供应商更换了网关证书\n"
        "\n"
        "## When to contact IT\n"
        "\n"
        "If this does not help, tell the helpdesk what you tried.\n"
        "\n"
        "组长可以发送“kb publish vpn-hd-12”发布。",
        id="agent/kb_draft",
    ),
    pytest.param(
        "agent/kb_published",
        {"article": PUBLISHED},
        "已发布 vpn-hd-12，文件为 kb/articles/vpn-hd-12.md；现在搜索就能找到它。",
        id="agent/kb_published",
    ),
    pytest.param(
        "agent/mine",
        {"tickets": [CLAIMED, WAITING_ON_MEI, WAITING_ON_ACME]},
        "您负责的工单：\n"
        "  HD-12  P2  处理中  VPN 每隔几分钟就断开\n"
        "  HD-12  P2  等待提交人回复  VPN 每隔几分钟就断开\n"
        "  HD-12  P2  等待供应商  VPN 每隔几分钟就断开",
        id="agent/mine",
    ),
    pytest.param(
        "agent/mine",
        {"tickets": []},
        "您目前没有负责的工单。发送“queue”查看等待处理的工单。",
        id="agent/mine-empty",
    ),
    pytest.param(
        "agent/noted",
        {"ticket": CLAIMED},
        "已为 HD-12 添加内部备注，提交人看不到。",
        id="agent/noted",
    ),
    pytest.param(
        "agent/priority",
        {"ticket": _ticket("HD-12", priority="P1", status="in_progress")},
        "HD-12 的优先级已改为 P1（紧急）。",
        id="agent/priority",
    ),
    pytest.param(
        "agent/queue",
        {"groups": ["network", "service-desk"], "tickets": QUEUE, "now": NOW},
        "network、service-desk 队列中未分配的工单，最紧急的在前：\n"
        "  HD-14  P1  已等待 45分钟  【service-desk】  财务系统无法登录\n"
        "  HD-12  P2  已等待 3小时05分  【service-desk】  VPN 每隔几分钟就断开\n"
        "  HD-7  P3  已等待 1天19小时  【network】  新员工需要开通邮箱\n"
        "发送“claim”加工单号（例如“claim HD-14”）即可接手。",
        id="agent/queue",
    ),
    pytest.param(
        "agent/queue",
        {"groups": ["network"], "tickets": [], "now": NOW},
        "network 队列中没有未分配的工单。",
        id="agent/queue-empty",
    ),
    pytest.param(
        "agent/queue",
        {"groups": [], "tickets": [], "now": NOW},
        "您所在的组中没有未分配的工单。",
        id="agent/queue-no-groups",
    ),
    pytest.param(
        "agent/reopened",
        {"ticket": CLAIMED},
        "HD-12 已重新打开（处理中）。",
        id="agent/reopened",
    ),
    pytest.param(
        "agent/replied", {"ticket": CLAIMED}, "已发送给 HD-12 的提交人。", id="agent/replied"
    ),
    pytest.param(
        "agent/resolved",
        {"ticket": _ticket("HD-12", status="resolved", assignee_id=SAM)},
        "HD-12 已解决，已请提交人确认问题是否修复。",
        id="agent/resolved",
    ),
    pytest.param(
        "agent/show",
        {"ticket": AGENT_VIEW, "events": AGENT_HISTORY, "names": AGENT_NAMES},
        "HD-12：VPN 每隔几分钟就断开\n"
        "  状态：已受理    优先级：P1（紧急）    处理组：network\n"
        "  提交人：Mei Chen    处理人：未分配\n"
        "  问题描述：VPN 每隔几分钟就断开，重新连接也没用\n"
        "  开始时间：昨天下午    设备：VPN    已尝试：重新安装客户端\n"
        "  影响范围：我的团队    紧急程度：无法工作\n"
        "  供应商：Acme Networks（对方编号 AC-5531）\n"
        "  解决方案：供应商更换了网关证书\n"
        "历史记录：\n"
        "  12月03日 09:30  Mei Chen 创建了工单（P2，service-desk）\n"
        "  12月03日 09:30  已从 Mei Chen 的消息中删除凭据\n"
        "  12月03日 09:31  服务台：处理人由“未分配”变为“Sam Okafor”\n"
        "  12月03日 09:31  服务台：状态由“新建”变为“已受理”\n"
        "  12月03日 10:05  Sam Okafor：状态由“已受理”变为“处理中”\n"
        "  12月03日 10:10  Sam Okafor 添加了内部备注：可能是网关证书过期\n"
        "  12月03日 10:12  Sam Okafor：状态由“处理中”变为“等待提交人回复”"
        "（请问您用的是哪个版本的客户端？）\n"
        "  12月03日 10:12  Sam Okafor：请问您用的是哪个版本的客户端？\n"
        "  12月03日 10:30  Mei Chen：5.1.2\n"
        "  12月03日 10:30  Mei Chen：状态由“等待提交人回复”变为“处理中”\n"
        "  12月03日 11:00  Priya Nair：优先级由“P2”变为“P1”（整个财务部都受影响）\n"
        "  12月03日 11:20  Sam Okafor：状态由“处理中”变为“等待供应商”（Acme Networks）\n"
        "  12月03日 11:20  Sam Okafor：等待供应商 Acme Networks 处理（对方编号 AC-5531）\n"
        "  12月03日 14:00  Sam Okafor：状态由“等待供应商”变为“已解决”（供应商更换了网关证书）\n"
        "  12月03日 15:15  Mei Chen：状态由“已解决”变为“处理中”（提交人反馈问题仍未解决）\n"
        "  12月03日 15:15  Mei Chen：下午又断了两次\n"
        "  12月03日 15:40  Sam Okafor：状态由“处理中”变为“已受理”（需要网络组排查）\n"
        "  12月03日 15:40  Sam Okafor：处理组由“service-desk”变为“network”（需要网络组排查）\n"
        "  12月03日 15:40  Sam Okafor：处理人由“Sam Okafor”变为“未分配”\n"
        "  12月03日 16:00  服务台：类别由“无”变为“network”",
        id="agent/show",
    ),
    pytest.param(
        "agent/show",
        {
            "ticket": BARE_VIEW,
            "events": [
                _event("created", _at(3, 1, 30), after={"status": "new", "priority": "P4"}),
                _event(
                    "field",
                    _at(3, 1, 45),
                    SAM,
                    field="vendor",
                    before=None,
                    after={"vendor": "Acme Networks", "ref": None},
                ),
            ],
            "names": {SAM: "Sam Okafor"},
        },
        "HD-9：打印机卡纸\n"
        "  状态：新建    优先级：P4（低）    处理组：-\n"
        "  提交人：?    处理人：未分配\n"
        "  问题描述：打印机卡纸\n"
        "  开始时间：不清楚    设备：打印机    已尝试：还没有尝试过\n"
        "  影响范围：只有我    紧急程度：能工作，但有些困难\n"
        "历史记录：\n"
        "  12月03日 09:30  ? 创建了工单（P4，未分组）\n"
        "  12月03日 09:45  Sam Okafor：等待供应商 Acme Networks 处理",
        id="agent/show-bare",
    ),
    pytest.param(
        "agent/show",
        {
            "ticket": _ticket("HD-12", status="closed", assignee_id=SAM, group_name="network"),
            "events": [
                AGENT_HISTORY[0],
                _event("sla", _at(3, 2, 0), None, field="response", note="response target missed"),
                _event(
                    "sla",
                    _at(4, 1, 30),
                    None,
                    field="resolution",
                    note="resolution target missed",
                ),
                _event(
                    "status",
                    _at(7, 1, 0),
                    None,
                    field="status",
                    before="resolved",
                    after="closed",
                    note="closed automatically, not confirmed",
                ),
            ],
            "names": AGENT_NAMES,
        },
        "HD-12：VPN 每隔几分钟就断开\n"
        "  状态：已关闭    优先级：P2（高）    处理组：network\n"
        "  提交人：Mei Chen    处理人：Sam Okafor\n"
        "  问题描述：VPN 每隔几分钟就断开，重新连接也没用\n"
        "  开始时间：-    设备：-    已尝试：-\n"
        "  影响范围：我的团队    紧急程度：无法工作\n"
        "历史记录：\n"
        "  12月03日 09:30  Mei Chen 创建了工单（P2，service-desk）\n"
        "  12月03日 10:00  服务台：已超过首次响应时限\n"
        "  12月04日 09:30  服务台：已超过解决时限\n"
        "  12月07日 09:00  服务台：状态由“已解决”变为“已关闭”（提交人未确认，已自动关闭）",
        id="agent/show-service-levels",
    ),
    pytest.param(
        "agent/suggest",
        {"guess": "claim HD-12"},
        "我不认识这个命令。您是想发送“claim HD-12”吗？发送“help”查看命令列表。",
        id="agent/suggest",
    ),
    pytest.param(
        "agent/waiting",
        {"ticket": WAITING_ON_MEI, "on": "user"},
        "HD-12 现在等待提交人回复，对方的下一条消息会添加到这张工单。",
        id="agent/waiting",
    ),
    pytest.param(
        "agent/waiting",
        {"ticket": WAITING_ON_ACME, "on": "vendor"},
        "HD-12 现在等待 Acme Networks 处理（对方编号 AC-5531），"
        "发给对方联系人的消息已排入发送队列。",
        id="agent/waiting-vendor",
    ),
    pytest.param(
        "agent/waiting",
        {"ticket": _ticket("HD-12", status="waiting_on_vendor", vendor="Acme"), "on": "vendor"},
        "HD-12 现在等待 Acme 处理，发给对方联系人的消息已排入发送队列。",
        id="agent/waiting-vendor-no-ref",
    ),
    # Messages queued in the outbox: plain values, as summary() and each change build them.
    pytest.param(
        "notify/answered",
        {**SUMMARY, "requester": "Mei Chen", "text": "5.1.2，昨天刚更新的"},
        "Mei Chen 回复了 HD-12（VPN 每隔几分钟就断开）：\n  5.1.2，昨天刚更新的",
        id="notify/answered",
    ),
    pytest.param(
        "notify/assigned",
        {**SUMMARY, "status": "triaged", "agent": "Sam Okafor", "articles": SUGGESTED},
        "HD-12 已分配给您：P2  VPN 每隔几分钟就断开\n"
        "可能有帮助的文章：《VPN keeps disconnecting》（vpn-connection-drops）；"
        "《Collecting VPN client logs for an escalation》（agent-vpn-log-collection）；"
        "《家里 Wi-Fi 慢或不稳定》（zh-home-wifi-slow）",
        id="notify/assigned",
    ),
    pytest.param(
        "notify/assigned",
        {**SUMMARY, "status": "triaged", "agent": "Sam Okafor", "articles": []},
        "HD-12 已分配给您：P2  VPN 每隔几分钟就断开",
        id="notify/assigned-no-articles",
    ),
    # Queued in the outbox before the knowledge base: no articles in the context at all.
    pytest.param(
        "notify/assigned",
        {**SUMMARY, "status": "triaged", "agent": "Sam Okafor"},
        "HD-12 已分配给您：P2  VPN 每隔几分钟就断开",
        id="notify/assigned-queued-before-articles",
    ),
    pytest.param(
        "notify/cancelled",
        {**SUMMARY, "status": "cancelled", "agent": "Sam Okafor", "reason": "与 HD-10 重复"},
        "您的工单 HD-12（VPN 每隔几分钟就断开）已被 Sam Okafor 取消：与 HD-10 重复\n"
        "如果问题仍然存在，请告诉我，我会为您新建一张工单。",
        id="notify/cancelled",
    ),
    pytest.param(
        "notify/commented",
        {**SUMMARY, "requester": "Mei Chen", "text": "刚才又断了一次"},
        "Mei Chen 为 HD-12（VPN 每隔几分钟就断开）补充了内容：\n  刚才又断了一次",
        id="notify/commented",
    ),
    pytest.param(
        "notify/confirmed",
        {**SUMMARY, "status": "closed", "requester": "Mei Chen"},
        "Mei Chen 已确认问题修复，HD-12（VPN 每隔几分钟就断开）已关闭。",
        id="notify/confirmed",
    ),
    pytest.param(
        "notify/escalated",
        {
            **SUMMARY,
            "status": "triaged",
            "group": "network",
            "agent": "Sam Okafor",
            "reason": "需要网络组排查",
        },
        "您的工单 HD-12（VPN 每隔几分钟就断开）已转交给我们的 network 专家组，"
        "接下来将由他们继续处理。",
        id="notify/escalated",
    ),
    pytest.param(
        "notify/escalated_from_you",
        {
            **SUMMARY,
            "status": "triaged",
            "group": "network",
            "agent": "Priya Nair",
            "reason": "需要网络组排查",
        },
        "Priya Nair 已将您负责的工单 HD-12（VPN 每隔几分钟就断开）升级到 network：需要网络组排查\n"
        "工单解决后，您会收到通知。",
        id="notify/escalated_from_you",
    ),
    pytest.param(
        "notify/escalated_to_group",
        {
            **SUMMARY,
            "status": "triaged",
            "group": "network",
            "agent": "Sam Okafor",
            "reason": "需要网络组排查",
        },
        "Sam Okafor 将工单升级到 network：HD-12 P2  VPN 每隔几分钟就断开\n"
        "原因：需要网络组排查\n"
        "发送“claim HD-12”即可接手。",
        id="notify/escalated_to_group",
    ),
    pytest.param(
        "notify/queued",
        {**SUMMARY, "status": "new", "articles": SUGGESTED[:1]},
        "service-desk 队列有新工单：HD-12 P2  VPN 每隔几分钟就断开\n"
        "可能有帮助的文章：《VPN keeps disconnecting》（vpn-connection-drops）\n"
        "发送“claim HD-12”即可接手。",
        id="notify/queued",
    ),
    pytest.param(
        "notify/queued",
        {**SUMMARY, "status": "new", "articles": []},
        "service-desk 队列有新工单：HD-12 P2  VPN 每隔几分钟就断开\n发送“claim HD-12”即可接手。",
        id="notify/queued-no-articles",
    ),
    pytest.param(
        "notify/queued",
        {**SUMMARY, "status": "new"},
        "service-desk 队列有新工单：HD-12 P2  VPN 每隔几分钟就断开\n发送“claim HD-12”即可接手。",
        id="notify/queued-before-articles",
    ),
    pytest.param(
        "notify/reopened",
        {**SUMMARY, "agent": "Sam Okafor", "reason": "上次的修复没有生效"},
        "您的工单 HD-12（VPN 每隔几分钟就断开）已被 Sam Okafor 重新打开：上次的修复没有生效",
        id="notify/reopened",
    ),
    pytest.param(
        "notify/reply",
        {**SUMMARY, "agent": "Sam Okafor", "text": "请重启电脑后再试一次"},
        "Sam Okafor 就 HD-12（VPN 每隔几分钟就断开）回复您：\n"
        "  请重启电脑后再试一次\n"
        "如需回复，直接在这里发送即可。",
        id="notify/reply",
    ),
    pytest.param(
        "notify/resolved",
        {
            **SUMMARY,
            "status": "resolved",
            "agent": "Sam Okafor",
            "resolution": "供应商更换了网关证书",
        },
        "Sam Okafor 已解决您的工单 HD-12（VPN 每隔几分钟就断开）：\n"
        "  供应商更换了网关证书\n"
        "问题修复了吗？",
        id="notify/resolved",
    ),
    pytest.param(
        "notify/resolved_for_agent",
        {
            **SUMMARY,
            "status": "resolved",
            "agent": "Priya Nair",
            "resolution": "供应商更换了网关证书",
        },
        "您处理过的 HD-12（VPN 每隔几分钟就断开）已由 Priya Nair 解决：供应商更换了网关证书",
        id="notify/resolved_for_agent",
    ),
    pytest.param(
        "notify/still_broken",
        {**SUMMARY, "requester": "Mei Chen", "text": "下午又断了两次"},
        "Mei Chen 反馈 HD-12（VPN 每隔几分钟就断开）的问题仍未解决，工单已重新打开：\n"
        "  下午又断了两次",
        id="notify/still_broken",
    ),
    pytest.param(
        "notify/taken",
        {**SUMMARY, "agent": "Sam Okafor"},
        "好消息：Sam Okafor 已开始处理您的工单 HD-12（VPN 每隔几分钟就断开）。",
        id="notify/taken",
    ),
    pytest.param(
        "notify/waiting_on_vendor",
        VENDOR_REQUEST,
        "您的工单 HD-12（VPN 每隔几分钟就断开）正在等待 Acme Networks 处理；"
        "我们已联系对方，收到回复后会通知您。",
        id="notify/waiting_on_vendor",
    ),
    pytest.param(
        "notify/waiting_on_you",
        {
            **SUMMARY,
            "status": "waiting_on_user",
            "agent": "Sam Okafor",
            "text": "请问您用的是哪个版本的客户端？",
        },
        "Sam Okafor 需要您提供一些信息，才能继续处理 HD-12（VPN 每隔几分钟就断开）：\n"
        "  请问您用的是哪个版本的客户端？\n"
        "直接在这里回复即可，您的回答会添加到工单中。",
        id="notify/waiting_on_you",
    ),
    pytest.param(
        "notify/waiting_on_you",
        {**SUMMARY, "status": "waiting_on_user", "agent": "Sam Okafor", "text": ""},
        "Sam Okafor 需要您提供一些信息，才能继续处理 HD-12（VPN 每隔几分钟就断开）。\n"
        "直接在这里回复即可，您的回答会添加到工单中。",
        id="notify/waiting_on_you-no-question",
    ),
    # What the sweeps queue: service-level alerts, progress messages, reminders and polls.
    pytest.param(
        "notify/p1_opened",
        {
            **SUMMARY,
            "number": "HD-14",
            "title": "财务系统无法登录",
            "priority": "P1",
            "status": "new",
        },
        "新的 P1 工单：HD-14  财务系统无法登录（处理组 service-desk）。",
        id="notify/p1_opened",
    ),
    pytest.param(
        "notify/sla_warning",
        {**SLA_CHECK, "target": "resolution", "due": "2026-12-03T09:30:00+00:00"},
        "HD-12 P2（VPN 每隔几分钟就断开）的解决时限将于 12月03日 17:30 到期。",
        id="notify/sla_warning",
    ),
    pytest.param(
        "notify/sla_breach",
        SLA_CHECK,
        "已超时：HD-12 P2（VPN 每隔几分钟就断开）的首次响应时限已于 12月03日 10:00 到期。"
        "处理人：Sam Okafor，处理组：service-desk。",
        id="notify/sla_breach",
    ),
    pytest.param(
        "notify/sla_breach",
        {**SLA_CHECK, "status": "new", "holder": ""},
        "已超时：HD-12 P2（VPN 每隔几分钟就断开）的首次响应时限已于 12月03日 10:00 到期。"
        "处理人：未分配，处理组：service-desk。",
        id="notify/sla_breach-nobody",
    ),
    pytest.param(
        "notify/sla_management",
        {**SLA_CHECK, "holder": ""},
        "持续超时：HD-12 P2（VPN 每隔几分钟就断开）的首次响应时限已于 12月03日 10:00 到期，"
        "至今仍未完成。处理人：未分配，处理组：service-desk。",
        id="notify/sla_management",
    ),
    pytest.param(
        "notify/progress",
        {**SUMMARY, "holder": "Sam Okafor"},
        "您的工单 HD-12（VPN 每隔几分钟就断开）的最新情况：目前状态为“处理中”，"
        "由 Sam Okafor 负责。我们一直在跟进，一有进展就会通知您。",
        id="notify/progress",
    ),
    pytest.param(
        "notify/progress",
        {**SUMMARY, "status": "triaged", "holder": ""},
        "您的工单 HD-12（VPN 每隔几分钟就断开）的最新情况：目前状态为“已受理”。"
        "我们一直在跟进，一有进展就会通知您。",
        id="notify/progress-unassigned",
    ),
    pytest.param(
        "notify/delivery_failed",
        {
            "channel": "telegram",
            "address": "123456",
            "message_template": "notify/reply",
            "error": "chat not found",
            "key": "reply:HD-12:40:7",
        },
        "一条消息未能通过 telegram 发送给 123456（notify/reply）：chat not found\n"
        "多次尝试后已放弃；消息键 reply:HD-12:40:7。",
        id="notify/delivery_failed",
    ),
    pytest.param(
        "notify/nudge",
        {**SUMMARY, "holder": "Sam Okafor"},
        "HD-12 P2（VPN 每隔几分钟就断开）已有一段时间没有公开更新，"
        "系统刚刚向提交人发送了一条进度通知。",
        id="notify/nudge",
    ),
    pytest.param(
        "notify/confirm_reminder",
        {**SUMMARY, "status": "resolved", "resolution": "供应商更换了网关证书"},
        "提醒一下：您的工单 HD-12（VPN 每隔几分钟就断开）已解决，解决方案：供应商更换了网关证书\n"
        "问题修复了吗？如果一直没有回复，工单将在几天后自动关闭。",
        id="notify/confirm_reminder",
    ),
    pytest.param(
        "notify/confirm_reminder",
        {**SUMMARY, "status": "resolved", "resolution": ""},
        "提醒一下：您的工单 HD-12（VPN 每隔几分钟就断开）已解决。\n"
        "问题修复了吗？如果一直没有回复，工单将在几天后自动关闭。",
        id="notify/confirm_reminder-no-resolution",
    ),
    pytest.param(
        "notify/auto_closed",
        {**SUMMARY, "status": "closed"},
        "您的工单 HD-12（VPN 每隔几分钟就断开）已解决，我们也没有收到您的其他反馈，"
        "所以工单现已关闭。如果问题再次出现，直接告诉我就好。",
        id="notify/auto_closed",
    ),
    pytest.param(
        "notify/poll",
        {**SUMMARY, "status": "closed"},
        "您的工单 HD-12（VPN 每隔几分钟就断开）已关闭。您对这次的处理有多满意？",
        id="notify/poll",
    ),
    # The requester's side: confirming a fix, and answering a ticket that waits on them.
    pytest.param(
        "fix/ask_why",
        {"number": "HD-12"},
        "很抱歉问题还没有解决。HD-12 还有哪里不对？您的描述会直接转给负责修复的同事。",
        id="fix/ask_why",
    ),
    pytest.param(
        "fix/cancelled",
        {"number": "HD-12"},
        "好的，HD-12 暂时保持已解决状态。您仍然可以发送“comment HD-12 ...”补充信息。",
        id="fix/cancelled",
    ),
    pytest.param(
        "fix/closed",
        {"number": "HD-12"},
        "很高兴问题已经解决！HD-12 已关闭，感谢您的确认。",
        id="fix/closed",
    ),
    pytest.param(
        "fix/reopened",
        {"number": "HD-12"},
        "HD-12 已重新打开，仍由之前的同事处理；对方已收到您的消息。",
        id="fix/reopened",
    ),
    pytest.param(
        "answer/added",
        {"number": "HD-12"},
        "谢谢，我已将您的回复添加到 HD-12，并转给了负责的同事。",
        id="answer/added",
    ),
    pytest.param(
        "answer/cancelled",
        {"text": "5.1.2", "masked": [], "choices": ["HD-12", "HD-9", "new"]},
        "好的，这条消息我没有转发。",
        id="answer/cancelled",
    ),
    pytest.param(
        "answer/which",
        {},
        "您有几张工单正在等待您的回复。这条消息是关于哪一张的？",
        id="answer/which",
    ),
    pytest.param(
        "poll/ask_comment",
        {},
        "谢谢！您还有什么想补充的吗？（没有的话，选择“没有要补充的”即可）",
        id="poll/ask_comment",
    ),
    pytest.param("poll/thanks", {}, "感谢您的反馈。", id="poll/thanks"),
    pytest.param(
        "poll/cancelled", {"number": "HD-12", "rating": 4}, "感谢您的评分。", id="poll/cancelled"
    ),
    # The e-mail to a vendor's contact.
    pytest.param(
        "vendor/request",
        VENDOR_REQUEST,
        "Acme Networks 您好：\n"
        "\n"
        "我们的工单 HD-12 需要贵方协助（合同：ACME-2026-017），贵方编号为 AC-5531。\n"
        "\n"
        "VPN 每隔几分钟就断开\n"
        "VPN 每隔几分钟就断开，重新连接也没用\n"
        "\n"
        "请将回复发送至 sam@example.com。\n"
        "IT 服务台 Sam Okafor",
        id="vendor/request",
    ),
    pytest.param(
        "vendor/request",
        {**VENDOR_REQUEST, "contract": "", "their_ref": ""},
        "Acme Networks 您好：\n"
        "\n"
        "我们的工单 HD-12 需要贵方协助。\n"
        "\n"
        "VPN 每隔几分钟就断开\n"
        "VPN 每隔几分钟就断开，重新连接也没用\n"
        "\n"
        "请将回复发送至 sam@example.com。\n"
        "IT 服务台 Sam Okafor",
        id="vendor/request-no-contract",
    ),
]


def _templates(root: Path) -> set[str]:
    return {path.relative_to(root).as_posix() for path in root.rglob("*.j2")}


def _keys(data: dict[str, Any], prefix: str = "") -> set[str]:
    keys: set[str] = set()
    for key, value in data.items():
        name = f"{prefix}{key}"
        keys |= _keys(value, f"{name}.") if isinstance(value, dict) else {name}
    return keys


def _labels(language: str) -> dict[str, Any]:
    path = TEMPLATES / language / "labels.yaml"
    loaded: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return loaded


def test_every_english_template_has_a_chinese_one() -> None:
    english = _templates(ENGLISH)
    chinese = _templates(CHINESE)

    assert sorted(english - chinese) == []
    assert chinese - english == CHINESE_ONLY


def test_every_reply_template_has_a_case() -> None:
    replies = {name.removesuffix(".j2") for name in _templates(ENGLISH)}
    replies = {name for name in replies if not Path(name).name.startswith("_")}

    assert {case.values[0] for case in CASES} == replies


@pytest.mark.parametrize("name", sorted(_templates(CHINESE)))
def test_chinese_templates_include_only_chinese_partials(name: str) -> None:
    source = (CHINESE / name).read_text(encoding="utf-8")

    for included in INCLUDED.findall(source):
        assert included.startswith("zh/plain/"), included
        assert (TEMPLATES / included).is_file(), included


@pytest.mark.parametrize(("template", "context", "expected"), CASES)
def test_the_chinese_template_is_chosen(
    template: str, context: dict[str, Any], expected: str
) -> None:
    names = [f"{language}/plain/{template}.j2" for language in ("zh", "en")]

    chosen = Renderer().environment.select_template(names)

    assert chosen.name == f"zh/plain/{template}.j2"


@pytest.mark.parametrize(("template", "context", "expected"), CASES)
def test_each_reply_reads_in_chinese(
    template: str, context: dict[str, Any], expected: str
) -> None:
    rendered = Renderer().render(say(template, **context), "zh", TIME_ZONE)

    assert rendered.text == expected
    assert HAN.search(rendered.text)


def test_the_labels_have_exactly_the_english_keys() -> None:
    assert sorted(_keys(_labels("zh"))) == sorted(_keys(_labels("en")))


def test_every_label_is_translated() -> None:
    english = _labels("en")
    t = Renderer().translator("zh")

    # A label made of its fields and punctuation alone (answer.ticket) has no words to translate.
    untranslated = [
        key
        for key in sorted(_keys(english))
        if not HAN.search(t(key)) and LATIN.search(FIELD.sub("", t(key)))
    ]

    assert untranslated == []


def test_the_labels_take_the_english_fields() -> None:
    english = Renderer().translator("en")
    chinese = Renderer().translator("zh")

    for key in sorted(_keys(_labels("en"))):
        assert sorted(FIELD.findall(chinese(key))) == sorted(FIELD.findall(english(key))), key


def test_buttons_are_labelled_in_chinese() -> None:
    buttons = tuple(Button("urgency", value, f"urgency.{value}") for value in Urgency)
    reply = Reply("intake/ask_urgency", {"retry": False, "noted": []}, buttons)

    rendered = Renderer().render(reply, "zh", TIME_ZONE)

    assert [button.label for button in rendered.buttons] == [
        "能正常工作",
        "能工作，但有些困难",
        "无法工作",
        "业务已停止",
    ]
    assert [button.value for button in rendered.buttons] == [member.value for member in Urgency]


def test_the_offer_buttons_are_labelled_in_chinese() -> None:
    # As flows.offer.offer_reply offers them: one per article, then "none of these".
    articles = [VPN_DROPS, HOME_WIFI]
    buttons = (
        *(
            Button(OFFER, article["id"], "kb.fixed", {"n": index})
            for index, article in enumerate(articles, 1)
        ),
        Button(OFFER, NONE, "kb.none"),
    )
    reply = Reply("kb/offer", {"articles": articles}, buttons)

    rendered = Renderer().render(reply, "zh", TIME_ZONE)

    assert [button.label for button in rendered.buttons] == [
        "第 1 篇解决了问题",
        "第 2 篇解决了问题",
        "都没有解决，创建工单",
    ]
    assert [button.value for button in rendered.buttons] == [
        "vpn-connection-drops",
        "home-wifi-slow",
        NONE,
    ]


def test_the_category_keeps_its_english_name() -> None:
    # As flows.intake asks it: the names are also what people type to choose one.
    categories = ("network", "system", "application", "security", "hardware", "access")
    buttons = tuple(
        Button("category", name, "category.name", {"name": name}) for name in categories
    )
    reply = Reply("intake/ask_category", {"retry": False}, buttons)

    rendered = Renderer().render(reply, "zh", TIME_ZONE)

    assert [button.label for button in rendered.buttons] == list(categories)
    assert [button.value for button in rendered.buttons] == list(categories)


def test_the_edit_buttons_name_the_category() -> None:
    buttons = tuple(Button("edit", field, f"field.{field}") for field in EDITABLE)

    rendered = Renderer().render(Reply("intake/ask_edit", buttons=buttons), "zh", TIME_ZONE)

    assert [button.label for button in rendered.buttons] == [
        "问题描述",
        "开始时间",
        "设备或应用",
        "已尝试的方法",
        "影响范围",
        "紧急程度",
        "类别",
    ]


def test_the_fix_buttons_are_labelled_in_chinese() -> None:
    # As the outbox stores them: desk.notify.button() dicts, read back into Buttons.
    stored = [button("fix", "HD-12:yes", "fix.yes"), button("fix", "HD-12:no", "fix.no")]
    context = {**SUMMARY, "agent": "Sam Okafor", "resolution": "供应商更换了网关证书"}
    reply = Reply("notify/resolved", context, tuple(Button(**item) for item in stored))

    rendered = Renderer().render(reply, "zh", TIME_ZONE)

    assert [button.label for button in rendered.buttons] == ["已修复", "仍未解决"]
    assert [button.value for button in rendered.buttons] == ["HD-12:yes", "HD-12:no"]


def test_the_poll_buttons_are_labelled_in_chinese() -> None:
    # As desk.sweeps queues the poll, and flows.requester.handle_poll offers to skip a comment.
    stored = [button("poll", f"HD-12:{n}", f"poll.{n}") for n in range(1, 6)]
    poll = Reply(
        "notify/poll", {**SUMMARY, "status": "closed"}, tuple(Button(**item) for item in stored)
    )
    skip = Reply("poll/ask_comment", buttons=(Button("poll_skip", "skip", "poll.skip"),))

    rendered = Renderer().render(poll, "zh", TIME_ZONE)
    skipped = Renderer().render(skip, "zh", TIME_ZONE)

    assert [button.label for button in rendered.buttons] == [
        "1（非常不满意）",
        "2",
        "3",
        "4",
        "5（非常满意）",
    ]
    assert [button.value for button in rendered.buttons] == [f"HD-12:{n}" for n in range(1, 6)]
    assert [button.label for button in skipped.buttons] == ["没有要补充的"]


def test_the_answer_buttons_are_labelled_in_chinese() -> None:
    # As flows.requester.answer_waiting offers them.
    tickets = [
        Button("answer", t.number, "answer.ticket", {"number": t.number, "title": t.title})
        for t in (WAITING_ON_MEI, WAITING)
    ]
    buttons = (*tickets, Button("answer", "new", "answer.new"))

    rendered = Renderer().render(Reply("answer/which", buttons=buttons), "zh", TIME_ZONE)

    assert [button.label for button in rendered.buttons] == [
        "HD-12：VPN 每隔几分钟就断开",
        "HD-9：打印机卡纸",
        "这是一个新问题",
    ]
    assert [button.value for button in rendered.buttons] == ["HD-12", "HD-9", "new"]


def test_the_agent_help_names_every_command_in_english() -> None:
    reply = say("agent/help", commands=list(COMMANDS.values()), command=None)

    lines = Renderer().render(reply, "zh", TIME_ZONE).text.splitlines()[1:-1]

    assert [line.split()[0] for line in lines] == list(COMMANDS)
    assert not any(command.summary in line for command in COMMANDS.values() for line in lines)
