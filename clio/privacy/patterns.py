"""The rule auditor's regular expressions and what it reports.

Patterns for e-mail addresses (also spelled out: "name at domain dot com"), @handles, usernames and
handles after a platform cue or before a platform name, URLs (with the big and the profile domains),
phone numbers (also Japanese/Korean and Russian national forms), card/account/ID/case numbers,
national ID numbers (CPF, CURP, Korean resident number, French NIR, Spanish DNI/NIE, Italian codice
fiscale, IBAN, Belgian, Finnish, Swedish, UK and Dutch numbers), vehicle plates after a cue, numbered
groups, street addresses (also in scripts without capitals, Chinese road numbers and Japanese/Korean
block numbers), flat numbers, postcodes, birth dates, unique roles (also through a small place's
possessive), small places (named or by size), the writer's own named club, CJK names (after 用户, opening
a message, Japanese and Korean self-introductions) and companies, self-introductions in scripts without capitals,
quoted names, and the tokeniser; `PLACEHOLDERS` (what `generalise()` writes in place of a private
detail) and `Finding` (one detector hit and the score cap it imposes).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b")
HANDLE = re.compile(r"(?<![\w@/.])@(?!everyone\b|here\b|channel\b)[A-Za-z0-9_](?:[A-Za-z0-9_.]*[A-Za-z0-9_])?")
USERNAME_CUE = re.compile(
    r"\b(?:user\s?name|handle|gamertag|screen\s?name|nickname|discord tag|tag)\s*(?:is|was|:|=)?\s*['\"“]?([A-Za-z0-9_.-]*[0-9_][A-Za-z0-9_.-]*)",
    re.IGNORECASE,
)
_TLDS = (
    "com|org|net|edu|gov|io|co|ai|app|dev|info|biz|me|tv|us|uk|ca|au|de|fr|es|it|nl|ru|jp|cn|in|br|mx|ch|se|no|"
    "dk|fi|pl|ua|tr|za|nz|ie|be|at|pt|gr|kr|tw|sg|hk|blog|shop|store|online|site|xyz|club|page|ly|gg"
)
# A handle written without "@" right after a platform or username cue, in several languages: "my
# insta is sunny.days", "on Telegram I'm fox_91", "mi usuario de TikTok es x.y.z". The handle must
# look like one (a dot or underscore inside, or letters then digits; rules also drops file names
# and abbreviations). GitHub, Reddit, LINE and Signal are left out: code and common words follow them.
_PLATFORM_WORDS = (
    r"instagram|insta|ig|telegram|tiktok|tik tok|snapchat|twitter|discord|twitch|youtube|kik|"
    r"wechat|weixin|skype|vk|vkontakte|mastodon|bluesky|bsky|pinterest|tumblr|psn|xbox|roblox|"
    r"soundcloud|onlyfans|facebook|fb|"
    r"телеграм\w*|телеграмм\w*|инстаграм\w*|инсте|тикток\w*|вк|вконтакте|ютуб\w*|дискорд\w*"
)
_USERNAME_WORDS = (
    r"user\s?name|handle|nick(?:name)?|screen\s?name|gamertag|usuario|nombre de usuario|pseudo|identifiant|"
    r"benutzername|nutzername|nome utente|nome de usu[aá]rio|usu[aá]rio|имя пользователя|ник|никнейм|логин|"
    r"kullan[ıi]c[ıi] ad[ıi]"
)
# Words that may stand between the cue and the handle ("is", "on", "I'm", "de TikTok es", ...).
_HANDLE_FILLER = (
    r"is|was|it's|its|i'm|im|i am|am|me|my|on|at|under|as|called|named|find me|add me|follow me|es|est|ist|é|"
    r"era|war|sur|de|en|auf|bei|unter|в|на|у|меня|мой|моё|моя|mi|mon|ma|mein|meine|meu|minha|account|acc|"
    r"profile|page|cuenta|compte|konto|perfil|profil|аккаунт|страница"
)
PLATFORM_HANDLE = re.compile(
    rf"\b(?:{_PLATFORM_WORDS}|{_USERNAME_WORDS})(?=[\s:,=\-–—'\"“])"
    rf"(?:[\s:,=\-–—'\"“]+(?:{_HANDLE_FILLER}|{_PLATFORM_WORDS}|{_USERNAME_WORDS})\b){{0,4}}[\s:,=\-–—'\"“]+"
    r"([A-Za-z_][A-Za-z0-9_]*(?:[._][A-Za-z0-9_]+)+|[A-Za-z][A-Za-z_]+\d{2,})(?![\w@/(\[=-]|\.\w)",
    re.IGNORECASE,
)
# A handle written before its platform: "my page is called some.handle_99 on instagram", "find me as
# x_y.z on TikTok", "je suis lune.rousse sur Insta". The same handle shapes as above; rules drops
# file names and abbreviations ("config.py on Discord" is no account).
HANDLE_BEFORE_PLATFORM = re.compile(
    r"(?<![\w@/.-])([A-Za-z_][A-Za-z0-9_]*(?:[._][A-Za-z0-9_]+)+|[A-Za-z][A-Za-z_]+\d{2,})"
    r"\s+(?:on|at|in|via|over|from|sur|en|auf|bei|em|no|na|su|в|на)\s+(?:the\s+|my\s+|mi\s+|mon\s+|meinem\s+)?"
    rf"(?:{_PLATFORM_WORDS})\b",
    re.IGNORECASE,
)
# An e-mail address written out to dodge scrapers: "anna dot kowalczyk at protonmail dot com",
# "name [at] domain [dot] org". rules requires a spoken or bracketed "at"/"dot", so "at example.com" is no address.
_AT_WORD = r"(?:\s*[\[({<]\s*(?:at|@)\s*[\])}>]\s*|\s+(?:at|arroba|chez|собака)\s+)"
_DOT_WORD = r"(?:\s*[\[({<]\s*(?:dot|\.)\s*[\])}>]\s*|\s+(?:dot|punto|point|punkt|ponto|точка)\s+|\.)"
# more country domains than URL uses: a written-out address is rare enough not to clash with words
_EMAIL_TLDS = _TLDS + "|cz|sk|hu|ro|bg|hr|si|rs|lt|lv|ee|lu|il|ar|cl|pe|uy|vn|ph|pk|ae|ng|ke"
EMAIL_OBFUSCATED = re.compile(
    rf"(?<![\w.+'’-])[\w+-]+(?:{_DOT_WORD}[\w+-]+)*{_AT_WORD}[\w-]+(?:{_DOT_WORD}[\w-]+)*?{_DOT_WORD}(?:{_EMAIL_TLDS})\b",
    re.IGNORECASE,
)
REDDIT_USER = re.compile(r"(?<![\w/])/?u/[A-Za-z0-9_-]{3,}")

URL = re.compile(
    rf"(?<![\w@.-])(?:https?://)?(?:www\.)?((?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+(?:{_TLDS}))\b(/[^\s)\]'\"<>,]*)?",
    re.IGNORECASE,
)
PERSONAL_PATH = re.compile(r"/(?:~|@|u/|user/|users/|profile/|people/|in/|member/|members/|author/|channel/|c/)[^/\s]+|[?&](?:id|uid|user|profile)=", re.IGNORECASE)
BIG_DOMAINS = {
    "google.com",
    "youtube.com",
    "facebook.com",
    "instagram.com",
    "twitter.com",
    "x.com",
    "tiktok.com",
    "reddit.com",
    "wikipedia.org",
    "github.com",
    "gitlab.com",
    "amazon.com",
    "apple.com",
    "microsoft.com",
    "linkedin.com",
    "netflix.com",
    "spotify.com",
    "stackoverflow.com",
    "medium.com",
    "substack.com",
    "discord.com",
    "twitch.tv",
    "yahoo.com",
    "bing.com",
    "openai.com",
    "anthropic.com",
    "claude.ai",
    "chatgpt.com",
    "python.org",
    "npmjs.com",
    "pypi.org",
    "gov.uk",
    "nhs.uk",
    "bbc.co.uk",
    "bbc.com",
    "nytimes.com",
    "cnn.com",
    "whatsapp.com",
    "gmail.com",
    "outlook.com",
    "hotmail.com",
    "ebay.com",
    "etsy.com",
    "shopify.com",
    "wordpress.com",
    "example.com",
    "example.org",
    "example.net",
    "localhost.com",
    "coursera.org",
    "khanacademy.org",
}
# Sites where the first path segment is an account: github.com/<user>, instagram.com/<user>, ...
PROFILE_DOMAINS = {
    "github.com",
    "gitlab.com",
    "instagram.com",
    "twitter.com",
    "x.com",
    "facebook.com",
    "fb.com",
    "tiktok.com",
    "youtube.com",
    "linkedin.com",
    "medium.com",
    "twitch.tv",
    "pinterest.com",
    "soundcloud.com",
    "behance.net",
    "dribbble.com",
    "vk.com",
    "threads.net",
    "bsky.app",
    "patreon.com",
    "onlyfans.com",
    "substack.com",
    "etsy.com",
    "tumblr.com",
    "flickr.com",
    "vimeo.com",
    "deviantart.com",
    "reddit.com",
    "t.me",
    "wa.me",
    "linktr.ee",
}
GENERIC_PATHS = {
    "about",
    "help",
    "login",
    "signup",
    "settings",
    "search",
    "explore",
    "topics",
    "features",
    "pricing",
    "docs",
    "blog",
    "marketplace",
    "watch",
    "results",
    "policies",
    "privacy",
    "terms",
    "legal",
    "jobs",
    "careers",
    "home",
    "trending",
    "feed",
    "r",
    "hashtag",
    "notifications",
    "messages",
    "shop",
    "categories",
    "market",
    "developers",
}
PHONE_PATTERNS = [
    re.compile(r"(?<![\w+])\+\d{1,3}[\s.-]?(?:\(\d{1,4}\)[\s.-]?)?\d{1,4}(?:[\s.-]?\d{2,4}){1,4}(?![\w-])"),
    re.compile(r"(?<![\w-])\(\d{3}\)\s?\d{3}[\s.-]\d{4}(?![\w-])"),
    re.compile(r"(?<![\w-])\d{3}[.\s-]\d{3}[.\s-]\d{4}(?![\w-])"),
    re.compile(r"(?<![\w-])555[.\s-]?\d{4}(?![\w-])"),
    re.compile(r"(?<![\w.-])\d{3}-\d{4}(?![\w-])"),
    re.compile(r"(?<![\w-])0\d(?:[\s.]\d{2}){4}(?![\w-])"),  # French style
    re.compile(r"(?<![\w-])0\d{2,4}[\s/-]\d{5,8}(?![\w-])"),  # UK/DE style
    # Japanese/Korean style, also written flush against kana or hangul: 090-1234-5678, 03-5412-7788
    re.compile(r"(?<![A-Za-z0-9_-])0\d{1,3}-\d{2,4}-\d{4}(?![A-Za-z0-9_-])"),
    re.compile(r"(?<![\w+-])8[\s-]?\(?\d{3}\)?[\s-]?\d{3}[\s-]\d{2}[\s-]\d{2}(?![\w-])"),  # Russian: 8 (916) 123-45-67
    re.compile(r"(?<![\w-])(?:tel|phone|mobile|cell|whatsapp|телефон|тел)\.?\s*:?\s*[\d\s().+-]{7,}", re.IGNORECASE),
]
CARD = re.compile(r"(?<![\w-])(?:\d{4}[\s-]){3}\d{4}(?![\w-])|(?<![\w-])\d{15,16}(?![\w-])")
GROUPED_ID = re.compile(r"(?<![\w-])\d{3,}(?:[\s-]\d{3,}){2,}(?![\w-])")
LONG_NUMBER = re.compile(r"(?<![\w.,/-])\d{6,}(?![\w,/-]|\.\d)")
CODE_ID = re.compile(r"(?<![\w-])(?=[A-Z0-9-]*\d)(?=[A-Z0-9-]*[A-Z])[A-Z0-9]{1,}(?:-[A-Z0-9]{1,}){1,4}(?![\w-])")
CUED_ID = re.compile(
    r"\b(?:account|acct|a/c|card|iban|routing|sort code|ssn|social security|passport|licen[cs]e|student id|"
    r"student number|employee id|staff id|member(?:ship)? (?:no|number|id)|policy|claim|order|case|docket|ticket|"
    r"invoice|reference|ref|booking|confirmation|tracking|customer id|patient id|medical record|mrn|nhs number|"
    r"national id|tax id|vat|pnr|plate|registration|reg|id|no|nr|номер|счёт|счет|паспорт|dossier|n°|nº|"
    # national identity, tax and social-security numbers in the project's languages
    r"dni|nie|nif|curp|rfc|cpf|cnpj|rg|nir|s[ée]curit[ée] sociale|s[ée]cu|seguridad social|seguro social|nss|"
    r"pasaporte|passeport|passaporte|passaporto|paszport|reisepass|personalausweis|ausweis|steuer-?id|steuernummer|"
    r"sozialversicherungsnummer|codice fiscale|pesel|bsn|aadhaa?r|pan card|national insurance|ni number|"
    r"cpr(?:-nummer)?|personnummer|personnr|henkilötunnus|hetu|fødselsnummer|rijksregisternummer|"
    r"numéro national|nino|burgerservicenummer|sofinummer|"
    r"снилс|инн|tc kimlik|kimlik|주민등록번호|외국인등록번호|マイナンバー|身份证号?码?)"
    r"(?:\s*(?:number|numéro|numero|número|nummer|no\.?|num\.?|#))?(?:\s*(?:is|was|es|est|ist|é|è|era|war|lautet|:))?"
    r"\s*[:#]?\s*([A-Z]{0,4}[\s-]?\d[\dA-Z\s/-]{3,}\d(?:(?-i:[A-Z])(?!\w))?)",
    re.IGNORECASE,
)
# National ID numbers whose shape is distinctive enough without a cue: Brazilian CPF, Korean
# resident registration number, Mexican CURP, French social-security number (NIR) in its groups.
NATIONAL_ID = re.compile(
    r"(?<![\w.-])(?:\d{3}\.\d{3}\.\d{3}-\d{2}"
    r"|\d{6}-[1-8]\d{6}"
    r"|[A-Z][AEIOUX][A-Z]{2}\d{6}[HMX][A-Z]{5}[A-Z0-9]\d"
    r"|[12]\s\d{2}\s(?:0[1-9]|1[0-2]|[2-9]\d)\s(?:\d{2}|2[AB])\s\d{3}\s\d{3}(?:\s\d{2})?)(?![\w-])"
)
# More European identity and tax numbers with a checkable structure (rules checks the check
# character, date or checksum): Italian codice fiscale (6 letters, 2 digits, a month letter, 2
# digits, a letter, 3 digits, a check letter; digits may be written as letters, "omocodia"), IBAN
# (mod 97), Belgian national number (YY.MM.DD-XXX.CC), Finnish henkilötunnus (DDMMYY-NNNC, check
# character mod 31), Swedish personnummer (YYMMDD-NNNN, Luhn), UK National Insurance number in its
# spaced form (AB 12 34 56 C); the Dutch BSN only after its cue (nine digits also in dotted form).
CODICE_FISCALE = re.compile(r"(?<![A-Za-z0-9])([A-Za-z]{6}[0-9LMNPQRSTUV]{2}[ABCDEHLMPRSTabcdehlmprst][0-9LMNPQRSTUV]{2}[A-Za-z][0-9LMNPQRSTUV]{3}[A-Za-z])(?![A-Za-z0-9])")
CODICE_FISCALE_CUE = re.compile(r"(?:codice fiscale|\bc\.\s?f\.|\bcf\b|tax code|fiscal code|código fiscal)\W{0,20}$", re.IGNORECASE)
IBAN = re.compile(r"(?<![A-Za-z0-9])([A-Z]{2}\d{2}(?:\s?[A-Z0-9]{4}){2,7}(?:\s?[A-Z0-9]{1,3})?)(?![A-Za-z0-9])")
BELGIAN_NN = re.compile(r"(?<![\d.])(\d{2})\.(\d{2})\.(\d{2})[-\s](\d{3})\.(\d{2})(?![\d.])")
FINNISH_HETU = re.compile(r"(?<![\w-])(\d{2})(\d{2})(\d{2})([-+A-FU-Y])(\d{3})([0-9A-FHJ-NPR-Y])(?![\w-])")
SWEDISH_PN = re.compile(r"(?<![\w-])(?:19|20)?(\d{2})(\d{2})(\d{2})[-+](\d{4})(?![\w-])")
UK_NINO = re.compile(r"(?<![\w-])(?!BG|GB|NK|KN|TN|NT|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z]\s\d{2}\s\d{2}\s\d{2}\s[A-D](?![\w-])")
BSN = re.compile(
    r"\b(?:bsn|burgerservicenummer|burger service nummer|sofi-?nummer)\b(?:\s*(?:is|was|nummer|number|:|van|mijn|my))*\s*:?\s*"
    r"(\d{4}\.?\d{2}\.?\d{3}|\d{3}[.\s]\d{3}[.\s]\d{3}|\d{2}\.\d{3}\.\d{2}\.\d{2})(?![\d.]\d)",
    re.IGNORECASE,
)
# Spanish DNI / NIE: 8 digits (or X/Y/Z + 7) and a check letter; the letter is verified in rules.
DNI = re.compile(r"(?<![\w-])([XYZ]?)[\s-]?(\d{7,8})[\s-]?([A-Z])(?![\w-])")
# Vehicle registration plates after a cue word (the plate itself is checked in rules: letters and
# digits, 4-10 of them).
PLATE = re.compile(
    r"(?i:\b(?:number plate|licen[cs]e plate|registration(?: number| plate| mark)?|reg(?:istration)?\.? (?:no|number)|"
    r"plate(?: number)?|kennzeichen|nummernschild|placa|matr[ií]cula|immatriculation|plaque(?: d'immatriculation)?|"
    r"targa|kenteken|tablica rejestracyjna|numer rejestracyjny|plaka|госномер|номер машины|номер автомобиля|"
    r"номерной знак|автономер))"
    r"(?:[\s:,#-]+(?i:is|was|es|est|ist|é|è|era|war|lautet|of|on|de|del|da|do|du|von|my|mi|mon|ma|mein|meines|"
    r"unser|unseres|our|his|her|their|the|this|that|car|van|truck|vehicle|motorbike|bike|coche|carro|auto|voiture|"
    r"wagens|autos|машины|моей|моего|la|le|el|a|o))*"
    r"[\s:,#-]+([A-ZА-ЯЁ0-9]{1,8}(?:[ -][A-ZА-ЯЁ0-9]{1,7}){0,2})(?![\w-])"
)
GROUP_NUMBER = re.compile(
    r"(?:(?<![\w&])#\s?\d{2,}\b|\b(?:chapter|troop|lodge|local|pack|post|team|squad|branch|precinct|district|ward|"
    r"battalion|company|platoon|cohort|section)\s+(?:no\.?\s*|number\s*)?#?\d{2,}\b)",
    re.IGNORECASE,
)
UNIT = re.compile(
    r"\b(?:apt\.?|apartment|flat|unit|suite|ste\.?|bldg\.?|building|квартир[аеуы]?|кв\.|appartement|"
    r"piso|departamento|depto\.?|wohnung)\s*#?\s*\d+[A-Z]?\b",
    re.IGNORECASE,
)
_STREET_SUFFIX = (
    r"(?:Street|St|Road|Rd|Lane|Ln|Avenue|Ave|Boulevard|Blvd|Drive|Dr|Court|Ct|Way|Place|Pl|Terrace|Close|"
    r"Crescent|Highway|Hwy|Parkway|Pkwy|Square|Sq|Row|Alley|Circle|Cir|Trail|Mews|Grove|Gardens|Walk|Hill|Rise)"
)
STREET_NUMBERED = re.compile(rf"(?<![\w-])\d{{1,5}}[A-Za-z]?,?\s+(?:[A-Z][\w'’.-]*\s+){{1,4}}{_STREET_SUFFIX}\b\.?")
# Without a house number only the unambiguous street words count ("Dr", "Hill", "Square", "Court",
# "Way" also name people, districts, landmarks and courts).
STREET_NAMED = re.compile(
    r"\b(?:[A-Z][\w'’-]+\s+){1,3}(?:Street|Road|Lane|Avenue|Boulevard|Drive|Terrace|Close|Crescent|Parkway|Row|Alley|Mews)\b"
    r"(?!\s+(?:Journal|Boys|Fighter|Smarts))"
)
STREET_FOREIGN = re.compile(
    r"(?:\b(?:rue|avenue|boulevard|bd|calle|c/|avenida|av\.|rua|via|viale|piazza|corso|carrer|plaza|praça|"
    r"улица|ул\.|проспект|пр-т|переулок|шоссе)\s+(?:[\w'’.-]+\s+){0,4}?[\w'’.-]*\s*,?\s*(?:(?:д\.|дом)\s*)?\d+"
    r"|\b\d+,?\s+(?:rue|avenue|boulevard|calle|avenida|rua|via|carrer)\s+[\w'’.-]+"
    r"|\b[A-ZÄÖÜ][\wäöüß-]*(?:straße|strasse|str\.|weg|gasse|platz|allee|ring|damm)\s+\d+[a-z]?\b)",
    re.IGNORECASE,
)
POSTCODE = re.compile(
    r"\b(?:[A-Z]{1,2}\d[A-Z\d]?\s\d[A-Z]{2}|(?:AL|AK|AZ|AR|CA|CO|CT|DE|FL|GA|HI|ID|IL|IN|IA|KS|KY|LA|ME|MD|MA|MI|MN|MS|MO|MT|NE|NV|NH|NJ|NM|NY|NC|ND|OH|OK|OR|PA|RI|SC|SD|TN|TX|UT|VT|VA|WA|WV|WI|WY)\s\d{5}(?:-\d{4})?)\b"
)
BIRTH = re.compile(
    r"\b(?:born on|date of birth|dob|d\.o\.b\.|birthday is|turns? \w+ on)\b[^.]{0,20}?"
    r"(?:\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}|(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+\d{1,2}|\d{1,2}(?:st|nd|rd|th)?\s+(?:of\s+)?(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec))",
    re.IGNORECASE,
)
UNIQUE_ROLE = re.compile(
    r"\b(?:the|an?|am|i'm|i am|as the|is the|was the)\s+(?:only|sole|one and only)\s+(?!one\b|thing|way|time|reason|option|problem|choice|difference|exception|people|person who|ones\b)"
    r"(?:[\w-]+\s+){0,3}?(?:[\w-]+)\s+(?:in|at|on|for|of)\s+(?:the\s+|our\s+|my\s+)?(?:(?-i:[A-Z])|town|village|the village|the town|our town|my town|our village|my village|the school|our school|our company)"
    r"|\b(?:der|die)\s+einzigen?\s+\w+\s+(?:in|im|bei|an)\s+"
    r"|\b(?:le seul|la seule|l'unique)\s+[\w-]+(?:\s+[\w-]+){0,2}\s+(?:à|de|du|en|dans)\s+"
    r"|\b(?:el único|la única|o único|a única|él único)\s+[\w-]+(?:\s+[\w-]+){0,2}\s+(?:en|de|del|da|do|na|no)\s+"
    r"|единственн\w+\s+\w+(?:\s+\w+)?\s+(?:в|на)\s+"
    r"|唯一の",
    re.IGNORECASE,
)
POPULATION = re.compile(
    r"\b(?:pop\.?|population)(?:\s+(?:of|about|around|approx\.?|approximately|roughly|under|just|barely|only|is|was|:))*\s*~?\s*(\d[\d,.\s]*)(k\b)?",
    re.IGNORECASE,
)
SMALL_PLACE = re.compile(r"\b(?:tiny|small|little)\s+(?:village|hamlet|town|island|community)\s+(?:of|called|named)\s+[A-Z]", re.IGNORECASE)
# A place described by its size: "a village of 300 people", "a hamlet of 80 inhabitants", "a
# 300-person village" (rules compares the figure with small_place_population).
_PLACE_WORDS = r"village|hamlet|town|township|island|community|settlement|parish|commune|pueblo|aldea|dorf|gemeinde"
PLACE_SIZE = re.compile(
    rf"\b(?:{_PLACE_WORDS}|деревн\w*|сел[оеау]\w*|посёлк\w*|посел\w*)\s+(?:of|de|mit|с|на)\s+"
    r"(?:(?:about|around|only|just|roughly|some|barely|under|fewer than|less than|approx\.?|approximately|~|unos|environ|"
    r"knapp|etwa|около)\s+)?(\d[\d,.]*\d|\d)\s*(k\b)?\s*"
    r"(?:people|persons|inhabitants|residents|souls|villagers|folks|families|habitants|habitantes|personas|"
    r"einwohner\w*|menschen|жител\w*|человек"
    r"|(?=[.,;!?)]|$))"  # "a hamlet of 80." with the noun left out
    rf"|\b(\d[\d,]*)[-\s](?:person|people|resident|inhabitant|soul)\s+(?:{_PLACE_WORDS})\b",
    re.IGNORECASE,
)
# A unique role or institution in an unnamed place: "the one primary school in our village", "the
# only school in a hamlet". With "our/my/the" the place is the writer's own: the role is unique (1);
# with "a" only when the text also gives the place's small size (see rules).
UNIQUE_IN_PLACE = re.compile(
    r"\b(?:the|our|their|my)\s+(?:only|sole|one)\s+(?!one\b|of\b|who\b|that\b|which\b|thing|way\b|time|day\b|more\b|and\b|"
    r"i\b|you\b|we\b|they\b|he\b|she\b|it\b|people|ones\b)(?:[\w-]+\s+){0,2}?[\w-]+\s+(?:in|at|of|for|serving)\s+"
    rf"(?:(the|our|my|this|their|a|an)\s+)?(?:(?:tiny|small|little|remote|rural)\s+)?(?:{_PLACE_WORDS})\b",
    re.IGNORECASE,
)
# A unique role through a small place's possessive, the place unnamed: "the island's only vet", "our
# village's sole doctor", "the hamlet's only shop owner" (rules keeps it when one of the words after
# "only" is a person's role or a business, not "the island's only road").
UNIQUE_POSSESSIVE = re.compile(
    r"\b(?:the|our|my|their|this|that)\s+(?:(?:tiny|small|little|local|remote|rural)\s+)?"
    rf"(?:{_PLACE_WORDS}|isle|islet|atoll|villages)['’]s?\s+(?:only|sole|one and only|lone|single|one)\s+"
    r"((?:[\w-]+\s+){0,2}[\w-]+)",
    re.IGNORECASE,
)
# A named small club or group introduced by the writer: "our book club, the Tuesday Night Readers".
OWN_GROUP = re.compile(
    r"\b(?:our|my)\s+(?:(?:local|little|small|amateur|weekly|monthly|village|church|school|office)\s+)?"
    r"(?:book club|reading group|choir|chorus|team|band|group|club|society|league|troupe|ensemble|orchestra|crew|"
    r"squad|guild|circle|collective|association|co-?op|congregation|troop|chapter|quiz team|writing group)"
    r"\s*[,:(—–-]\s*(?:(the|called|named)\s+)?"
    r"((?-i:[A-Z])[\w'’&-]*(?:\s+(?:(?:of|the|and|&|on|in|at|de)\s+)?(?-i:[A-Z])[\w'’&-]*)*)",
    re.IGNORECASE,
)
CJK_PERSON = re.compile(r"[\u4e00-\u9fff\u30a0-\u30ff]{1,4}(?:さん|様|さま|くん|君|ちゃん|氏)")
# Common Chinese surnames (simplified and traditional). A name after "我叫" or "用户" must start with
# one ("我叫外卖" is ordering take-away); surnames that are mostly function words (于, 向, 何, 方, ...)
# are left out.
_CN_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙朱胡郭罗郑梁谢宋唐许韩冯邓曹彭曾肖董袁潘蒋蔡余杜叶程苏魏吕丁沈姚卢姜崔钟谭陆汪"
    "范廖贾夏韦邹孟熊秦邱尹薛闫段雷侯龙史陶黎贺顾郝龚邵钱覃戴莫孔汤欧阎易常乔赖"
    "張劉陳楊黃趙吳許韓馮鄧蕭葉蘇呂盧鍾譚陸賈韋鄒閻龍賀顧龔錢湯歐喬賴"
)
# Verbs and function words that follow "用户<name>" in a summary: 用户王小明请求..., 用户李娜询问...,
# 用户张伟的订单. The name is taken as short as the verb after it allows.
_CN_USER_VERBS = (
    r"说|讲|反映|反馈|表示|称|声称|投诉|抱怨|询问|咨询|问|请求|请教|请|求助|寻求|要求|需要|要|希望|想|打算|计划|准备|"
    r"试图|尝试|提到|提出|提交|认为|觉得|感到|遇到|发现|无法|不能|不会|没有|没|已经|正在|刚|一直|上传|发送|发来|写|"
    r"分享|描述|报告|申请|预订|购买|订购|报名|联系|留言|评论|来自|住在|住|的|在|是|和|与|对|向|给|把|被|也|还|又|就|因|于|"
    r"[，,。：:、\s]"
)
CJK_SELF_NAME = re.compile(
    rf"(?:我叫|我的名字是|我名叫|本人叫|我姓)\s*([{_CN_SURNAMES}][\u4e00-\u9fff]{{1,2}})"
    rf"|用户\s*([{_CN_SURNAMES}][\u4e00-\u9fff]{{1,2}}?)(?={_CN_USER_VERBS})"
    r"|(?:私の名前は|わたしの名前は|僕の名前は)\s*([\u4e00-\u9fff\u30a0-\u30ff]{2,4})"
)
# A Chinese name opening a message before a comma, the clause after it about the person ("张伟，住在...",
# "李秀英，35岁", "王磊，你好"; not a list "杨树，柳树和松树"), or after 我是 ("我是刘洋，..."): rules drops
# frequent words that start with a surname character (谢谢, 周末, 程序员).
_CN_PROFILE_WORDS = (
    r"(?:住|岁|今年|男|女|来自|现在|现任|在|想|要|需要|希望|打算|我|他|她|你好|您好|电话|手机|邮箱|身份证|职业|工作|"
    r"就读|毕业|家住|出生|性别|年龄|学号|工号|[\d０-９])"
)
CN_NAME_OPENING = re.compile(
    rf"(?:^|(?<=[。！？!?\n]))\s*([{_CN_SURNAMES}][\u4e00-\u9fff]{{1,2}})\s*[，,](?=[^，,。！？!?\n]{{0,12}}?{_CN_PROFILE_WORDS})"
    rf"|我是\s*([{_CN_SURNAMES}][\u4e00-\u9fff]{{1,2}}?)(?=[，,。！!\s]|$|来自|今年|住在)"
)
# A Chinese street address: a road, street or lane word with its number and 号 (not 号线, a metro
# line), optionally a section before the number and a lane, building, unit, floor and room after it:
# 建国路88号3栋1201室, 长乐路123弄4号, 人民南路四段9号.
CN_ADDRESS = re.compile(
    r"[\u4e00-\u9fff](?:路|街|道|巷|弄|胡同|里)\s*(?:[一二三四五六七八九十\d０-９]{1,3}\s*段\s*)?[\d０-９]+\s*(?:弄\s*[\d０-９]+\s*)?号(?!线)"
    r"(?:\s*(?:院|楼)?\s*[\d０-９]+\s*(?:号楼|栋|幢|座|单元|楼|层|室|号|户))*"
)
# Japanese: a surname-initial self-introduction ("佐藤です", "私は高橋です") or any name before と申します
# ("山田と申します"); common surnames are class knowledge (single-character ones are left out: 森, 林
# are words too).
_JA_SURNAMES = (
    "佐藤|鈴木|高橋|田中|伊藤|渡辺|渡邊|山本|中村|小林|加藤|吉田|山田|佐々木|山口|松本|井上|木村|斎藤|斉藤|清水|山崎|"
    "池田|橋本|阿部|石川|山下|中島|石井|小川|前田|岡田|長谷川|藤田|後藤|近藤|村上|遠藤|青木|坂本|福田|太田|西村|藤井|"
    "金子|岡本|藤原|中野|三浦|原田|中川|松田|竹内|小野|田村|中山|和田|石田|森田|上田|内田|柴田|酒井|宮崎|横山|高木|"
    "安藤|宮本|大野|小島|谷口|今井|工藤|高田|増田|丸山|杉山|村田|大塚|新井|小山|平野|藤本|河野|上野|野口|武田|松井|"
    "千葉|岩崎|菅原|木下|久保|佐野|野村|松尾|菊地|菊池|杉本|市川|古川|大西|島田|水野|桜井|高野|渡部|吉川|山内|西田|"
    "飯田|西川|小松|北村|安田|五十嵐|川口|平田|中田|久保田|服部|岩田|土屋|川崎|福島|本田|樋口|秋山|田口|永井|山中|"
    "中西|吉村|川上|石原|大橋|松岡|馬場|浜田|森本|星野|矢野|大久保|松下|吉岡|小池|野田|荒木|大谷|内藤|松浦|熊谷|"
    "黒田|尾崎|永田|川村|望月|田辺|松村|荒井|大島|平井|早川|小西|岡崎|桑原|宮田|上原|関口|西山|須藤|片山|今村|"
    "山根|宮下|北川|石橋|新田|浅野|堀内|河合|小澤|小沢|青山"
)
JA_SELF_NAME = re.compile(
    r"([\u4e00-\u9fff\u3005\u30a0-\u30ff]{1,6}|[\u3040-\u309f]{2,6})\s*(?:と申します|と申す者です|と言います|といいます)(?!か|のは|ので)"
    r"|(?:^|(?<=[。！？!?\n、]))\s*(?:はじめまして|初めまして|こんにちは)?[、,\s]*(?:私は|わたしは|僕は|ぼくは|俺は)?\s*"
    rf"((?:{_JA_SURNAMES})[\u4e00-\u9fff]{{0,3}}?)\s*(?:です|でございます)(?=[。、！!？?,\s]|$|が|けど)"
)
# Korean: "저는 김민준이고", "제가 이서연입니다", "전 박지아예요": a surname syllable and two more,
# then a copula. rules drops frequent words (공무원, 한국인) and "word + role suffix" (신입생).
_KO_SURNAMES = "김이박최정강조윤장임한오서신권황안송류전홍고문양손배백허유남심노하곽성차주우구민진나지엄채원천방공현함변염여추도소석선설마길연위표명기반왕금옥육인맹제모탁국어은편용"
KO_SELF_NAME = re.compile(
    rf"(?:^|(?<=[\s.,!?]))(?:저는|제가|나는|내가|난|전)\s*([{_KO_SURNAMES}][\uac00-\ud7a3]{{2}})"
    r"(?:입니다|이에요|예요|이고|이며|이라고|라고|이야|야|이구요|이고요|고요)"
)
# Self-introductions in scripts without capital letters, where the name finder cannot see names:
# Arabic, Korean, Hindi, Hebrew, Thai, Persian/Urdu. The last group matched is the name; rules drops
# a function word there ("اسمي غير مهم": my name does not matter).
SELF_NAME_UNCASED = re.compile(
    r"(?:(?<![\u0600-\u06ff])(?:اسمي|إسمي|أنا اسمي|نام من|میرا نام)\s+(?:هو\s+|است\s+|ہے\s+)?([\u0600-\u06ff]{2,}(?:\s+[\u0600-\u06ff]{2,})?)"
    r"|(?:제|내|저의|나의)\s*이름은\s*([\uac00-\ud7a3]{2,4})"
    r"|(?:मेरा|मेरी)\s+नाम\s+([\u0900-\u097f]+(?:\s+[\u0900-\u097f]+){0,2}?)\s+(?:है|हैं|था)"
    r"|(?<![\u0590-\u05ff])(?:שמי|קוראים לי|השם שלי(?:\s+הוא)?)\s+([\u0590-\u05ff\"'׳״-]{2,}(?:\s+(?!ו)[\u0590-\u05ff\"'׳״-]{2,})?)"
    r"|(?:ฉัน|ผม|ดิฉัน|หนู|เรา)ชื่อ\s*([\u0e00-\u0e7f]{2,})|ชื่อของ(?:ฉัน|ผม|ดิฉัน)(?:คือ)?\s*([\u0e00-\u0e7f]{2,}))"
)
# A street or house with its number in a script without capitals, or in Japanese/Korean block
# addresses: Arabic شارع/منزل + number, Hindi पता/मकान + 12/4, Hebrew רחוב X 18, Thai บ้านเลขที่ 45,
# Korean 합정동 123-45, Japanese 2丁目8-1, 3番地.
_DIGITS = r"[\d٠-٩۰-۹०-९๐-๙０-９]"
# Particles and copulas that may follow a Korean block or road number: 역삼동 45-6에, 테헤란로 152에서,
# 망원동 412-7이에요 (not counters: 활동 2-3개)
_KO_ADDRESS_PARTICLE = r"(?:에서|에|으로|의|까지|번지|호|근처|쪽|이에요|예요|입니다|이고|이며|이야|이|가|은|는|을|를|도)"
ADDRESS_UNCASED = re.compile(
    rf"(?:شارع|منزل|بيت|عمارة|شقة|خیابان|کوچه|پلاک)\s+(?:[\u0600-\u06ff]+\s+){{0,3}}(?:رقم\s+)?{_DIGITS}+"
    rf"|(?:पता|मकान(?:\s*(?:नं\.?|नंबर|संख्या))?|गली(?:\s*(?:नं\.?|नंबर))?)\s*[:-]?\s*{_DIGITS}+(?:/{_DIGITS}+)?"
    rf"|(?<![\u0590-\u05ff])[בלמה]?רח(?:וב|')\s+(?:[\u0590-\u05ff\"'׳״-]+\s+){{1,3}}{_DIGITS}+"
    rf"|(?:บ้านเลขที่|เลขที่)\s*{_DIGITS}+(?:/{_DIGITS}+)?"
    rf"|[\uac00-\ud7a3]+(?:동|(?<!우)리)\s*{_DIGITS}+(?:-{_DIGITS}+(?![\w-])|(?:-{_DIGITS}+)?(?={_KO_ADDRESS_PARTICLE}))"
    rf"|[\uac00-\ud7a3]+(?<!으)(?:로|길)\s*{_DIGITS}+(?:-{_DIGITS}+)?(?:\s*번길)?(?:(?![\d\w])|(?={_KO_ADDRESS_PARTICLE}))"
    rf"|{_DIGITS}+(?:-{_DIGITS}+)?\s*번지"
    rf"|{_DIGITS}+\s*丁目\s*{_DIGITS}+(?:\s*[-−ー－番]\s*{_DIGITS}+)*|{_DIGITS}+\s*番地|[\u4e00-\u9fff]町\s*{_DIGITS}+\s*[-−－]\s*{_DIGITS}+"
    # a place name after a prefecture/city/ward/town word, then chome-banchi(-go): 世田谷区太子堂4-1-1
    rf"|[\u4e00-\u9fff]{{1,4}}(?:都|道|府|県|市|区|町|村|郡)[\u4e00-\u9fff\u3005\u30a0-\u30ff]{{1,6}}?{_DIGITS}{{1,4}}[-−－‐]{_DIGITS}{{1,4}}(?:[-−－‐]{_DIGITS}{{1,4}})?(?![\d\-−－年月日点位回歳時分秒％%])"
    # or a kanji place name then three numbers, or two numbers before a word of living or sending
    # (not an exercise, figure or era year: 練習問題1-2-3, 図3-2, 令和5-3-1)
    rf"|(?<![第問図表章節例式])[\u4e00-\u9fff\u3005]{{2,6}}(?<!問題|番号|練習|演習|課題|質問|設問|例題|令和|平成|昭和|大正|西暦){_DIGITS}{{1,4}}[-−－‐]{_DIGITS}{{1,4}}[-−－‐]{_DIGITS}{{1,4}}(?![\d\-−－])"
    rf"|(?<![第問図表章節例式])[\u4e00-\u9fff\u3005]{{2,6}}(?<!問題|番号|練習|演習|課題|質問|設問|例題|令和|平成|昭和|大正|西暦){_DIGITS}{{1,4}}[-−－‐]{_DIGITS}{{1,4}}(?=\s*(?:に住|に在住|在住|に引っ越|へ引っ越|に届|へ届|まで送|へ送|に送|宛))"
)
CJK_NAMED_PLACE = re.compile(r"(?:在|于|去|到)(?![一这那某每各大小])([\u4e00-\u9fff]{2,6})(?:物流|公司|科技|集团|餐厅|饭店|酒店|中学|小学|幼儿园|医院|诊所|工作室|超市|书店|咖啡馆|健身房)")
CJK_ORG = re.compile(r"(?:株式会社|有限会社|\(株\)|（株）)[\u3040-\u30ff\u4e00-\u9fffA-Za-z]+|[\u4e00-\u9fff]{2,8}(?:有限公司|公司|株式会社)")
QUOTED = re.compile(r"(?:(?<=[\s(:])|^)(?:'|\"|“|‘|«|„|「|『)([^'\"“”‘’«»„「」『』\n]{2,40})(?:'|\"|”|’|»|“|」|』)(?=[\s.,;:!?)]|$)")

TOKEN = re.compile(r"[^\W\d_](?:[\w'’.&\u055b-\u055e-]*[\w])?\.?|&|\d+|[^\w\s]", re.UNICODE)


# What generalise() puts in place of a private detail, by finding kind.
PLACEHOLDERS = {
    "person": "[person]",
    "name": "[name]",
    "organisation": "[organisation]",
    "email": "[email]",
    "url": "[web page]",
    "website": "[website]",
    "handle": "[username]",
    "card": "[card number]",
    "phone": "[phone number]",
    "identifier": "[number]",
    "group-number": "[group]",
    "address": "[address]",
    "street": "[street]",
    "birth-date": "[date]",
    "unique-role": "[role]",
    "small-place": "[place]",
    "place": "[place]",
    "place-small": "[place]",
    "place-mid": "[place]",
}


@dataclass(frozen=True)
class Finding:
    kind: str
    cap: int  # the highest score the text can get with this finding in it
    reason: str
    certain: bool = True
    span: tuple[int, int] | None = None  # where in the text, for generalise(); None: not localised
