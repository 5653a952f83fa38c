"""The phrases people use about an IT problem, compiled: who is affected and how urgent it
is, devices and applications, when it started, what was tried, and the filler around them.

English and Simplified Chinese side by side; `flows.extract` reads messages with them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TypeVar

from desk.vocabulary import Impact, Urgency


@dataclass(frozen=True)
class Clue:
    """A pattern whose `words` group, put into `template`, is what a clause contributes."""

    pattern: re.Pattern[str]
    template: str


Level = TypeVar("Level", Impact, Urgency)


# ASCII word boundaries let a Latin keyword end where Chinese text begins, as in "我的VPN断了".
_FLAGS = re.IGNORECASE | re.ASCII


def _word_set(words: str) -> frozenset[str]:
    """The words of a blank-separated list, as a set."""
    return frozenset(words.split())


def _clues(*entries: tuple[str, str]) -> tuple[Clue, ...]:
    """Compiled clues, each from a pattern and a template for its words."""
    return tuple(Clue(re.compile(pattern, _FLAGS), template) for pattern, template in entries)


def _phrases(
    *tables: Mapping[Level, tuple[str, ...]],
) -> tuple[tuple[re.Pattern[str], Level], ...]:
    """The phrase tables compiled, in order, each pattern with the level it stands for."""
    return tuple(
        (re.compile(pattern, _FLAGS), level)
        for table in tables
        for level, patterns in table.items()
        for pattern in patterns
    )


# Replacing one character by one keeps every position in the plain text valid in the original.
PLAIN = str.maketrans(
    {"\u2019": "'", "\u2018": "'", "`": "'", "\u00b4": "'", "\u3000": " ", "\u00a0": " "}
)

_CANT = r"(?:can'?t|can ?not|unable to|couldn'?t|could not)"

_DEPARTMENTS = (
    r"(?:finance|accounting|sales|marketing|hr|human resources|legal|engineering|support"
    r"|customer service|operations|ops|procurement|payroll|(?-i:IT)|r&d|research)"
)

_MESSAGE_IMPACT: Mapping[Impact, tuple[str, ...]] = {
    Impact.JUST_ME: (
        r"\b(?:just|only) (?:for |affects |affecting )?(?:me|myself|mine)\b",
        r"\b(?:just|only) (?:on )?my (?!team|colleagues|department|dept|group|company|whole)\w+",
        r"\b(?:nobody|no ?one) else\b",
        r"\bi'?m the only one\b|\bi am the only one\b|\bme alone\b",
        r"\bevery(?:one|body) else(?:'s| is| seems)? (?:fine|ok|okay|good|unaffected|working)\b",
        r"\bworks? (?:fine )?for every(?:one|body) else\b",
        r"\b(?:my |other )?(?:colleagues|coworkers|co-workers|teammates|others) (?:are|seem|look)"
        r"(?: to be)? (?:fine|ok|okay|unaffected)\b",
        r"只有我|就我|只是我|仅我|我一个人|只影响我|其他(?:同事|人)都?(?:正常|没问题|没事)",
    ),
    Impact.TEAM: (
        r"\b(?:my|our|the|whole|entire) (?:whole |entire )?(?:team|squad|group)\b(?! polic)",
        r"\b(?:all )?(?:my|our|some|several|a few|other|two|three|both) (?:colleagues|coworkers"
        r"|co-workers|teammates|team members)\b",
        r"\b(?:colleagues|coworkers|co-workers|teammates|others|other people) (?:too|as well"
        r"|also|have|are|can'?t|cannot)\b",
        r"\bnot (?:just|only) me\b",
        r"\b(?:several|a few|some|many|all|both|two|three) of us\b",
        r"\bevery(?:one|body) (?:in|on|from) (?:my|our|the) (?:team|group|squad)\b",
        r"我们组|我们团队|我们小组|整个组|整个团队|全组|组里|同事们?也|其他同事也|几个同事|我们几个",
    ),
    Impact.DEPARTMENT: (
        r"\b(?:the|our|my|whole|entire) (?:whole |entire )?(?:department|dept|division|floor)\b",
        rf"\bevery(?:one|body) (?:in|from) (?:the |our )?{_DEPARTMENTS}\b",
        rf"\b(?:all of|all|the whole|the entire|whole|entire) (?:the )?{_DEPARTMENTS}"
        r"(?: department| dept| team)?\b",
        rf"\b{_DEPARTMENTS} (?:department|dept)\b",
        r"\b(?:whole|entire) office\b|\bevery(?:one|body) in the office\b",
        r"整个部门|全部门|我们部门|部门(?:里|的人|所有人|都)|整个(?:财务|销售|市场|人事|法务|研发|客服|技术)部",
    ),
    Impact.COMPANY: (
        # A greeting or an address list names everyone without saying who is affected.
        r"(?<!to )(?<!with )(?<!from )(?<!cc )(?<!hi )(?<!hey )(?<!hello )(?<!you )"
        r"(?<!morning )\bevery(?:one|body)\b",
        r"\b(?:the |our )?(?:whole|entire) (?:company|org|organi[sz]ation|firm|business)\b",
        r"\ball (?:the )?(?:staff|employees|users|offices|colleagues)\b",
        r"\b(?:company|org|organi[sz]ation)[- ]?wide\b",
        r"\b(?:nobody|no ?one) (?:can|is able)\b",
        r"全公司|整个公司|公司所有人|所有人|大家都|全员|所有员工|所有同事",
    ),
}

# Words that answer "who is affected?" but would be too loose inside a longer message.
_ANSWER_IMPACT: Mapping[Impact, tuple[str, ...]] = {
    Impact.JUST_ME: (r"\b(?:me|myself|mine|just one|one person)\b", r"我自己|自己|^我$"),
    Impact.TEAM: (
        r"\b(?:me|i|myself) (?:and|&|\+|plus) (?!every)",
        r"\ball (?:my|our|the) (?:colleagues|coworkers|team)\b",
        r"\b(?:team|group|squad|colleagues|co-?workers|teammates|others|us)\b",
        r"\b(?:a few|several|some|many|multiple|a couple of|couple of|two|three|few) (?:people"
        r"|users|persons|colleagues)\b",
        r"我(?:和|跟|与)|组|团队|同事|我们",
    ),
    Impact.DEPARTMENT: (
        rf"\b(?:department|dept|division|{_DEPARTMENTS})\b",
        r"部门|(?:财务|销售|市场|人事|法务|研发|客服|技术)部",
    ),
    Impact.COMPANY: (
        r"\b(?:company|org|organi[sz]ation|all|everyone|everybody)\b",
        r"公司|大家|全部",
    ),
}

_MESSAGE_URGENCY: Mapping[Urgency, tuple[str, ...]] = {
    Urgency.STOPPED: (
        r"\bbusiness (?:is |has )?(?:stopped|halted|down|at a standstill)\b",
        r"\b(?:production|prod)(?: line)? (?:is |has )?(?:down|stopped|halted)\b",
        rf"\b(?:customers?|clients?) (?:are |is )?(?:affected|impacted|{_CANT})",
        r"\bcustomer[- ]facing\b",
        r"\b(?:nobody|no ?one|none of us) (?:can|is able to) (?:work|do (?:anything|their job))\b",
        r"\bevery(?:one|body) (?:is |'s )?(?:blocked|down|stuck)\b",
        r"\b(?:everything|all systems) (?:is |are )?down\b",
        r"\blosing (?:money|sales|revenue|orders|customers)\b",
        r"\b(?:shop|store|website|checkout) (?:is )?down\b",
        r"业务(?:停了|停止|中断|瘫痪|停摆)|停产|生产(?:停了|停止|中断)|客户(?:受影响|无法|不能|用不了)",
        r"影响客户|(?:所有人|大家|全公司)都?(?:无法|不能|没法)工作|系统瘫痪",
    ),
    Urgency.BLOCKED: (
        rf"\b{_CANT} (?:do )?(?:work|my job|any work|anything)\b",
        r"\b(?:completely |totally |fully )?blocked\b|\bblocking (?:me|us|my work|our work)\b",
        r"\bblocker\b|\basap\b|\bemergency\b|\b(?:high|top) priority\b|\bcritical\b",
        r"\b(?:very |really |super |extremely |quite |pretty )?urgent(?:ly)?\b",
        r"\b(?:i'?m|i am|we'?re|we are) (?:completely |totally )?stuck\b|\bdead in the water\b",
        r"无法工作|不能工作|没法工作|没办法工作|干不了活|没法干活|很急|非常急|特别急|紧急|急用|着急|急",
    ),
    Urgency.DIFFICULT: (
        r"\bslow(?:ly|er|ness)?\b|\bsluggish\b|\blaggy\b|\bannoy(?:ing|ance|ed)\b",
        r"\bwork[- ]?arounds?\b|\b(?:with |with some |with great |some )?difficult(?:y|ies)?\b",
        r"\bhard(?:er)? to work\b|\bbarely\b|\bpainful\b|\bfrustrating\b|\binconvenient\b",
        r"\b(?:kind of|kinda|somewhat|a bit|fairly|a little) urgent\b",
        r"\bnot (?:completely|totally|fully|entirely) blocked\b",
        rf"\b{_CANT} work (?:properly|normally|well|efficiently|as usual)\b",
        r"\bcan (?:still )?work,? but\b|\b(?:affects|affecting|slows down) my work\b",
        r"勉强|很慢|变慢|太慢|有点慢|慢|影响(?:工作|效率)|不太?方便|凑合|临时(?:办法|方案)|能用但",
        r"有点急|(?:不能|没法)正常工作",
    ),
    Urgency.NORMAL: (
        r"\b(?:not|isn'?t|is not|it'?s not|nothing) (?:that |very |super |really |too |so "
        r"|particularly |terribly )?urgent\b",
        r"\bno (?:rush|hurry|urgency)\b|\bnot in a (?:rush|hurry)\b|\bwhenever\b",
        r"\bwhen(?:ever)? you (?:can|have time|get a chance|get the chance|are free)\b",
        r"\b(?:it )?can wait\b|\blow priority\b|\bnot (?:a )?(?:blocker|blocking)\b",
        r"\bnot (?:really |actually )?blocked\b",
        r"\b(?:doesn'?t|does not|isn'?t|is not) (?:block|blocking|stop|stopping)"
        r" (?:me|us|my work)\b",
        r"\bcan (?:still )?work(?: normally| fine| ok| okay| as usual)?\b",
        r"\b(?:still )?able to work\b|\bcan still do my (?:job|work)\b",
        r"\bno impact\b|\bnot (?:a )?big deal\b|\bfyi\b|\bminor\b|\bcosmetic\b",
        r"不急|不着急|不紧急|不是很急|不太急|不用急|不赶|有空(?:再|的时候)|慢慢来",
        r"(?:可以|能)正常工作|还能工作|还可以工作|不影响(?:工作|使用)?|没(?:什么)?影响",
    ),
}

# Words that answer "how urgent is it, can you still work?" but are too loose in a message.
_ANSWER_URGENCY: Mapping[Urgency, tuple[str, ...]] = {
    Urgency.STOPPED: (r"\bstopped\b|\bhalted\b", r"停了|停摆"),
    Urgency.BLOCKED: (rf"^(?:no[,.]? )?(?:i |we )?{_CANT}\W*$", r"\bhigh\b", r"^不能|^不行"),
    Urgency.DIFFICULT: (r"\b(?:medium|somewhat|sort of|kind of|a bit|partly)\b", r"有点|一般"),
    Urgency.NORMAL: (r"\b(?:normal|normally|fine|low)\b", r"正常|^可以"),
}

_DEVICES: tuple[tuple[str, str], ...] = (
    ("VPN", r"vpn|globalprotect|global protect|anyconnect|forticlient|pulse secure|zscaler"),
    (
        "Wi-Fi",
        r"wi-?fi|wi fi|wireless|wlan|internet|network(?! drive| share| folder| printer| cable)"
        r"|网络|无线|网速",
    ),
    ("Ethernet", r"ethernet|lan cable|network cable|网线"),
    ("network drive", r"network (?:drive|share|folder)|shared (?:drive|folder)|file share|共享盘"),
    (
        "laptop",
        r"laptops?|lap ?tops?|labtop|notebook|macbook(?: pro| air)?|thinkpad|chromebook|computers?"
        r"|pcs?|mac|笔记本电脑|笔记本|电脑",
    ),
    ("desktop", r"desktops?|workstation|imac|台式机"),
    ("monitor", r"monitors?|moniter|external (?:screen|display)|screens?|displays?|显示器|屏幕"),
    ("dock", r"dock|docking station|usb-?c hub|扩展坞"),
    ("keyboard", r"keyboards?|keybord|键盘"),
    ("mouse", r"mouse|mice|鼠标"),
    ("headset", r"headsets?|headphones?|earphones?|earbuds|airpods|耳机"),
    ("webcam", r"webcam|web cam|camera|摄像头"),
    ("microphone", r"microphone|mic|麦克风|话筒"),
    ("printer", r"printers?|printing|print|打印机|打印"),
    ("scanner", r"scanners?|扫描仪"),
    ("phone", r"phones?|mobile|iphone|android|smartphone|cell ?phone|softphone|手机|电话"),
    ("Outlook", r"outlook|outlok|outllok"),
    ("Teams", r"(?:ms |microsoft )?teams"),
    ("Zoom", r"zoom"),
    ("Slack", r"slack"),
    ("Webex", r"webex"),
    ("Excel", r"excel|exel"),
    (
        "Word",
        r"(?:ms |microsoft )word|word (?:docs?|documents?|files?|app|application|templates?)"
        r"|(?-i:Word)|word(?= (?:keeps|won'?t|will not|doesn'?t|does not|is (?:not|slow|frozen"
        r"|crashing|stuck)|not|crashes|crashed|freezes|froze|hangs))",
    ),
    ("PowerPoint", r"power ?point|powerpont|ppt"),
    ("OneDrive", r"one ?drive"),
    ("SharePoint", r"share ?point"),
    ("Google Drive", r"google drive|gdrive"),
    ("Gmail", r"gmail"),
    ("Google Meet", r"google meet|gmeet"),
    ("Chrome", r"(?:google )?chrome"),
    ("Edge", r"(?:microsoft |ms )edge|edge browser|(?-i:Edge)"),
    ("Firefox", r"firefox"),
    ("Safari", r"safari"),
    ("SAP", r"sap"),
    ("Salesforce", r"salesforce|sfdc"),
    ("Jira", r"jira"),
    ("Confluence", r"confluence"),
    ("calendar", r"calendars?|日历"),
    ("email", r"e-?mails?|mails?|mailbox|inbox|邮箱|邮件"),
    (
        "MFA",
        r"mfa|2fa|two[- ]factor|multi[- ]factor|authenticator(?: app)?|okta verify|duo"
        r"|verification codes?|二次验证|验证码",
    ),
    ("password manager", r"password manager|1password|lastpass|bitwarden|keepass|密码管理器"),
    ("BitLocker", r"bit ?locker"),
    ("FileVault", r"file ?vault"),
    ("Windows", r"windows(?: 10| 11)?|win ?1[01]"),
    ("macOS", r"mac ?os(?: x)?|osx|os x"),
    ("Microsoft 365", r"office ?365|o365|m365|microsoft 365|ms office|microsoft office"),
    ("Remote Desktop", r"remote desktop|rdp"),
    ("Citrix", r"citrix"),
    ("intranet", r"intranet|内网"),
    ("Okta", r"okta"),
    ("Adobe Acrobat", r"acrobat|adobe reader|pdf reader"),
    ("GitHub", r"github"),
    ("GitLab", r"gitlab"),
    ("Dropbox", r"dropbox"),
    ("USB drive", r"usb (?:stick|drive|key)|thumb drive|flash drive|u盘"),
    ("charger", r"chargers?|power adapter|充电器"),
)

# Phrases that contain a device keyword but are not about that device.
NOT_DEVICES = re.compile(
    r"(?<![a-z0-9_])(?:screen ?shar(?:e|ed|ing)|screenshare|(?:log-?in|sign-?in|lock|home"
    r"|start|welcome|loading|splash|blue) screen|bsod|print ?screen|(?:other|all|both"
    r"|several|many|multiple|some|different|two|three|our) teams)(?![a-z0-9_])",
    _FLAGS,
)

_WEEKDAY = (
    r"(?:(?:mon|tues|wednes|thurs|fri|satur|sun)day|mon|tues?|weds?|thu|thur|thurs|fri|sat|sun)"
)
_PART_OF_DAY = r"(?:morning|afternoon|evening|night|lunch ?time|lunch|noon|midday)"
_COUNT = (
    r"(?:\d+|an?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|a few|few"
    r"|a couple(?: of)?|couple(?: of)?|several|half an?)"
)
_UNIT = r"(?:seconds?|secs?|minutes?|mins?|hours?|hrs?|h|days?|d|weeks?|wks?|months?|years?)"
_LONG_UNIT = r"(?:hours?|hrs?|days?|weeks?|wks?|months?)"
_AGO = rf"{_COUNT} ?{_UNIT} ago"
_CLOCK = r"(?:\d{1,2}(?:[:.]\d{2})? ?(?:am|pm|a\.m\.|p\.m\.)|\d{1,2}:\d{2}|noon|midday|midnight)"
_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
_DATE = (
    rf"(?:\d{{4}}-\d{{1,2}}-\d{{1,2}}|\d{{1,2}}[./]\d{{1,2}}(?:[./]\d{{2,4}})?"
    rf"|{_MONTH}\.? \d{{1,2}}(?:st|nd|rd|th)?|(?:the )?\d{{1,2}}(?:st|nd|rd|th)?(?: of)? {_MONTH})"
)
_AT_TIME = rf"(?: (?:at |around |about )?{_CLOCK}| (?:in the )?{_PART_OF_DAY})?"
_DAY = (
    rf"(?:today|tonight|yesterday|yday|the day before yesterday|the other day"
    rf"|(?:this|last|the) weekend|over the weekend|(?:this|last) week|last month|earlier today"
    rf"|(?:this|last) {_PART_OF_DAY}|(?:last |this past |this )?{_WEEKDAY})"
)
_TIME = (
    rf"(?:(?:early |late |about |around |approx(?:imately)? |roughly |~ ?)?(?:{_AGO}"
    rf"|{_DAY}{_AT_TIME}|{_CLOCK}(?: (?:today|yesterday|this morning))?|{_DATE}{_AT_TIME}))"
)
# Without "since" or "from" in front, only words that cannot mean anything but a past time.
_TIME_ALONE = (
    rf"(?:(?:early |late )?(?:{_AGO}|(?:this|last) {_PART_OF_DAY}|earlier today"
    rf"|yesterday{_AT_TIME}|the day before yesterday{_AT_TIME}|last {_WEEKDAY}{_AT_TIME}"
    rf"|{_WEEKDAY} {_PART_OF_DAY}"
    rf"|over the weekend))"
)
_AFTER_UPDATE = (
    r"after (?:(?:the|an?|my|our|this|last|latest|recent|last night'?s|yesterday'?s|today'?s) )*"
    r"(?!(?:i|we|you|it|they) )(?:[a-z0-9.]+ ){0,2}?(?:update|upgrade|patch|migration)s?"
)
_EVENT = (
    r"(?:update|upgrade|patch|migration|reboot|restart|reset|move|change|install(?:ation)?"
    r"|reinstall|outage|holidays?|vacation|break|trip|leave|laptop|computer|pc|phone)s?"
)
_DETERMINER = r"(?:the|an?|my|our|this|that|last|latest|yesterday'?s|today'?s)"
_PAST_VERB = r"(?:\w+ed|came|got|went|had|was|were|did|put|set|took|made|began|left|ran|broke)"
_CLAUSE_END = (
    r"(?=\s*(?:[,.;:!?()]|$)|\s+(?:and|but|so|already|tried|because|when|please|pls|which|now"
    r"|then|still|i|we|i'?ve|i have|we'?ve)\b)"
)
_PROBLEM_BEEN = (
    r"(?:(?:it|this|that|the (?:problem|issue)|problem|issue)(?:'s| has| had| is| was)? (?:been )?"
    r"(?:happening|going on|like this|the case) )?"
)
_IT_STARTED = (
    r"(?:(?:it|this|that|the (?:problem|issue|trouble)|problem|issue|all|which) (?:has |had "
    r"|only |first )?)?(?:started|began|begun|starting|beginning)(?: (?:happening|occurring"
    r"|to happen))?(?: (?:on|at|around|about))?"
)

_ZH_NUMBER = r"好?[\d一二两三四五六七八九十半几]+"
_ZH_WEEKDAY = r"(?:周|星期|礼拜)[一二三四五六日天]"
_ZH_DAY = (
    rf"(?:今天|今日|昨天|昨日|大前天|前天|今早|今晚|昨晚|昨夜|上个?(?:周|星期|礼拜)[一二三四五六日天]?"
    rf"|{_ZH_WEEKDAY}|这周|本周|上个月|{_ZH_NUMBER}月{_ZH_NUMBER}[日号])"
)
_ZH_PART = r"(?:凌晨|早上|早晨|清晨|上午|中午|下午|傍晚|晚上|夜里)"
_ZH_CLOCK = rf"(?:{_ZH_NUMBER}点(?:半|{_ZH_NUMBER}分?)?|\d{{1,2}}:\d{{2}})"
_ZH_AGO = rf"{_ZH_NUMBER} ?个?(?:秒钟?|分钟|小时|钟头|天|日|星期|礼拜|周|月|年)(?:以前|之前|前)"
_ZH_TIME = rf"(?:{_ZH_AGO}|{_ZH_DAY}{_ZH_PART}?{_ZH_CLOCK}?|{_ZH_PART}{_ZH_CLOCK}?|{_ZH_CLOCK})"
_ZH_TIME_ALONE = rf"(?:{_ZH_AGO}|{_ZH_DAY}{_ZH_PART}?{_ZH_CLOCK}?|{_ZH_PART})"
# Full-width comma, full stop, semicolon, exclamation and question mark end Chinese clauses.
_ZH_STOPS = "\uff0c\u3002\uff1b\uff01\uff1f"
_STOPS = f",.;!?{_ZH_STOPS}"
_ZH_CLAUSE = rf"[^{_STOPS}\s]"


_SINCE = rf"\b{_PROBLEM_BEEN}(?:ever )?since "
_SINCE_TIME = rf"{_SINCE}(?P<words>{_TIME})(?![a-z0-9])"
_SINCE_DURATION = rf"{_SINCE}(?P<words>{_COUNT} ?{_LONG_UNIT})\b"
_SINCE_EVENT = rf"{_SINCE}(?P<words>{_DETERMINER} (?:[a-z0-9.'-]+ ){{0,3}}?{_EVENT})\b"
_SINCE_THING = rf"{_SINCE}(?P<words>{_DETERMINER}(?: [a-z0-9.'-]+){{1,4}}?){_CLAUSE_END}"
_SINCE_DEED = (
    rf"{_SINCE}(?P<words>(?:i|we|they|it) {_PAST_VERB}\b(?: [a-z0-9.'-]+){{0,5}}?){_CLAUSE_END}"
)
_FROM_TIME = rf"\bfrom (?P<words>{_TIME})(?: on(?:wards?)?| onward)?(?![a-z0-9])"
_STARTED = rf"\b{_IT_STARTED} (?P<words>{_TIME}|{_AFTER_UPDATE})(?![a-z0-9])"
_FOR_COUNT = rf"\bfor (?:the (?:past|last) )?(?P<words>{_COUNT} ?{_LONG_UNIT})\b(?: now| already)?"
_FOR_THE_PAST = rf"\bfor the (?:past|last) (?P<words>{_LONG_UNIT})\b(?: now| already)?"
_TIME_WORDS = rf"\b(?P<words>{_TIME_ALONE})(?![a-z0-9])"
_AFTER_WORDS = rf"\b(?P<words>{_AFTER_UPDATE})\b"
_ZH_FROM = rf"(?:从|自从|自)(?P<words>{_ZH_TIME})(?:开始|以来|起)?"
_ZH_STARTED = rf"(?P<words>{_ZH_TIME})(?:开始|以来|起)"
_ZH_SINCE_AFTER = rf"自从(?P<words>{_ZH_CLAUSE}{{1,12}}?(?:以后|之后|后))"
_ZH_SINCE_UNTIL = rf"自从(?P<words>{_ZH_CLAUSE}{{1,12}}?)(?:以来|开始)"
_ZH_SINCE_CLAUSE = rf"自从(?P<words>{_ZH_CLAUSE}{{1,12}})"
_ZH_FOR = rf"(?:已经)?(?P<words>{_ZH_NUMBER} ?个?(?:小时|钟头|天|星期|礼拜|周|月))了"
_ZH_TIME_WORDS = rf"(?P<words>{_ZH_TIME_ALONE})"


# Earlier clues win when two begin at the same place, so the more precise ones come first.
SINCE_CLUES = _clues(
    (_SINCE_TIME, "{}"),
    (_SINCE_DURATION, "{} ago"),
    (_SINCE_EVENT, "{}"),
    (_SINCE_THING, "{}"),
    (_SINCE_DEED, "{}"),
    (_FROM_TIME, "{}"),
    (_STARTED, "{}"),
    (_FOR_COUNT, "{} ago"),
    (_FOR_THE_PAST, "1 {} ago"),
    (_TIME_WORDS, "{}"),
    (_AFTER_WORDS, "{}"),
    (_ZH_FROM, "{}"),
    (_ZH_STARTED, "{}"),
    (_ZH_SINCE_AFTER, "{}"),
    (_ZH_SINCE_UNTIL, "{}"),
    (_ZH_SINCE_CLAUSE, "{}"),
    (_ZH_FOR, "{}前"),
    (_ZH_TIME_WORDS, "{}"),
)

_ACTION = (
    r"(?:re-?booted|re-?started|re-?installed|un-?installed|cleared|deleted|removed|reset"
    r"|re-?connected|disconnected|unplugged|re-?plugged|plugged|(?:logged|signed) (?:out|off)"
    r"|turned|switched|powered|ran|checked|changed|rolled back|restored|repaired|re-?paired"
    r"|paired|flushed|renewed|disabled|enabled|re-?added|tested|swapped|replaced|closed|killed"
    r"|force[- ]quit|re-?synced|synced|emptied|rebuilt|re-?created|re-?entered|updated"
    r"|upgraded|downgraded)"
)
_TRIED_STOP = (
    r"(?=\s*(?:[,.;:!?()\n]|$)|\s+(?:but|still|and (?:it|still|nothing|no|that|the problem"
    r"|the issue|now)|no luck|didn'?t|did not|doesn'?t|does not|without|to no avail|no change"
    r"|nothing|same|since|because|which|please|pls|yet|however|though|any ideas?)\b)"
)
# What came of a try belongs to the try, so "but it still drops" leaves the symptom with it.
_TRIED_OUTCOME = (
    r"(?:,? (?:but |and )?(?:it |that |this )?(?:still[^,.;:!?()\n]*|no luck|didn'?t help"
    r"|did not help|doesn'?t help|does not help|to no avail|no change|nothing changed"
    r"|same (?:issue|problem|thing|result)|without (?:success|luck)))?"
)
_TRIED_END = rf"{_TRIED_STOP}{_TRIED_OUTCOME}"
_TRIED_REST = r"[^,.;:!?()\n]*?"
_SUBJECT = r"(?:\b(?:i|we)(?:'ve| have| had)? )?"
_CLAUSE_START = (
    r"(?:^|(?<=[,.;:!?(])|(?<=[,.;:!?(] )|(?<=\band )|(?<=\bbut )|(?<=\bthen )|(?<=\balso ))"
)
_ZH_ACTION = (
    r"(?:重新启动|重启|重新安装|重装|卸载|清理|清除|清空|删除|重置|重新登录|重新登陆|注销|退出|更新|升级"
    r"|重新插拔|插拔|重新连接|重连|开关机|关机|换|检查|修复|恢复|断开)"
)
_ZH_TRIED_STOP = rf"(?=[{_STOPS}]|$|但|可是|还是|也没|没用|都不|不行|依然|仍然)"
_ZH_TRIED_OUTCOME = (
    rf"(?:[\uff0c,]?(?:但是?|可是)?(?:还是|依然|仍然|也)(?:不行|没用|没有用|一样)[^{_STOPS}]*)?"
)
_ZH_TRIED_END = rf"{_ZH_TRIED_STOP}{_ZH_TRIED_OUTCOME}"
_ZH_REST = rf"[^{_STOPS}]*?"

_TRIED_VERB = (
    rf"{_SUBJECT}(?:\b(?:also|even|already|just) )*\b(?:tried|attempted)(?: (?:already|also))?"
    rf"(?: to)? (?P<words>(?!anything|nothing){_TRIED_REST}\S){_TRIED_END}"
)
_ALREADY_DONE = (
    rf"{_SUBJECT}\balready (?:(?:have|had|did) )?(?P<words>{_ACTION}\b{_TRIED_REST}){_TRIED_END}"
)
_DONE = (
    rf"{_CLAUSE_START}{_SUBJECT}(?:(?:also|then|even|just|first) )?"
    rf"(?P<words>{_ACTION}\b{_TRIED_REST}){_TRIED_END}"
)
_DID_A = (
    r"\bdid (?:a |the )?(?P<words>(?:hard |full |factory )?(?:reboot|restart|reinstall|reset"
    r"|restore|power cycle))\b"
)
_NOT_TRIED = (
    rf"{_SUBJECT}(?P<words>\b(?:haven'?t|have not|didn'?t|did not) (?:tried|try|done|do) anything"
    r"|\b(?:tried|done) nothing|\bnothing (?:tried|done))(?: yet| so far)?\b"
)
_ZH_TRIED_VERB = (
    rf"(?:我们|我)?(?:也|都|已经|已)*(?:试过|试了|尝试过|尝试了|试着|尝试)"
    rf"(?P<words>{_ZH_REST}[^{_STOPS}]){_ZH_TRIED_END}"
)
_ZH_ALREADY_DONE = rf"(?:我们|我)?(?:已经|已)(?P<words>{_ZH_ACTION}{_ZH_REST}){_ZH_TRIED_END}"
_ZH_DONE = (
    rf"(?:^|(?<=[{_STOPS}]))(?:我们|我)?也?(?P<words>{_ZH_ACTION}(?:过|了){_ZH_REST})"
    rf"{_ZH_TRIED_END}"
)
_ZH_NOT_TRIED = r"(?P<words>什么都没(?:试|做)过?|还没(?:有)?试过?|都没试过?|没(?:有)?试过)"

TRIED_CLUES = _clues(
    (_NOT_TRIED, "nothing yet"),
    (_TRIED_VERB, "{}"),
    (_ALREADY_DONE, "{}"),
    (_DONE, "{}"),
    (_DID_A, "{}"),
    (_ZH_NOT_TRIED, "nothing yet"),
    (_ZH_TRIED_VERB, "{}"),
    (_ZH_ALREADY_DONE, "{}"),
    (_ZH_DONE, "{}"),
)

NOTHING_TRIED = re.compile(
    r"^(?:no|nope|nah|none|nothing|not yet|not really|not anything|n/?a|no idea|not sure"
    r"|idk|(?:no,? )?i haven'?t(?: tried)?(?: anything)?|haven'?t(?: tried)?(?: anything)?"
    r"|i have not(?: tried)?(?: anything)?|didn'?t try anything|nothing tried"
    r"|没有试过|没试过|都没试过?|还没试过?|什么都没(?:试|做)过?|啥也没(?:试|做)|还没有|还没|没有|没|暂无|无)"
    rf"(?: (?:yet|so far|at all|really|sorry|tbh))*\s*(?:[,.!?;:\-~{_ZH_STOPS}\uff1a]|$)",
    _FLAGS,
)

ANSWER_TRIED = re.compile(
    rf"^{_SUBJECT}(?:(?:also|already|just) )*(?:tried )?(?:to )?(?P<words>.+?){_TRIED_END}",
    _FLAGS,
)

SINCE_TAIL = re.compile(r"(?:开始|以来|起)$")
TRIED_TAIL = re.compile(r"\s+(?:already|too|as well|also)$|(?:一下)?(?:过了|过|了)$", _FLAGS)

LEADING_NOISE = re.compile(
    r"^(?:[\s,.;:!?\-~\u2013\u2014\u3001\uff0c\u3002\uff1b\uff1a\uff01\uff1f]+"
    r"|(?:hi|hello|hey|hiya|dear|good (?:morning|afternoon|evening))(?: (?:there|team|all|folks"
    r"|it|support|helpdesk))?(?![a-z0-9_])|(?:and now|and|but|also|so|then|plus|now)(?![a-z0-9_])"
    r"|你好|您好|请问|然后|但是|但|而且|并且)",
    _FLAGS,
)

TRAILING_NOISE = re.compile(
    r"(?:[\s,.;:!?\-~\u2013\u2014\u3001\uff0c\u3002\uff1b\uff1a\uff01\uff1f]+"
    r"|(?<![a-z0-9_])(?:and|but|also|so|then|please help|pls help|help please|please|pls"
    r"|thanks|thank you|thx|cheers)|谢谢|请帮忙|麻烦了|但是|但|而且|然后)$",
    _FLAGS,
)

SPACE_BEFORE_PUNCTUATION = re.compile(r"\s+([,.;:!?])")
REPEATED_PUNCTUATION = re.compile(r"([,;.\uff0c\uff1b\u3002])(?:\s*[,;.\uff0c\uff1b\u3002])+")
CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")

ENGLISH_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?", _FLAGS)
CJK_RUN = re.compile(r"[\u4e00-\u9fff]+")


# Words that carry nothing about the problem: greetings, politeness and grammar.
FILLER_WORDS = _word_set(
    """
    hi hello hey hiya yo dear good morning afternoon evening there all folks guys please pls plz
    help helpdesk support it its it's i i'm im i've ive me my we we're our us you your a an the
    is am are was were be been being have has had got get getting need needs want would like
    some someone somebody anyone can could do does did with for to of on in at and or but so if
    problem problems issue issues trouble question questions quick small little urgent urgently
    asap thanks thank thx ty cheers sorry again there's something anything this that just still
    also really very bit kind sort one ok okay hmm um uh ticket report
    """
)

# Words that say something is wrong without saying what.
GENERIC_WORDS = _word_set(
    """
    not no work works working worked broken broke wrong weird strange odd doesn't doesnt don't
    dont isn't isnt won't wont can't cant cannot didn't didnt properly correctly right anymore
    stopped fails failed failing fail error errors bad down funny acting up
    """
)

ZH_FILLER = re.compile(
    r"你好|您好|请问|请|帮帮我|帮我|帮忙|一下|谢谢|问题|有个|有一个|我有|在吗|救命|麻烦|你们|求助|紧急|急"
    r"|我们|我|的|了|吗|呢|啊|吧"
)
ZH_GENERIC = re.compile(
    r"坏|不行|不能用|用不了|出问题|有问题|故障|不好使|不工作|失灵|异常|报错|错误"
)


MESSAGE_IMPACT_PHRASES = _phrases(_MESSAGE_IMPACT)
ANSWER_IMPACT_PHRASES = _phrases(_MESSAGE_IMPACT, _ANSWER_IMPACT)
MESSAGE_URGENCY_PHRASES = _phrases(_MESSAGE_URGENCY)
ANSWER_URGENCY_PHRASES = _phrases(_MESSAGE_URGENCY, _ANSWER_URGENCY)


DEVICE_PATTERNS = tuple(
    (name, re.compile(rf"(?<![a-z0-9_])(?:{aliases})(?![a-z0-9_])", _FLAGS))
    for name, aliases in _DEVICES
)
