"""Customer search: token index (PostgreSQL GIN / SQLite FTS5) narrows, LIKE confirms.

See core/search_tokens.py for how tokens are made. For a query containing Chinese, the result
equals what `LIKE '%q%'` on name, short name and contact names gives (plus phone/email/code
matches); Latin and digit words match token prefixes (pinyin, initials, phone, email, code).
"""

import re

from django.db import connection
from django.db.models import Exists, OuterRef, Q

from core.search_tokens import has_cjk, query_terms

from .models import Contact, Customer

FTS_TABLE = "customers_customer_fts"


def _index_filter(queryset, terms):
    if not terms:
        return queryset
    table = Customer._meta.db_table
    if connection.vendor == "postgresql":
        tsquery = " & ".join(f"{t}:*" if prefix else t for t, prefix in terms)
        return queryset.extra(
            where=[f"{table}.search_vector @@ to_tsquery('simple'::regconfig, %s)"],  # migration 0004
            params=[tsquery],
        )
    if connection.vendor == "sqlite":
        match = " AND ".join(f'"{t}"*' if prefix else f'"{t}"' for t, prefix in terms)
        return queryset.extra(
            where=[f"{table}.id IN (SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s)"], params=[match]
        )
    cond = Q()
    for t, _prefix in terms:
        cond &= Q(search_text__contains=t)
    return queryset.filter(cond)


CODE_LIKE = re.compile(r"^[A-Za-z]{1,6}\d{4,}[-\d]*$")


def search_customers(queryset, query):
    query = (query or "").strip()[:100]
    if not query:
        return queryset
    if CODE_LIKE.match(query):
        by_code = queryset.filter(code__iexact=query)
        if by_code.exists():
            return by_code
    terms = query_terms(query)
    if has_cjk(query):
        # Only the CJK terms narrow (exact tokens); Latin words inside a Chinese query may sit in
        # the middle of a stored word ("abcxiaomi"), which the LIKE below still matches.
        cjk_terms = [(t, prefix) for t, prefix in terms if not prefix]
        contact_match = Exists(
            Contact.objects.filter(customer=OuterRef("pk"), deleted_at__isnull=True, name__icontains=query)
        )
        return _index_filter(queryset, cjk_terms).filter(
            Q(name__icontains=query) | Q(short_name__icontains=query) | contact_match
        )
    if not terms:
        # Nothing indexable ("-", "@", rare characters outside the CJK blocks): a plain LIKE,
        # never the unfiltered list.
        contact_match = Exists(
            Contact.objects.filter(customer=OuterRef("pk"), deleted_at__isnull=True, name__icontains=query)
        )
        cond = Q()
        for field in ("name", "short_name", "code", "phone", "mobile", "email"):
            cond |= Q(**{f"{field}__icontains": query})
        return queryset.filter(cond | contact_match)
    return _index_filter(queryset, terms)
