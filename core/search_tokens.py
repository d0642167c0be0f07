"""Search tokens that find Chinese without depending on the database locale (architecture §9).

A searchable row stores one space-separated token string made in Python:
  * CJK runs → every character and every bigram (so 1- and 2-character queries hit an index);
  * Latin words and digit runs → lower-cased words (prefix-matched at query time);
  * Chinese names → full pinyin ("lihua") and initials ("lh"), with a surname override table.
Databases index the tokens (PostgreSQL GIN over to_tsvector('simple'), SQLite FTS5); candidates
are then confirmed with the exact LIKE on the real columns, so results equal a plain LIKE.
"""

import re
import unicodedata

CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
CJK_RUN = re.compile(f"[{CJK}]+")
WORD = re.compile(r"[0-9a-z]+")

# pypinyin reads these surnames with their common, not their surname, pronunciation.
SURNAME_PINYIN = {
    "单": "shan",
    "曾": "zeng",
    "解": "xie",
    "仇": "qiu",
    "朴": "piao",
    "区": "ou",
    "查": "zha",
    "盖": "ge",
    "覃": "qin",
    "尉迟": "yuchi",
    "万俟": "moqi",
    "长孙": "zhangsun",
    "乐": "yue",
    "缪": "miao",
    "繁": "po",
    "员": "yun",
    "冼": "xian",
    "秘": "bi",
    "隗": "wei",
    "句": "gou",
    "种": "chong",
    "任": "ren",
    "华": "hua",
    "黑": "he",
    "翟": "zhai",
    "宓": "mi",
    "召": "shao",
}


def encode(token):
    """ASCII form of a token: CJK characters become x + hex code point (北京 → x5317x4eac).

    The index then holds only ASCII words, so neither PostgreSQL's parser (whatever LC_CTYPE)
    nor SQLite's FTS5 tokenizer can split or drop them.
    """
    return "".join(f"x{ord(ch):x}" if CJK_RUN.match(ch) else ch for ch in token)


def normalise(text):
    """NFKC (full-width → half-width), lower case."""
    return unicodedata.normalize("NFKC", text or "").lower()


def cjk_tokens(text):
    tokens = set()
    for run in CJK_RUN.findall(text):
        tokens.update(run)
        tokens.update(run[i : i + 2] for i in range(len(run) - 1))
    return tokens


def pinyin_of(name, surname=True):
    """(full, initials) of a Chinese name, e.g. 单田芳 → ("shantianfang", "stf")."""
    from pypinyin import Style, lazy_pinyin

    chars = "".join(CJK_RUN.findall(name))
    if not chars:
        return "", ""
    head, rest = "", chars
    if surname:
        for length in (2, 1):
            if chars[:length] in SURNAME_PINYIN:
                head, rest = SURNAME_PINYIN[chars[:length]], chars[length:]
                head_initials = "".join(p[0] for p in _split_compound(chars[:length], head))
                break
        else:
            head_initials = ""
    else:
        head_initials = ""
    syllables = lazy_pinyin(rest, style=Style.NORMAL, errors="ignore")
    full = head + "".join(syllables)
    initials = head_initials + "".join(s[0] for s in syllables if s)
    return full, initials


def _split_compound(chars, pinyin):
    if len(chars) == 1:
        return [pinyin]
    from pypinyin import lazy_pinyin

    return lazy_pinyin(chars)


def make_tokens(*texts, names=(), person_names=()):
    """Token string for free `texts`, plus pinyin for company `names` and `person_names`
    (person names use the surname table)."""
    tokens = set()
    for text in (*texts, *names, *person_names):
        text = normalise(text)
        tokens |= cjk_tokens(text)
        tokens.update(WORD.findall(text))
    for name, surname in [(n, False) for n in names] + [(n, True) for n in person_names]:
        full, initials = pinyin_of(normalise(name), surname=surname)
        if full:
            tokens.add(full)
            tokens.add(initials)
    return " ".join(sorted(encode(t) for t in tokens if t))


def query_terms(query):
    """Terms a query must all match: [(token, is_prefix)].

    CJK: bigrams of each run (a single character is its own token); Latin/digits: prefix words.
    """
    text = normalise(query)
    terms = []
    for run in CJK_RUN.findall(text):
        if len(run) == 1:
            terms.append((run, False))
        else:
            terms.extend((run[i : i + 2], False) for i in range(len(run) - 1))
    terms.extend((w, True) for w in WORD.findall(text))
    # Dedupe, keep order; encoded like the stored tokens.
    seen, result = set(), []
    for token, prefix in terms:
        if (token, prefix) not in seen:
            seen.add((token, prefix))
            result.append((encode(token), prefix))
    return result


def has_cjk(query):
    return bool(CJK_RUN.search(query or ""))
