from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from .search import global_search


@login_required
def search(request):
    query = request.GET.get("q", "")
    results = global_search(request.user, query)
    template = "core/search.html#results" if request.htmx else "core/search.html"
    return render(request, template, {"query": query, "results": results})
