"""Search tokens that find Chinese without depending on the database locale (architecture §9).

A searchable row stores one space-separated token string made in Python:
  * CJK runs → every character and every bigram (so 1- and 2-character queries hit an index);
  * Latin words and digit runs → lower-cased words (prefix-matched at query time), those
    starting with "x" escaped as "xx…" so that no Latin word is a prefix of an encoded character;
  * Chinese names → full pinyin ("lihua") and initials ("lh"), with a surname override table.
Databases index the tokens (PostgreSQL GIN over a stored to_tsvector('simple') column, SQLite FTS5); candidates
are then confirmed with the exact LIKE on the real columns, so results equal a plain LIKE.
"""

import re
import unicodedata
from functools import lru_cache

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


class _EncodeTable(dict):
    """str.translate table: CJK characters → "x" + hex code point, filled on first use."""

    def __missing__(self, codepoint):
        value = f"x{codepoint:x}" if CJK_RUN.match(chr(codepoint)) else codepoint
        self[codepoint] = value
        return value


_ENCODE = _EncodeTable()


def latin(word):
    """A Latin/digit word as stored and queried: an encoded CJK character is "x" + hex digits, so
    a word starting with "x" gets a second "x" ("x5" → "xx5") and can never prefix-match one
    (the query "x5" found every name holding a character from U+5000 to U+5FFF)."""
    return "x" + word if word.startswith("x") else word


def latin_words(text):
    """Escaped Latin/digit words of already normalised `text`."""
    return [latin(w) for w in WORD.findall(text)]


def encode(token):
    """ASCII form of a token: CJK characters become x + hex code point (北京 → x5317x4eac).

    The index then holds only ASCII words, so neither PostgreSQL's parser (whatever LC_CTYPE)
    nor SQLite's FTS5 tokenizer can split or drop them.
    """
    return token.translate(_ENCODE)


def normalise(text):
    """NFKC (full-width → half-width), lower case."""
    return unicodedata.normalize("NFKC", text or "").lower()


def cjk_tokens(text):
    """Encoded unigrams and bigrams of every CJK run."""
    tokens = set()
    for run in CJK_RUN.findall(text):
        enc = [f"x{ord(ch):x}" for ch in run]
        tokens.update(enc)
        tokens.update(enc[i] + enc[i + 1] for i in range(len(enc) - 1))
    return tokens


@lru_cache(maxsize=300_000)
def _chunk_pinyin(chunk):
    from pypinyin import Style, lazy_pinyin

    return tuple(lazy_pinyin(chunk, style=Style.NORMAL, errors="ignore"))


def _syllables(run):
    """Pinyin syllables of a CJK run, converted two characters at a time.

    pypinyin's phrase segmentation costs ~0.3 ms per call; two-character chunks keep most
    phrase context (重庆 chongqing, 银行 yinhang) and make repeated chunks a cache hit,
    which keeps imports of 100,000 rows and bulk seeding fast.
    """
    result = []
    for i in range(0, len(run), 2):
        result.extend(_chunk_pinyin(run[i : i + 2]))
    return result


def pinyin_syllables(name, surname=True):
    """Syllables of a name's CJK characters, honouring the surname table when `surname`."""
    chars = "".join(CJK_RUN.findall(name))
    if not chars:
        return []
    if surname:
        for length in (2, 1):
            head = chars[:length]
            if head in SURNAME_PINYIN:
                head_syllables = list(_chunk_pinyin(head)) if length == 2 else [SURNAME_PINYIN[head]]
                if length == 2:
                    head_syllables = [SURNAME_PINYIN[head]] if len(head_syllables) != 2 else head_syllables
                return head_syllables + _syllables(chars[length:])
    return _syllables(chars)


def pinyin_of(name, surname=True):
    """(full, initials) of a Chinese name, e.g. 单田芳 → ("shantianfang", "stf")."""
    syllables = pinyin_syllables(name, surname)
    return "".join(syllables), "".join(s[0] for s in syllables if s)


def pinyin_tokens(name, surname=True):
    """Full pinyin and initials of every suffix (at syllable boundaries), so that a prefix
    query finds a name from any syllable: 北京龙虎科技 → …, "longhukeji", "lhkj", …"""
    syllables = [s for s in pinyin_syllables(name, surname) if s]
    tokens = set()
    for i in range(len(syllables)):
        rest = syllables[i:]
        tokens.add(latin("".join(rest)[:60]))
        tokens.add(latin("".join(s[0] for s in rest)))
    return tokens


def make_tokens(*texts, names=(), person_names=()):
    """Token string for free `texts`, plus pinyin for company `names` and `person_names`
    (person names use the surname table)."""
    tokens = set()
    for text in (*texts, *names, *person_names):
        text = normalise(text)
        tokens |= cjk_tokens(text)
        tokens.update(latin_words(text))
    for name, surname in [(n, False) for n in names] + [(n, True) for n in person_names]:
        tokens |= pinyin_tokens(normalise(name), surname=surname)
    tokens.discard("")
    return " ".join(sorted(tokens))


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
    terms.extend((w, True) for w in latin_words(text))
    # Dedupe, keep order; encoded like the stored tokens.
    seen, result = set(), []
    for token, prefix in terms:
        if (token, prefix) not in seen:
            seen.add((token, prefix))
            result.append((encode(token), prefix))
    return result


def has_cjk(query):
    return bool(CJK_RUN.search(query or ""))
