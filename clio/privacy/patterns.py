"""The rule auditor's regular expressions and what it reports.

Patterns for e-mail addresses, @handles and usernames, URLs (with the big and the profile
domains), phone numbers, card/account/ID/case numbers, numbered groups, street addresses, flat
numbers, postcodes, birth dates, unique roles, small places, CJK names and companies, quoted
names, and the tokeniser; `_PLACEHOLDERS` (what `generalise()` writes in place of a private
detail) and `Finding` (one detector hit and the score cap it imposes).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b")
_HANDLE = re.compile(r"(?<![\w@/.])@(?!everyone\b|here\b|channel\b)[A-Za-z0-9_](?:[A-Za-z0-9_.]*[A-Za-z0-9_])?")
_USERNAME_CUE = re.compile(
    r"\b(?:user\s?name|handle|gamertag|screen\s?name|nickname|discord tag|tag)\s*(?:is|was|:|=)?\s*['\"“]?([A-Za-z0-9_.-]*[0-9_][A-Za-z0-9_.-]*)",
    re.IGNORECASE,
)
_REDDIT_USER = re.compile(r"(?<![\w/])/?u/[A-Za-z0-9_-]{3,}")
_TLDS = (
    "com|org|net|edu|gov|io|co|ai|app|dev|info|biz|me|tv|us|uk|ca|au|de|fr|es|it|nl|ru|jp|cn|in|br|mx|ch|se|no|"
    "dk|fi|pl|ua|tr|za|nz|ie|be|at|pt|gr|kr|tw|sg|hk|blog|shop|store|online|site|xyz|club|page|ly|gg"
)
_URL = re.compile(
    rf"(?<![\w@.-])(?:https?://)?(?:www\.)?((?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+(?:{_TLDS}))\b(/[^\s)\]'\"<>,]*)?",
    re.IGNORECASE,
)
_PERSONAL_PATH = re.compile(r"/(?:~|@|u/|user/|users/|profile/|people/|in/|member/|members/|author/|channel/|c/)[^/\s]+|[?&](?:id|uid|user|profile)=", re.IGNORECASE)
_BIG_DOMAINS = {
    "google.com", "youtube.com", "facebook.com", "instagram.com", "twitter.com", "x.com", "tiktok.com", "reddit.com",
    "wikipedia.org", "github.com", "gitlab.com", "amazon.com", "apple.com", "microsoft.com", "linkedin.com",
    "netflix.com", "spotify.com", "stackoverflow.com", "medium.com", "substack.com", "discord.com", "twitch.tv",
    "yahoo.com", "bing.com", "openai.com", "anthropic.com", "claude.ai", "chatgpt.com", "python.org", "npmjs.com",
    "pypi.org", "gov.uk", "nhs.uk", "bbc.co.uk", "bbc.com", "nytimes.com", "cnn.com", "whatsapp.com",
    "gmail.com", "outlook.com", "hotmail.com", "ebay.com", "etsy.com", "shopify.com", "wordpress.com",
    "example.com", "example.org", "example.net", "localhost.com", "coursera.org", "khanacademy.org",
}
# Sites where the first path segment is an account: github.com/<user>, instagram.com/<user>, ...
_PROFILE_DOMAINS = {
    "github.com", "gitlab.com", "instagram.com", "twitter.com", "x.com", "facebook.com", "fb.com", "tiktok.com",
    "youtube.com", "linkedin.com", "medium.com", "twitch.tv", "pinterest.com", "soundcloud.com", "behance.net",
    "dribbble.com", "vk.com", "threads.net", "bsky.app", "patreon.com", "onlyfans.com", "substack.com", "etsy.com",
    "tumblr.com", "flickr.com", "vimeo.com", "deviantart.com", "reddit.com", "t.me", "wa.me", "linktr.ee",
}
_GENERIC_PATHS = {
    "about", "help", "login", "signup", "settings", "search", "explore", "topics", "features", "pricing", "docs",
    "blog", "marketplace", "watch", "results", "policies", "privacy", "terms", "legal", "jobs", "careers", "home",
    "trending", "feed", "r", "hashtag", "notifications", "messages", "shop", "categories", "market", "developers",
}
_PHONE_PATTERNS = [
    re.compile(r"(?<![\w+])\+\d{1,3}[\s.-]?(?:\(\d{1,4}\)[\s.-]?)?\d{1,4}(?:[\s.-]?\d{2,4}){1,4}(?![\w-])"),
    re.compile(r"(?<![\w-])\(\d{3}\)\s?\d{3}[\s.-]\d{4}(?![\w-])"),
    re.compile(r"(?<![\w-])\d{3}[.\s-]\d{3}[.\s-]\d{4}(?![\w-])"),
    re.compile(r"(?<![\w-])555[.\s-]?\d{4}(?![\w-])"),
    re.compile(r"(?<![\w.-])\d{3}-\d{4}(?![\w-])"),
    re.compile(r"(?<![\w-])0\d(?:[\s.]\d{2}){4}(?![\w-])"),  # French style
    re.compile(r"(?<![\w-])0\d{2,4}[\s/-]\d{5,8}(?![\w-])"),  # UK/DE style
    re.compile(r"(?<![\w-])(?:tel|phone|mobile|cell|whatsapp|телефон|тел)\.?\s*:?\s*[\d\s().+-]{7,}", re.IGNORECASE),
]
_CARD = re.compile(r"(?<![\w-])(?:\d{4}[\s-]){3}\d{4}(?![\w-])|(?<![\w-])\d{15,16}(?![\w-])")
_GROUPED_ID = re.compile(r"(?<![\w-])\d{3,}(?:[\s-]\d{3,}){2,}(?![\w-])")
_LONG_NUMBER = re.compile(r"(?<![\w.,/-])\d{6,}(?![\w,/-]|\.\d)")
_CODE_ID = re.compile(r"(?<![\w-])(?=[A-Z0-9-]*\d)(?=[A-Z0-9-]*[A-Z])[A-Z0-9]{1,}(?:-[A-Z0-9]{1,}){1,4}(?![\w-])")
_CUED_ID = re.compile(
    r"\b(?:account|acct|a/c|card|iban|routing|sort code|ssn|social security|passport|licen[cs]e|student id|"
    r"student number|employee id|staff id|member(?:ship)? (?:no|number|id)|policy|claim|order|case|docket|ticket|"
    r"invoice|reference|ref|booking|confirmation|tracking|customer id|patient id|medical record|mrn|nhs number|"
    r"national id|tax id|vat|pnr|plate|registration|reg|id|no|nr|номер|счёт|счет|паспорт|dossier|n°|nº)"
    r"\s*(?:number|no\.?|num\.?|#|:|is|was)?\s*[:#]?\s*([A-Z]{0,4}[\s-]?\d[\dA-Z\s/-]{3,}\d)",
    re.IGNORECASE,
)
_GROUP_NUMBER = re.compile(
    r"(?:(?<![\w&])#\s?\d{2,}\b|\b(?:chapter|troop|lodge|local|pack|post|team|squad|branch|precinct|district|ward|"
    r"battalion|company|platoon|cohort|section)\s+(?:no\.?\s*|number\s*)?#?\d{2,}\b)",
    re.IGNORECASE,
)
_UNIT = re.compile(
    r"\b(?:apt\.?|apartment|flat|unit|suite|ste\.?|bldg\.?|building|квартир[аеуы]?|кв\.|appartement|"
    r"piso|departamento|depto\.?|wohnung)\s*#?\s*\d+[A-Z]?\b",
    re.IGNORECASE,
)
_STREET_SUFFIX = (
    r"(?:Street|St|Road|Rd|Lane|Ln|Avenue|Ave|Boulevard|Blvd|Drive|Dr|Court|Ct|Way|Place|Pl|Terrace|Close|"
    r"Crescent|Highway|Hwy|Parkway|Pkwy|Square|Sq|Row|Alley|Circle|Cir|Trail|Mews|Grove|Gardens|Walk|Hill|Rise)"
)
_STREET_NUMBERED = re.compile(rf"(?<![\w-])\d{{1,5}}[A-Za-z]?,?\s+(?:[A-Z][\w'’.-]*\s+){{1,4}}{_STREET_SUFFIX}\b\.?")
# Without a house number only the unambiguous street words count ("Dr", "Hill", "Square", "Court",
# "Way" also name people, districts, landmarks and courts).
_STREET_NAMED = re.compile(
    r"\b(?:[A-Z][\w'’-]+\s+){1,3}(?:Street|Road|Lane|Avenue|Boulevard|Drive|Terrace|Close|Crescent|Parkway|Row|Alley|Mews)\b"
    r"(?!\s+(?:Journal|Boys|Fighter|Smarts))"
)
_STREET_FOREIGN = re.compile(
    r"(?:\b(?:rue|avenue|boulevard|bd|calle|c/|avenida|av\.|rua|via|viale|piazza|corso|carrer|plaza|praça|"
    r"улица|ул\.|проспект|пр-т|переулок|шоссе)\s+(?:[\w'’.-]+\s+){0,4}?[\w'’.-]*\s*,?\s*\d+"
    r"|\b\d+,?\s+(?:rue|avenue|boulevard|calle|avenida|rua|via|carrer)\s+[\w'’.-]+"
    r"|\b[A-ZÄÖÜ][\wäöüß-]*(?:straße|strasse|str\.|weg|gasse|platz|allee|ring|damm)\s+\d+[a-z]?\b)",
    re.IGNORECASE,
)
_POSTCODE = re.compile(r"\b(?:[A-Z]{1,2}\d[A-Z\d]?\s\d[A-Z]{2}|(?:AL|AK|AZ|AR|CA|CO|CT|DE|FL|GA|HI|ID|IL|IN|IA|KS|KY|LA|ME|MD|MA|MI|MN|MS|MO|MT|NE|NV|NH|NJ|NM|NY|NC|ND|OH|OK|OR|PA|RI|SC|SD|TN|TX|UT|VT|VA|WA|WV|WI|WY)\s\d{5}(?:-\d{4})?)\b")
_BIRTH = re.compile(
    r"\b(?:born on|date of birth|dob|d\.o\.b\.|birthday is|turns? \w+ on)\b[^.]{0,20}?"
    r"(?:\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}|(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+\d{1,2}|\d{1,2}(?:st|nd|rd|th)?\s+(?:of\s+)?(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec))",
    re.IGNORECASE,
)
_UNIQUE_ROLE = re.compile(
    r"\b(?:the|an?|am|i'm|i am|as the|is the|was the)\s+(?:only|sole|one and only)\s+(?!one\b|thing|way|time|reason|option|problem|choice|difference|exception|people|person who|ones\b)"
    r"(?:[\w-]+\s+){0,3}?(?:[\w-]+)\s+(?:in|at|on|for|of)\s+(?:the\s+|our\s+|my\s+)?(?:(?-i:[A-Z])|town|village|the village|the town|our town|my town|our village|my village|the school|our school|our company)"
    r"|\b(?:der|die)\s+einzigen?\s+\w+\s+(?:in|im|bei|an)\s+"
    r"|\b(?:le seul|la seule|l'unique)\s+[\w-]+(?:\s+[\w-]+){0,2}\s+(?:à|de|du|en|dans)\s+"
    r"|\b(?:el único|la única|o único|a única|él único)\s+[\w-]+(?:\s+[\w-]+){0,2}\s+(?:en|de|del|da|do|na|no)\s+"
    r"|единственн\w+\s+\w+(?:\s+\w+)?\s+(?:в|на)\s+"
    r"|唯一の",
    re.IGNORECASE,
)
_POPULATION = re.compile(
    r"\b(?:pop\.?|population)(?:\s+(?:of|about|around|approx\.?|approximately|roughly|under|just|barely|only|is|was|:))*\s*~?\s*(\d[\d,.\s]*)(k\b)?",
    re.IGNORECASE,
)
_SMALL_PLACE = re.compile(r"\b(?:tiny|small|little)\s+(?:village|hamlet|town|island|community)\s+(?:of|called|named)\s+[A-Z]", re.IGNORECASE)
_CJK_PERSON = re.compile(r"[\u4e00-\u9fff\u30a0-\u30ff]{1,4}(?:さん|様|さま|くん|君|ちゃん|氏)")
_CJK_SELF_NAME = re.compile(r"(?:我叫|我的名字是|我名叫|本人叫|私の名前は|わたしの名前は)\s*([\u4e00-\u9fff\u30a0-\u30ff]{2,4})")
_CJK_NAMED_PLACE = re.compile(
    r"(?:在|于|去|到)(?![一这那某每各大小])([\u4e00-\u9fff]{2,6})(?:物流|公司|科技|集团|餐厅|饭店|酒店|中学|小学|幼儿园|医院|诊所|工作室|超市|书店|咖啡馆|健身房)"
)
_CJK_ORG = re.compile(r"(?:株式会社|有限会社|\(株\)|（株）)[\u3040-\u30ff\u4e00-\u9fffA-Za-z]+|[\u4e00-\u9fff]{2,8}(?:有限公司|公司|株式会社)")
_QUOTED = re.compile(r"(?:(?<=[\s(:])|^)(?:'|\"|“|‘|«|„|「|『)([^'\"“”‘’«»„「」『』\n]{2,40})(?:'|\"|”|’|»|“|」|』)(?=[\s.,;:!?)]|$)")

_TOKEN = re.compile(r"[^\W\d_](?:[\w'’.&\u055b-\u055e-]*[\w])?\.?|&|\d+|[^\w\s]", re.UNICODE)


# What generalise() puts in place of a private detail, by finding kind.
_PLACEHOLDERS = {
    "person": "[person]", "name": "[name]", "organisation": "[organisation]", "email": "[email]",
    "url": "[web page]", "website": "[website]", "handle": "[username]", "card": "[card number]",
    "phone": "[phone number]", "identifier": "[number]", "group-number": "[group]", "address": "[address]",
    "street": "[street]", "birth-date": "[date]", "unique-role": "[role]", "small-place": "[place]",
    "place": "[place]", "place-small": "[place]", "place-mid": "[place]",
}


@dataclass(frozen=True)
class Finding:
    kind: str
    cap: int  # the highest score the text can get with this finding in it
    reason: str
    certain: bool = True
    span: tuple[int, int] | None = None  # where in the text, for generalise(); None: not localised
