from urllib.parse import urlencode

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import permissions, serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from core.api.viewsets import ScopedModelViewSet
from core.registry import get_config

from .. import permissions as workflow
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

JOB_PARAMETER = OpenApiParameter("job", int, OpenApiParameter.PATH, description="Import job id")


class CustomerViewSet(ScopedModelViewSet):
    """Customers in the caller's data scope. Workflow transitions are POST actions."""

    queryset = Customer.objects.none()
    serializer_class = CustomerSerializer
    extra_action_perms = {
        "release": "release",
        "transfer": "transfer",
        "tag": "change",
        "merge": "merge",
        "owner_history": "view",
        "duplicates": "view",
        "review": "review",
        "export": "export",
        "import_upload": "import",
        "import_job": "import",
        "import_confirm": "import",
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
        qs = self.filter_queryset(selectors.pool_queryset(request.user)).order_by("-pool_entered_at", "-id")
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(PoolCustomerSerializer(page, many=True).data)

    @extend_schema(request=None, responses=CustomerSerializer)
    @action(detail=True, methods=["post"], permission_classes=[permissions.IsAuthenticated])
    def claim(self, request, pk=None):
        customer = services.customer_claim(actor=request.user, customer=self._pool_object(pk))
        return Response(CustomerSerializer(customer, context=self.get_serializer_context()).data)

    @extend_schema(request=AssignSerializer, responses=CustomerSerializer)
    @action(detail=True, methods=["post"], permission_classes=[permissions.IsAuthenticated])
    def assign(self, request, pk=None):
        workflow.require(request.user, "assign")  # before the body is read
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
        data = MergeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        keep = self.get_object()
        other = get_object_or_404(self.get_queryset(), pk=data.validated_data["other"])
        customer = services.customer_merge(actor=request.user, keep=keep, remove=other)
        return Response(CustomerSerializer(customer, context=self.get_serializer_context()).data)

    @extend_schema(request=ReviewSerializer, responses=CustomerSerializer)
    @action(detail=True, methods=["post"])
    def review(self, request, pk=None):
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

    # --- export and import (CUS-10): the same engine, checks and audit as the web screens -----
    @extend_schema(
        parameters=[OpenApiParameter("file_format", str, enum=["xlsx", "csv"], description="default xlsx")],
        responses={(200, "application/octet-stream"): OpenApiTypes.BINARY},
    )
    @action(detail=False, methods=["get"])
    def export(self, request):
        """The filtered list (same query parameters as the list) as XLSX or CSV; audited."""
        from core.audit import audit_log
        from core.exporting import export_response

        queryset = self.filter_queryset(self.get_queryset())
        fmt = "csv" if request.query_params.get("file_format") == "csv" else "xlsx"
        params = {k: v for k, v in request.query_params.items() if k not in {"file_format", "page"} and v}
        audit_log(
            actor=request.user,
            action="export",
            model=Customer,
            object_repr=str(Customer._meta.verbose_name_plural),
            message=f"{fmt}; filter: {urlencode(params) or '-'}",
        )
        return export_response(queryset, self.config.export_fields, fmt, self.config.url_base)

    def _check_import(self):
        if not self.request.user.has_perm("customers.add_customer"):
            raise PermissionDenied()

    def _job(self, pk):
        from core.models import ImportJob

        return get_object_or_404(ImportJob, pk=pk, model_label=self.config.label, created_by=self.request.user)

    def _job_data(self, job):
        return {
            "id": job.pk,
            "file": job.original_name,
            "status": job.status,
            "total_rows": job.total_rows,
            "processed_rows": job.processed_rows,
            "valid_rows": job.valid_rows,
            "created_rows": job.created_rows,
            "updated_rows": job.updated_rows,
            "skipped_rows": job.skipped_rows,
            "message": job.message,
            "errors": job.errors,
        }

    @extend_schema(
        request=inline_serializer(
            "CustomerImportUpload",
            {
                "file": serializers.FileField(),
                "duplicate_strategy": serializers.ChoiceField(["skip", "update", "create"], default="skip"),
                "target": serializers.ChoiceField(["me", "owner", "pool"], default="me"),
                "owner": serializers.IntegerField(required=False),
            },
        ),
        responses={202: OpenApiTypes.OBJECT},
    )
    @action(detail=False, methods=["post"], url_path="import", parser_classes=[MultiPartParser, FormParser])
    def import_upload(self, request):
        """Upload an XLSX/CSV file: every row is checked (nothing saved); read the report, then confirm."""
        from core.importing import ImportSpec, read_header
        from core.models import ImportJob
        from core.tasks import import_job_run

        from ..importing import CustomerImportForm

        self._check_import()
        data = {
            "duplicate_strategy": request.data.get("duplicate_strategy") or "skip",
            "target": request.data.get("target") or "me",
            "owner": request.data.get("owner") or "",
        }
        form = CustomerImportForm(data, request.FILES, user=request.user)
        if not form.is_valid():
            raise ValidationError({k: [str(m) for m in v] for k, v in form.errors.items()})
        upload = form.cleaned_data["file"]
        try:
            header = read_header(upload, upload.name)
            ImportSpec(self.config).map_header(header)
        except ValidationError as e:
            raise ValidationError({"file": e.messages}) from e
        upload.seek(0)
        job = ImportJob.objects.create(
            model_label=self.config.label,
            file=upload,
            original_name=upload.name[:255],
            options=form.import_options(),
            created_by=request.user,
        )
        transaction.on_commit(lambda: import_job_run(job.pk, request.user.pk, False))
        return Response(self._job_data(job), status=status.HTTP_202_ACCEPTED)

    @extend_schema(request=None, responses=OpenApiTypes.OBJECT, parameters=[JOB_PARAMETER])
    @action(detail=False, methods=["get"], url_path=r"import/(?P<job>\d+)")
    def import_job(self, request, job=None):
        """Progress and report (row, column, reason) of an import."""
        return Response(self._job_data(self._job(job)))

    @extend_schema(request=None, responses={202: OpenApiTypes.OBJECT}, parameters=[JOB_PARAMETER])
    @action(detail=False, methods=["post"], url_path=r"import/(?P<job>\d+)/confirm")
    def import_confirm(self, request, job=None):
        """Import the valid rows of a checked upload (once: a second confirmation is refused)."""
        from core.models import ImportJob
        from core.tasks import import_job_run

        self._check_import()
        job = self._job(job)
        claimed = ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.CHECKED, valid_rows__gt=0).update(
            status=ImportJob.Status.PENDING
        )
        if not claimed:
            raise ValidationError({"status": [_("This import has no checked rows to import.")]})
        transaction.on_commit(lambda: import_job_run(job.pk, request.user.pk, True))
        job.refresh_from_db()
        return Response(self._job_data(job), status=status.HTTP_202_ACCEPTED)
