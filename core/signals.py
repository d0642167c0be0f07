"""Signals core sends for apps to act on without core importing them."""

from django.dispatch import Signal

# An owned record changed hands (core.services.owner_transfer; customers' claim, assign, release
# and transfer). Arguments: instance, previous, new_owner (None: into a pool), actor, reason,
# notify_new_owner (False when the sender tells the new owner itself).
owner_changed = Signal()
