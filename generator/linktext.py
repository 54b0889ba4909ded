"""Link text that says where a link leads. A link whose whole text is a generic phrase such as
"here" or "more" tells neither a search engine nor a reader skimming a page's links where it goes
(Lighthouse's SEO audit "Links have descriptive text" fails the page). A name from the content
can be one, such as the 2024 film *Here*: such a link gets the kind of thing it names after it,
"Here (work)". The model knows no more of a work than its name, so the kind is the context.
"""

from __future__ import annotations

# Lighthouse 12's list (core/audits/seo/link-text.js), by language. Lighthouse checks the list of
# the page's language (<html lang>), so a site in a language it has no list for has nothing to fix.
GENERIC_LINK_TEXT: dict[str, frozenset[str]] = {
    "en": frozenset({"click here", "click this", "go", "here", "information", "learn more", "more",
                     "more info", "more information", "right here", "read more", "see more", "start", "this"}),
    "ja": frozenset({"ここをクリック", "こちらをクリック", "リンク", "続きを読む", "続く", "全文表示"}),
    "es": frozenset({"click aquí", "click aqui", "clicka aquí", "clicka aqui", "pincha aquí", "pincha aqui", "aquí",
                     "aqui", "más", "mas", "más información", "más informacion", "mas información",
                     "mas informacion", "este", "enlace", "este enlace", "empezar"}),
    "pt": frozenset({"clique aqui", "ir", "mais informação", "mais informações", "mais", "veja mais"}),
    "ko": frozenset({"여기", "여기를 클릭", "클릭", "링크", "자세히", "자세히 보기", "계속", "이동", "전체 보기"}),
    "sv": frozenset({"här", "klicka här", "läs mer", "mer", "mer info", "mer information"}),
    "de": frozenset({"klicke hier", "hier klicken", "hier", "mehr", "siehe", "dies", "das", "weiterlesen"}),
    "ta": frozenset({"அடுத்த பக்கம்", "மறுபக்கம்", "முந்தைய பக்கம்", "முன்பக்கம்", "மேலும் அறிக", "மேலும் தகவலுக்கு",
                     "மேலும் தரவுகளுக்கு", "தயவுசெய்து இங்கே அழுத்தவும்", "இங்கே கிளிக் செய்யவும்"}),
    "fa": frozenset({"اطلاعات بیشتر", "اطلاعات", "این", "اینجا بزنید", "اینجا کلیک کنید", "اینجا", "برو",
                     "بیشتر بخوانید", "بیشتر بدانید", "بیشتر", "شروع"}),
}


def is_generic(text: str, language: str) -> bool:
    """Whether Lighthouse finds `text`, the whole of a link's text, generic on a page in `language`
    (a BCP 47 tag such as en-GB): compared as the browser shows it, spaces collapsed, in lower case."""
    generic = GENERIC_LINK_TEXT.get(language.split("-")[0].lower(), frozenset())
    return " ".join(text.split()).lower() in generic


def link_text(text: str, kind: str, language: str) -> str:
    """`text`, followed by `kind` in brackets where it alone would be generic: "Here (work)"."""
    return f"{text} ({kind})" if is_generic(text, language) else text
