"""Extension points for later modules (deals, orders, contracts, tickets)."""

# callables(keep=, remove=) -> {"name": moved_count}: move a module's records on merge
merge_hooks = []
# callables(queryset) -> queryset: exclude customers with open business from pool recycling
open_business_filters = []
# callables(customer) -> [(label, value)]: key figures on the 360° page
key_figures = []
