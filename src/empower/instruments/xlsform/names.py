"""The fixed names and texts of Empower's XLSForms: what exports write and imports rely on."""

from __future__ import annotations

import re
from datetime import date

from empower.instruments.model import (
    PREFER_NOT_TO_SAY,
    Texts,
)

# --------------------------------------------------------------------------- fixed names

#: Field names every exported form carries; the submission importer relies on them.
START, END = "start", "end"
INSTRUMENT_FIELD = "instrument"
PARTICIPANT_CODE = "participant_code"
CONDUCTED_ON = "conducted_on"
INTERVIEW_LANGUAGE = "interview_language"
SERVICES = "services"
SERVICE_TYPE = "service_type"
PROVIDER_TYPE = "provider_type"
RESPECTED_WISHES = "respected_wishes"
CONDITIONS = "conditions"
SERVICE_EFFECT_PREFIX = "service_effect__"
FIXED_FIELDS = (START, END, INSTRUMENT_FIELD, PARTICIPANT_CODE, CONDUCTED_ON, INTERVIEW_LANGUAGE)

#: Choice lists of the fixed fields; an instrument's scales must not use these ids.
LANGUAGE_LIST = "empower_language"
SERVICE_TYPE_LIST = "service_type"
PROVIDER_TYPE_LIST = "provider_type"
CONDITION_LIST = "service_condition"
YES_NO_LIST = "yes_no_pnts"
FIXED_LISTS = (LANGUAGE_LIST, SERVICE_TYPE_LIST, PROVIDER_TYPE_LIST, CONDITION_LIST, YES_NO_LIST)

#: The pseudonymous code format of ``empower.web.people``; never a name.
PARTICIPANT_CODE_CONSTRAINT = "regex(., '^P-[2-9A-HJ-NP-Z]{6}$')"

#: Empower's own columns on the survey and choices sheets (pyxform ignores ``x::y`` columns
#: whose first part is not one of its own).
EMPOWER_COLUMNS = ("kind", "axis", "factor", "subscale", "reverse", "sensitivity", "section")
TEXT_VALUE_COLUMN = "empower::text_value"

#: Empower's own sheets (pyxform ignores sheets it does not know).
INSTRUMENT_SHEET = "empower_instrument"
AXES_SHEET = "empower_axes"
FACTORS_SHEET = "empower_factors"
SUBSCALES_SHEET = "empower_subscales"
SCALES_SHEET = "empower_scales"

#: English name and own name of languages an instrument is likely to be translated into.
#: The English name goes into the column header (``label::Bengali (bn)``) as ODK recommends;
#: the own name is what an interviewer picks from the interview-language list.
LANGUAGE_NAMES: dict[str, tuple[str, str]] = {
    "en": ("English", "English"),
    "bn": ("Bengali", "বাংলা"),
    "my": ("Burmese", "မြန်မာ"),
    "th": ("Thai", "ไทย"),
    "ne": ("Nepali", "नेपाली"),
    "hi": ("Hindi", "हिन्दी"),
    "ur": ("Urdu", "اردو"),
    "km": ("Khmer", "ខ្មែរ"),
    "lo": ("Lao", "ລາວ"),
    "vi": ("Vietnamese", "Tiếng Việt"),
    "id": ("Indonesian", "Bahasa Indonesia"),
    "ms": ("Malay", "Bahasa Melayu"),
    "tl": ("Tagalog", "Tagalog"),
    "zh": ("Chinese", "中文"),
    "ar": ("Arabic", "العربية"),
    "fr": ("French", "Français"),
    "es": ("Spanish", "Español"),
    "pt": ("Portuguese", "Português"),
    "sw": ("Swahili", "Kiswahili"),
    "ta": ("Tamil", "தமிழ்"),
    "si": ("Sinhala", "සිංහල"),
}

#: Texts of the fixed fields, which an instrument file does not hold. Languages missing here
#: fall back to English, so a form in a new language still converts without warnings.
FIXED_TEXTS: dict[str, Texts] = {
    "participant_code": {
        "en": "Participant code (never a name)",
        "bn": "অংশগ্রহণকারীর কোড (কখনো নাম নয়)",
        "my": "ပါဝင်သူ ကုဒ်နံပါတ် (အမည် လုံးဝ မထည့်ရ)",
        "th": "รหัสผู้เข้าร่วม (ห้ามใส่ชื่อ)",
    },
    "participant_code_hint": {
        "en": "The code from Empower, such as P-4K7M2Q.",
        "bn": "Empower-এর কোড, যেমন P-4K7M2Q।",
        "my": "Empower မှ ကုဒ်နံပါတ်၊ ဥပမာ P-4K7M2Q။",
        "th": "รหัสจาก Empower เช่น P-4K7M2Q",
    },
    "participant_code_message": {
        "en": "A code looks like P-4K7M2Q: P, a dash and six letters or digits.",
        "bn": "কোড দেখতে P-4K7M2Q-এর মতো: P, একটি ড্যাশ এবং ছয়টি অক্ষর বা সংখ্যা।",
        "my": "ကုဒ်သည် P-4K7M2Q ကဲ့သို့ ဖြစ်သည်- P၊ တုံးတို တစ်ခုနှင့် စာလုံး သို့မဟုတ် ဂဏန်း ခြောက်လုံး။",
        "th": "รหัสมีรูปแบบเช่น P-4K7M2Q: ตัว P ขีดกลาง และตัวอักษรหรือตัวเลขหกตัว",
    },
    "conducted_on": {
        "en": "Date of the interview",
        "bn": "সাক্ষাৎকারের তারিখ",
        "my": "အင်တာဗျူး ပြုလုပ်သည့် ရက်စွဲ",
        "th": "วันที่สัมภาษณ์",
    },
    "interview_language": {
        "en": "Language of the interview",
        "bn": "সাক্ষাৎকারের ভাষা",
        "my": "အင်တာဗျူး ပြုလုပ်သည့် ဘာသာစကား",
        "th": "ภาษาที่ใช้สัมภาษณ์",
    },
    "services": {
        "en": "Services received",
        "bn": "পাওয়া সেবাসমূহ",
        "my": "ရရှိခဲ့သော ဝန်ဆောင်မှုများ",
        "th": "บริการที่ได้รับ",
    },
    "service_type": {
        "en": "Which service?",
        "bn": "কোন সেবা?",
        "my": "မည်သည့် ဝန်ဆောင်မှုလဲ။",
        "th": "บริการอะไร",
    },
    "provider_type": {
        "en": "Who provided it?",
        "bn": "কে এই সেবা দিয়েছে?",
        "my": "မည်သူက ပေးခဲ့သနည်း။",
        "th": "ใครเป็นผู้ให้บริการ",
    },
    "respected_wishes": {
        "en": "Did it respect your own needs and wishes?",
        "bn": "এতে কি আপনার নিজের প্রয়োজন ও ইচ্ছাকে সম্মান করা হয়েছে?",
        "my": "၎င်းသည် သင်၏ ကိုယ်ပိုင် လိုအပ်ချက်များနှင့် ဆန္ဒများကို လေးစားခဲ့သလား။",
        "th": "บริการนี้เคารพความต้องการและความประสงค์ของคุณหรือไม่",
    },
    "conditions": {
        "en": "Did any of these come with it?",
        "bn": "এর সঙ্গে কি এগুলোর কোনোটি ছিল?",
        "my": "၎င်းနှင့်အတူ ဤအရာများထဲမှ တစ်ခုခု ပါဝင်ခဲ့သလား။",
        "th": "มีสิ่งใดต่อไปนี้มาพร้อมกับบริการหรือไม่",
    },
    "service_effect": {
        "en": "How did this service affect you in the area of “{axis}”?",
        "bn": "“{axis}”—এই ক্ষেত্রে এই সেবা আপনার ওপর কেমন প্রভাব ফেলেছে?",
        "my": "“{axis}” နယ်ပယ်တွင် ဤဝန်ဆောင်မှုသည် သင့်အပေါ် မည်သို့ သက်ရောက်ခဲ့သနည်း။",
        "th": "บริการนี้ส่งผลต่อคุณอย่างไรในด้าน “{axis}”",
    },
    "yes": {"en": "Yes", "bn": "হ্যাঁ", "my": "ဟုတ်ကဲ့", "th": "ใช่"},
    "no": {"en": "No", "bn": "না", "my": "မဟုတ်ပါ", "th": "ไม่ใช่"},
    PREFER_NOT_TO_SAY: {
        "en": "Prefer not to say",
        "bn": "বলতে চাই না",
        "my": "မပြောလိုပါ",
        "th": "ไม่ประสงค์จะตอบ",
    },
}

INT_PATTERN = re.compile(r"^-?[0-9]+$")
INSTRUMENT_CALCULATION = re.compile(r"""^\s*(['"])([^'"@]+)@([^'"@]+)\1\s*$""")
CODE_IN_HEADER = re.compile(r"\(\s*([A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8})*)\s*\)\s*$")
XML_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")


def form_version(on: date | None = None, revision: int = 1) -> str:
    """The XLSForm ``version`` in the yyyymmddrr convention: the date and a two-digit revision.

    Form servers only accept a form again when its version changes; the revision counts
    uploads made on the same day.

    >>> form_version(date(2026, 5, 20), 3)
    '2026052003'
    """
    if not 1 <= revision <= 99:
        raise ValueError(f"the revision must be between 1 and 99, not {revision}")
    return f"{(on or date.today()):%Y%m%d}{revision:02d}"


def language_column(code: str) -> str:
    """The language part of a text column: ``English (en)``, as ODK and Kobo expect."""
    name = LANGUAGE_NAMES.get(code, (code, code))[0]
    return f"{name} ({code})"


