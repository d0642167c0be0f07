from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from core.bounds import parse_id

from .models import Region


@login_required
def region_options(request):
    """<option>s of the children of ?parent= (province → city → district cascades)."""
    parent = parse_id(request.GET.get("parent") or request.GET.get("province") or request.GET.get("city"))
    regions = Region.objects.filter(parent_id=parent, enabled=True).order_by("order", "code") if parent else []
    return render(request, "basedata/_region_options.html", {"regions": regions})
