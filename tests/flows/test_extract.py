"""Reading the details of a problem out of what a person typed, and their answers to questions."""

# Chinese messages are typed with full-width commas, and the tests keep them as typed.
# ruff: noqa: RUF001

from __future__ import annotations

import dataclasses

import pytest

from desk.vocabulary import Impact, Urgency
from flows.extract import Details, extract_details, parse_impact, parse_tried, parse_urgency


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        (
            "my vpn keeps dropping since this morning, already rebooted",
            Details(
                symptom="my vpn keeps dropping",
                since="this morning",
                device="VPN",
                tried="rebooted",
            ),
        ),
        (
            "Outlook won't open",
            Details(symptom="Outlook won't open", device="Outlook"),
        ),
        (
            "the whole team can't print since yesterday, we can't work",
            Details(
                symptom="the whole team can't print, we can't work",
                since="yesterday",
                device="printer",
                impact=Impact.TEAM,
                urgency=Urgency.BLOCKED,
            ),
        ),
        (
            "hey there, my outlook won\u2019t sync since monday. restarted twice. "
            "only me, not urgent",
            Details(
                symptom="my outlook won't sync. only me, not urgent",
                since="monday",
                device="Outlook",
                tried="restarted twice",
                impact=Impact.JUST_ME,
                urgency=Urgency.NORMAL,
            ),
        ),
        (
            "Zoom crashed 10 mins ago and won't reopen. nobody can work, customers affected",
            Details(
                symptom="Zoom crashed and won't reopen. nobody can work, customers affected",
                since="10 mins ago",
                device="Zoom",
                impact=Impact.COMPANY,
                urgency=Urgency.STOPPED,
            ),
        ),
        (
            "我的VPN从昨天开始一直断线，已经重启过",
            Details(symptom="我的VPN一直断线", since="昨天", device="VPN", tried="重启"),
        ),
        (
            "打印机打印不了，整个部门都用不了，业务停了",
            Details(
                symptom="打印机打印不了，整个部门都用不了，业务停了",
                device="printer",
                impact=Impact.DEPARTMENT,
                urgency=Urgency.STOPPED,
            ),
        ),
        (
            "Hi! Zoom keeps crashing. I already tried to reinstall it twice, but it still "
            "crashes. Started 3 days ago. Whole team is affected, we can barely work",
            Details(
                symptom="Zoom keeps crashing. Whole team is affected, we can barely work",
                since="3 days ago",
                device="Zoom",
                tried="reinstall it twice",
                impact=Impact.TEAM,
                urgency=Urgency.DIFFICULT,
            ),
        ),
        (
            "VPN从上周一开始就连不上，我已经重装过客户端了，整个组都受影响，很急",
            Details(
                symptom="VPN就连不上，整个组都受影响，很急",
                since="上周一",
                device="VPN",
                tried="重装过客户端",
                impact=Impact.TEAM,
                urgency=Urgency.BLOCKED,
            ),
        ),
        ("hi", Details()),
    ],
)
def test_a_first_message_gives_every_detail_it_holds(message: str, expected: Details) -> None:
    actual = extract_details(message)

    assert actual == expected


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("Outlook won't open", "Outlook won't open"),
        ("my vpn keeps dropping since this morning, already rebooted", "my vpn keeps dropping"),
        ("Hi team, outlook keeps asking for my password", "outlook keeps asking for my password"),
        ("good morning! my second monitor stopped working", "my second monitor stopped working"),
        ("It started yesterday: outlook freezes", "outlook freezes"),
        ("it's been happening since monday - outlook freezes", "outlook freezes"),
        ("since 2 days my vpn doesnt work", "my vpn doesnt work"),
        ("I rebooted my laptop and now teams won't start", "teams won't start"),
        ("Outlook crashes on attachments. I tried reinstalling", "Outlook crashes on attachments"),
        ("wifi has been dropping for 2 days now", "wifi has been dropping"),
        ("can't log in", "can't log in"),
        ("cant login to SAP", "cant login to SAP"),
        ("password expired", "password expired"),
        ("my account is locked", "my account is locked"),
        ("Hello, I forgot my password", "I forgot my password"),
        ("I need a new mouse", "I need a new mouse"),
        ("printer broken, pls help", "printer broken"),
        ("邮箱收不到邮件两天了，试过重新登录", "邮箱收不到邮件"),
        ("打印机坏了", "打印机坏了"),
        ("登录不上", "登录不上"),
    ],
)
def test_the_symptom_is_the_problem_statement(message: str, expected: str) -> None:
    actual = extract_details(message).symptom

    assert actual == expected


@pytest.mark.parametrize(
    "message",
    [
        "hi",
        "Hello",
        "hello!!",
        "help",
        "help me please",
        "I have a problem",
        "hi, quick question",
        "Problem",
        "thanks",
        "urgent!!!",
        "something is wrong",
        "it doesn't work",
        "login issue",
        "outlook",
        "my laptop",
        "since yesterday",
        "你好",
        "我有个问题",
        "帮帮我",
        "",
    ],
)
def test_a_greeting_or_a_vague_message_has_no_symptom(message: str) -> None:
    actual = extract_details(message).symptom

    assert actual is None


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("vpn drops since this morning", "this morning"),
        ("outlook keeps asking for my password since yesterday afternoon", "yesterday afternoon"),
        ("OneDrive stopped syncing last friday", "last friday"),
        ("teams crashes since Monday", "Monday"),
        ("can't connect to VPN from 9am", "9am"),
        ("it started 2 days ago", "2 days ago"),
        ("Excel crashes 2 hours ago", "2 hours ago"),
        ("wifi has been dropping for 2 days now", "2 days ago"),
        ("my laptop is super slow for the past week", "1 week ago"),
        ("since 2 days my vpn doesnt work", "2 days ago"),
        ("printer jammed last night", "last night"),
        ("Teams keeps freezing, it started after the update", "after the update"),
        ("my second monitor stopped working after the windows update", "after the windows update"),
        ("laptop battery drains fast since the last update", "the last update"),
        ("since the update my laptop won't connect to the dock", "the update"),
        ("Since i came back from holiday i cannot log in to SAP", "i came back from holiday"),
        ("dock not detecting monitors since Monday morning.", "Monday morning"),
        ("我的VPN从昨天开始一直断线", "昨天"),
        ("昨天开始outlook打不开", "昨天"),
        ("今天早上开始Outlook打不开", "今天早上"),
        ("两天前电脑就很慢", "两天前"),
        ("电脑开不了机，已经两天了", "两天前"),
        ("自从更新以后，Outlook就打不开了", "更新以后"),
        ("昨晚开始wifi连不上", "昨晚"),
    ],
)
def test_since_keeps_the_persons_words(message: str, expected: str) -> None:
    actual = extract_details(message).since

    assert actual == expected


@pytest.mark.parametrize(
    "message",
    [
        "cant connect to vpn from home",
        "emails from outlook bounce",
        "I need this fixed today",
        "my screen goes black for a few seconds",
        "outlook crashes after I log in",
        "I started a new job and have no laptop",
        "presentation tomorrow and my laptop won't boot",
        "Outlook won't open",
    ],
)
def test_no_since_where_no_time_is_named(message: str) -> None:
    actual = extract_details(message).since

    assert actual is None


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("my vpn keeps dropping", "VPN"),
        ("GlobalProtect won't connect", "VPN"),
        ("wifi keeps disconnecting", "Wi-Fi"),
        ("the Wi-Fi is slow", "Wi-Fi"),
        ("no internet at home", "Wi-Fi"),
        ("my labtop won't turn on", "laptop"),
        ("macbook fan is loud", "laptop"),
        ("second monitor flickers", "monitor"),
        ("docking station not detecting monitors", "dock"),
        ("headphones crackle in calls", "headset"),
        ("can't print", "printer"),
        ("printers on 3rd floor are offline", "printer"),
        ("Outlook won't open", "Outlook"),
        ("outlook calendar not syncing with my phone", "Outlook"),
        ("ms teams keeps freezing", "Teams"),
        ("sharepoint site won't load in chrome", "SharePoint"),
        ("google drive says access denied", "Google Drive"),
        ("the Word doc won't save", "Word"),
        ("word keeps crashing", "Word"),
        ("Edge is slow", "Edge"),
        ("edge case in salesforce reports", "Salesforce"),
        ("my mail is slow", "email"),
        ("e-mail not arriving", "email"),
        ("gmail asks me to sign in", "Gmail"),
        ("authenticator app lost after new phone", "MFA"),
        ("bitlocker recovery key screen on boot", "BitLocker"),
        ("windows 11 update stuck at 30%", "Windows"),
        ("mac os won't update", "macOS"),
        ("Screen sharing in zoom doesn't work", "Zoom"),
        ("other teams are affected too, jira is down", "Jira"),
        ("I rebooted my laptop and now teams won't start", "Teams"),
        ("我的VPN断了", "VPN"),
        ("打印机坏了", "printer"),
        ("电脑开不了机", "laptop"),
        ("笔记本很慢", "laptop"),
        ("邮箱收不到邮件", "email"),
        ("网络很慢", "Wi-Fi"),
        ("无线连不上", "Wi-Fi"),
        ("显示器没有信号", "monitor"),
    ],
)
def test_the_first_device_named_by_its_canonical_name(message: str, expected: str) -> None:
    actual = extract_details(message).device

    assert actual == expected


@pytest.mark.parametrize(
    "message",
    [
        "docker build fails",
        "in other words nothing works",
        "my password expired",
        "can't log in to the portal",
        "blue screen again",
        "I have a problem",
    ],
)
def test_no_device_where_none_is_named(message: str) -> None:
    actual = extract_details(message).device

    assert actual is None


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("vpn drops, already rebooted", "rebooted"),
        ("outlook crashes, I tried restarting", "restarting"),
        ("tried reinstalling and clearing cache", "reinstalling and clearing cache"),
        ("Outlook crashes. restarted twice", "restarted twice"),
        ("excel is slow, cleared the cache but no change", "cleared the cache"),
        ("I've already tried to reboot, no luck", "reboot"),
        ("Unplugged and replugged it. Still nothing", "Unplugged and replugged it"),
        ("wifi drops. restarted the router already", "restarted the router"),
        ("I rebooted my laptop and now teams won't start", "rebooted my laptop"),
        ("teams is frozen, haven't tried anything yet", "nothing yet"),
        ("vpn broken since today, tried nothing", "nothing yet"),
        ("已经重启过", "重启"),
        ("outlook打不开，试过重启", "重启"),
        ("邮箱收不到邮件，试过重新登录，还是不行", "重新登录"),
        ("电脑很慢，重启过了，还是不行", "重启"),
    ],
)
def test_tried_keeps_the_actions(message: str, expected: str) -> None:
    actual = extract_details(message).tried

    assert actual == expected


@pytest.mark.parametrize(
    "message",
    [
        "laptop keeps restarting",
        "The laptop restarted by itself",
        "it restarted on its own overnight",
        "电脑一直重启",
        "电脑自己重启了",
        "nothing works",
    ],
)
def test_a_restart_that_is_the_symptom_is_not_tried(message: str) -> None:
    actual = extract_details(message).tried

    assert actual is None


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("only my laptop has this", Impact.JUST_ME),
        ("vpn drops, just me as far as I know", Impact.JUST_ME),
        ("outlook is slow, everyone else is fine", Impact.JUST_ME),
        ("the whole team can't print", Impact.TEAM),
        ("my colleagues have the same issue", Impact.TEAM),
        ("it's not just me, others too", Impact.TEAM),
        ("everyone in finance can't open SAP", Impact.DEPARTMENT),
        ("everyone in IT is locked out", Impact.DEPARTMENT),
        ("the whole department lost the share drive", Impact.DEPARTMENT),
        ("nobody can log in to salesforce", Impact.COMPANY),
        ("everyone is getting this error", Impact.COMPANY),
        ("VPN只有我连不上", Impact.JUST_ME),
        ("我们组都打不开Jira", Impact.TEAM),
        ("全公司都上不了网", Impact.COMPANY),
    ],
)
def test_impact_named_in_a_message(message: str, expected: Impact) -> None:
    actual = extract_details(message).impact

    assert actual == expected


@pytest.mark.parametrize(
    "message",
    [
        "Outlook won't open",
        "emails to everyone bounce",
        "Hi everyone, my vpn keeps dropping",
        "all it does is crash",
        "all accounts are locked",
        "I can't share my screen with the client",
    ],
)
def test_no_impact_where_none_is_named(message: str) -> None:
    actual = extract_details(message).impact

    assert actual is None


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("outlook won't open, I can't work", Urgency.BLOCKED),
        ("URGENT: vpn down", Urgency.BLOCKED),
        ("excel is slow, annoying", Urgency.DIFFICULT),
        ("salesforce is slow, i can work but its annoying", Urgency.DIFFICULT),
        ("printer jammed, not urgent", Urgency.NORMAL),
        ("no rush, the mouse is just a bit laggy", Urgency.NORMAL),
        ("checkout is down, customers affected", Urgency.STOPPED),
        ("VPN连不上，不急", Urgency.NORMAL),
        ("电脑蓝屏了，无法工作", Urgency.BLOCKED),
    ],
)
def test_urgency_named_in_a_message(message: str, expected: Urgency) -> None:
    actual = extract_details(message).urgency

    assert actual == expected


@pytest.mark.parametrize("message", ["Outlook won't open", "my vpn keeps dropping", "打印机坏了"])
def test_no_urgency_where_none_is_named(message: str) -> None:
    actual = extract_details(message).urgency

    assert actual is None


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ("just me", Impact.JUST_ME),
        ("Only me", Impact.JUST_ME),
        ("me", Impact.JUST_ME),
        ("only my laptop", Impact.JUST_ME),
        ("i think just me", Impact.JUST_ME),
        ("me, everyone else is fine", Impact.JUST_ME),
        ("my team", Impact.TEAM),
        ("the team", Impact.TEAM),
        ("my colleagues", Impact.TEAM),
        ("me and my team", Impact.TEAM),
        ("not just me", Impact.TEAM),
        ("several people", Impact.TEAM),
        ("all of us", Impact.TEAM),
        ("everyone on my team", Impact.TEAM),
        ("whole department", Impact.DEPARTMENT),
        ("everyone in finance", Impact.DEPARTMENT),
        ("finance", Impact.DEPARTMENT),
        ("the whole sales team", Impact.DEPARTMENT),
        ("everyone", Impact.COMPANY),
        ("Everybody!", Impact.COMPANY),
        ("the whole company", Impact.COMPANY),
        ("all staff", Impact.COMPANY),
        ("company-wide", Impact.COMPANY),
        ("nobody can", Impact.COMPANY),
        ("只有我", Impact.JUST_ME),
        ("我们组", Impact.TEAM),
        ("整个部门", Impact.DEPARTMENT),
        ("全公司", Impact.COMPANY),
    ],
)
def test_parse_impact(answer: str, expected: Impact) -> None:
    actual = parse_impact(answer)

    assert actual == expected


@pytest.mark.parametrize("answer", ["1", "4", "no idea", "", "hmm", "yes"])
def test_parse_impact_without_an_answer(answer: str) -> None:
    actual = parse_impact(answer)

    assert actual is None


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ("can't work", Urgency.BLOCKED),
        ("I can\u2019t work", Urgency.BLOCKED),
        ("cannot work", Urgency.BLOCKED),
        ("can not work at all", Urgency.BLOCKED),
        ("we cant work", Urgency.BLOCKED),
        ("no, I can't", Urgency.BLOCKED),
        ("blocked", Urgency.BLOCKED),
        ("urgent", Urgency.BLOCKED),
        ("very urgent!!", Urgency.BLOCKED),
        ("business stopped", Urgency.STOPPED),
        ("production down", Urgency.STOPPED),
        ("customers affected", Urgency.STOPPED),
        ("nobody can work", Urgency.STOPPED),
        ("slow", Urgency.DIFFICULT),
        ("annoying", Urgency.DIFFICULT),
        ("I have a workaround", Urgency.DIFFICULT),
        ("with difficulty", Urgency.DIFFICULT),
        ("can't work properly", Urgency.DIFFICULT),
        ("not completely blocked", Urgency.DIFFICULT),
        ("kinda urgent", Urgency.DIFFICULT),
        ("can still work but slowly", Urgency.DIFFICULT),
        ("not urgent", Urgency.NORMAL),
        ("not that urgent", Urgency.NORMAL),
        ("whenever", Urgency.NORMAL),
        ("no rush", Urgency.NORMAL),
        ("can still work", Urgency.NORMAL),
        ("it's not blocking me", Urgency.NORMAL),
        ("it can wait", Urgency.NORMAL),
        ("normal", Urgency.NORMAL),
        ("无法工作", Urgency.BLOCKED),
        ("不能工作", Urgency.BLOCKED),
        ("业务停了", Urgency.STOPPED),
        ("停产", Urgency.STOPPED),
        ("不急", Urgency.NORMAL),
        ("有点慢", Urgency.DIFFICULT),
    ],
)
def test_parse_urgency(answer: str, expected: Urgency) -> None:
    actual = parse_urgency(answer)

    assert actual == expected


@pytest.mark.parametrize("answer", ["2", "yes", "", "hmm", "outlook"])
def test_parse_urgency_without_an_answer(answer: str) -> None:
    actual = parse_urgency(answer)

    assert actual is None


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ("nothing", "nothing yet"),
        ("no", "nothing yet"),
        ("Nope.", "nothing yet"),
        ("not yet, just noticed", "nothing yet"),
        ("Haven't tried anything yet", "nothing yet"),
        ("no idea", "nothing yet"),
        ("没有", "nothing yet"),
        ("没试过", "nothing yet"),
        ("rebooted", "rebooted"),
        ("I rebooted and cleared the cache", "rebooted and cleared the cache"),
        ("tried restarting", "restarting"),
        ("already tried reinstalling, no luck", "reinstalling"),
        ("I've restarted twice but it still drops", "restarted twice"),
        ("turned it off and on again", "turned it off and on again"),
        ("restart", "restart"),
        ("googled the error, no luck", "googled the error"),
        ("cleared cache, didn't help", "cleared cache"),
        ("nothing worked", "nothing worked"),
        ("试过重启，还是不行", "重启"),
        ("重启过了", "重启"),
    ],
)
def test_parse_tried(answer: str, expected: str) -> None:
    actual = parse_tried(answer)

    assert actual == expected


@pytest.mark.parametrize("answer", ["", "   "])
def test_parse_tried_without_an_answer(answer: str) -> None:
    actual = parse_tried(answer)

    assert actual is None


def test_details_cannot_be_changed() -> None:
    details = extract_details("Outlook won't open")

    with pytest.raises(dataclasses.FrozenInstanceError):
        details.device = "Teams"  # type: ignore[misc]
