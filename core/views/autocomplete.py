"""Rows of a registered model for a dropdown that is too large to render (core.widgets.AutocompleteSelect).

GET /core/autocomplete/<app_label>.<model>/?q=… → {"results": [{"id": …, "text": …}]}, at most
LIMIT rows the requesting user may view (`visible_to(user, "view")`: function permission and
data scope), found by the model's own search (`search_queryset`: for customers the token index,
Chinese substrings and pinyin initials) or its registered `search_fields`. A model that is not
registered, not declared large (`AUTOCOMPLETE = True`), has no search, or that the user may not
view answers 404; an empty query no rows.
"""

from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import Http404, JsonResponse

from ..choice_cache import large_choices, scoped_choices

LIMIT = 20
MIN_CHARS = 1
MAX_CHARS = 100


def _search(config, queryset, query):
    model = config.model
    if hasattr(model, "search_queryset"):
        return model.search_queryset(queryset, query)
    cond = Q()
    for name in config.search_fields:
        cond |= Q(**{f"{name}__icontains": query})
    return queryset.filter(cond)


@login_required
def autocomplete(request, label):
    from ..registry import get_config

    try:
        config = get_config(label.lower())
    except KeyError:
        raise Http404 from None
    model = config.model
    if not large_choices(model) or (not config.search_fields and not hasattr(model, "search_queryset")):
        raise Http404  # only what an AutocompleteSelect asks for: no listing of any other model
    queryset = model._default_manager.all()
    if scoped_choices(model):
        # What a form's dropdown of this model offers the user (core.forms.restrict_choices).
        if not request.user.has_perm(config.perm("view")):
            raise Http404
        queryset = queryset.visible_to(request.user, "view")
    query = request.GET.get("q", "").strip()[:MAX_CHARS]
    if len(query) < MIN_CHARS:
        return JsonResponse({"results": []})
    if not queryset.ordered:
        queryset = queryset.order_by("-pk")
    rows = _search(config, queryset, query)[:LIMIT]
    return JsonResponse({"results": [{"id": row.pk, "text": str(row)} for row in rows]})
