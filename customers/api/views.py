from django.contrib.auth import get_user_model
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import permissions
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.response import Response

from core.api.viewsets import ScopedModelViewSet
from core.registry import get_config

from .. import selectors, services
from ..models import Customer, Tag
from .serializers import (
    AssignSerializer,
    CustomerSerializer,
    DuplicateSerializer,
    MergeSerializer,
    OwnerHistorySerializer,
    PoolCustomerSerializer,
    ReasonSerializer,
    ReviewSerializer,
    TagActionSerializer,
    TransferSerializer,
)


class CustomerViewSet(ScopedModelViewSet):
    """Customers in the caller's data scope. Workflow transitions are POST actions."""

    queryset = Customer.objects.none()
    serializer_class = CustomerSerializer
    extra_action_perms = {
        "release": "release",
        "transfer": "transfer",
        "tag": "change",
        "merge": "change",
        "owner_history": "view",
        "duplicates": "view",
        "review": "view",
    }

    @property
    def config(self):
        return get_config(Customer)

    def get_serializer_class(self):
        if self.action == "pool":
            return PoolCustomerSerializer
        return CustomerSerializer

    def perform_create(self, serializer):
        serializer.instance = self.config.service.create(actor=self.request.user, data=dict(serializer.validated_data))

    def _pool_object(self, pk):
        return get_object_or_404(selectors.pool_queryset(self.request.user), pk=pk)

    @extend_schema(responses=PoolCustomerSerializer(many=True))
    @action(detail=False, methods=["get"], permission_classes=[permissions.IsAuthenticated])
    def pool(self, request):
        """Customers in the public pool (phone/email masked)."""
        if not (
            request.user.has_perm("customers.claim_customer") or request.user.has_perm("customers.assign_customer")
        ):
            raise PermissionDenied()
        qs = self.filter_queryset(selectors.pool_queryset(request.user)).order_by("-pool_entered_at", "-id")
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(PoolCustomerSerializer(page, many=True).data)

    @extend_schema(request=None, responses=CustomerSerializer)
    @action(detail=True, methods=["post"], permission_classes=[permissions.IsAuthenticated])
    def claim(self, request, pk=None):
        if not request.user.has_perm("customers.claim_customer"):
            raise PermissionDenied()
        customer = services.customer_claim(actor=request.user, customer=self._pool_object(pk))
        return Response(CustomerSerializer(customer, context=self.get_serializer_context()).data)

    @extend_schema(request=AssignSerializer, responses=CustomerSerializer)
    @action(detail=True, methods=["post"], permission_classes=[permissions.IsAuthenticated])
    def assign(self, request, pk=None):
        if not request.user.has_perm("customers.assign_customer"):
            raise PermissionDenied()
        data = AssignSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        owner = get_user_model().objects.filter(pk=data.validated_data["owner"]).first()
        if owner is None:
            raise NotFound()
        customer = services.customer_assign(actor=request.user, customer=self._pool_object(pk), owner=owner)
        return Response(CustomerSerializer(customer, context=self.get_serializer_context()).data)

    @extend_schema(request=ReasonSerializer, responses=CustomerSerializer)
    @action(detail=True, methods=["post"])
    def release(self, request, pk=None):
        data = ReasonSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        customer = services.customer_release(
            actor=request.user, customer=self.get_object(), reason=data.validated_data["reason"]
        )
        return Response(CustomerSerializer(customer, context=self.get_serializer_context()).data)

    @extend_schema(
        request=TransferSerializer,
        responses={200: {"type": "object", "properties": {"transferred": {"type": "integer"}}}},
    )
    @action(detail=False, methods=["post"])
    def transfer(self, request):
        data = TransferSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        customers = list(self.get_queryset().filter(pk__in=data.validated_data["customers"]))
        if len(customers) != len(set(data.validated_data["customers"])):
            raise NotFound()
        owner = get_user_model().objects.filter(pk=data.validated_data["owner"]).first()
        if owner is None:
            raise NotFound()
        moved = services.customers_transfer(
            actor=request.user, customers=customers, new_owner=owner, reason=data.validated_data["reason"]
        )
        return Response({"transferred": len(moved)})

    @extend_schema(
        request=TagActionSerializer, responses={200: {"type": "object", "properties": {"tagged": {"type": "integer"}}}}
    )
    @action(detail=False, methods=["post"])
    def tag(self, request):
        data = TagActionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        customers = list(self.get_queryset().filter(pk__in=data.validated_data["customers"]))
        if len(customers) != len(set(data.validated_data["customers"])):
            raise NotFound()
        tags = list(Tag.objects.filter(pk__in=data.validated_data["tags"]))
        services.customers_tag(actor=request.user, customers=customers, tags=tags, remove=data.validated_data["remove"])
        return Response({"tagged": len(customers)})

    @extend_schema(request=MergeSerializer, responses=CustomerSerializer)
    @action(detail=True, methods=["post"])
    def merge(self, request, pk=None):
        if not request.user.has_perm("customers.merge_customer"):
            raise PermissionDenied()
        data = MergeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        keep = self.get_object()
        other = get_object_or_404(self.get_queryset(), pk=data.validated_data["other"])
        customer = services.customer_merge(actor=request.user, keep=keep, remove=other)
        return Response(CustomerSerializer(customer, context=self.get_serializer_context()).data)

    @extend_schema(request=ReviewSerializer, responses=CustomerSerializer)
    @action(detail=True, methods=["post"])
    def review(self, request, pk=None):
        if not request.user.has_perm("customers.review_customer"):
            raise PermissionDenied()
        data = ReviewSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        customer = services.customer_review(actor=request.user, customer=self.get_object(), **data.validated_data)
        return Response(CustomerSerializer(customer, context=self.get_serializer_context()).data)

    @extend_schema(responses=OwnerHistorySerializer(many=True))
    @action(detail=True, methods=["get"], url_path="owner-history", pagination_class=None)
    def owner_history(self, request, pk=None):
        customer = self.get_object()
        return Response(OwnerHistorySerializer(customer.owner_history.all()[:200], many=True).data)

    @extend_schema(
        parameters=[OpenApiParameter(n, str) for n in ("name", "phone", "mobile", "email")],
        responses=DuplicateSerializer,
    )
    @action(detail=False, methods=["get"])
    def duplicates(self, request):
        """Possible duplicates; records outside your scope come back as a summary only."""
        q = request.query_params
        matches = services.find_duplicates(
            name=q.get("name", ""), phone=q.get("phone", ""), mobile=q.get("mobile", ""), email=q.get("email", "")
        )
        visible, hidden = selectors.duplicate_summary(request.user, matches)
        return Response({"visible": [{"id": c.pk, "code": c.code, "name": c.name} for c in visible], "hidden": hidden})
