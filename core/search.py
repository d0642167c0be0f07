"""Global search (Ctrl+K): every registered model with `search_fields`, scoped per user."""

from django.db.models import Q

PER_MODEL = 5


def global_search(user, query):
    from .registry import configs

    query = (query or "").strip()
    if not query:
        return []
    results = []
    for c in configs():
        if not c.search_fields or not user.has_perm(c.perm("view")):
            continue
        if hasattr(c.model, "search_queryset"):
            qs = c.model.search_queryset(c.queryset(user, "view"), query)
        else:
            cond = Q()
            for f in c.search_fields:
                cond |= Q(**{f"{f}__icontains": query})
            qs = c.queryset(user, "view").filter(cond)
        hits = list(qs[:PER_MODEL])
        if hits:
            results.append({"config": c, "hits": hits})
    return results
