"""Pages of the Excel exports and imports; the work is in `exports` and `imports`."""

import io

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from core.request_size import takes_photos
from core.web import Conflict, flash_errors
from reports.excel import exports, imports, sheets
from reports.models import ExportJob, ImportBatch

XLSX = exports.XLSX


def _back(request):
    """The page the export started from (same site only), or the home page."""
    referer = request.headers.get("Referer", "")
    host = request.get_host()
    if referer.startswith((f"http://{host}/", f"https://{host}/")):
        return referer
    return reverse("home")


@login_required
@require_POST
def export_start(request, kind):
    """Export the page's rows with its filters (the query string): a small export is the
    download itself; a large one becomes a job whose page shows its progress."""
    # The page's query string, and what its form adds (the team or month the page chose by default).
    data = request.GET.copy()
    data.update(request.POST)
    try:
        export = exports.prepare(request.user, kind, exports.plain(data))
        if exports.is_small(export):
            return FileResponse(exports.write_now(export), as_attachment=True, filename=export.filename,
                                content_type=XLSX)
        job = exports.start(user=request.user, kind=kind, data=data)
    except sheets.UnknownKind:
        raise Http404 from None
    except ValidationError as error:
        flash_errors(request, error)
        return redirect(_back(request))
    return redirect("export-detail", job.pk)


def _job(request, pk):
    return get_object_or_404(exports.jobs_of(request.user), pk=pk)


@login_required
@require_GET
def export_detail(request, pk):
    job = _job(request, pk)
    return render(request, "reports/export.html", {
        "job": job, "label": sheets.KIND_LABELS.get(job.kind, job.kind), "expired": job.is_expired(timezone.now()),
    })


@login_required
@require_GET
def export_status(request, pk):
    job = _job(request, pk)
    done = job.status == ExportJob.Status.DONE and not job.is_expired(timezone.now())
    return JsonResponse({
        "status": job.status, "status_display": job.get_status_display(), "progress": job.progress,
        "rows": job.rows, "total": job.total, "download": reverse("export-download", args=[job.pk]) if done else None,
    })


@login_required
@require_GET
def export_download(request, pk):
    """The file, to the user who asked only, until it expires."""
    job = _job(request, pk)
    if job.status != ExportJob.Status.DONE or not job.file:
        raise Http404
    if job.is_expired(timezone.now()):
        return render(request, "reports/export.html", {"job": job, "expired": True,
                                                       "label": sheets.KIND_LABELS.get(job.kind, job.kind)},
                      status=410)
    try:
        handle = job.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    return FileResponse(handle, as_attachment=True, filename=exports.filename(job), content_type=XLSX)


# Imports.


def _import_kinds(request):
    kinds = imports.kinds_for(request.user)
    if not kinds:
        raise PermissionDenied
    return kinds


@login_required
@require_GET
def import_page(request):
    kinds = _import_kinds(request)
    return render(request, "reports/imports.html", {
        "kinds": [(kind, imports.KINDS[kind]) for kind in kinds],
        "max_size": filesizeformat(settings.IMPORT_MAX_BYTES),
        "max_rows": settings.IMPORT_MAX_ROWS,
    })


@login_required
@require_GET
def import_template(request, kind):
    if kind not in _import_kinds(request):
        raise Http404
    name = _("%(kind)s template.xlsx") % {"kind": imports.KINDS[kind].label}
    return FileResponse(io.BytesIO(imports.template(kind, request.user)), as_attachment=True, filename=name,
                        content_type=XLSX)


def _report_page(request, kind, report, *, name, batch=None, refused=None, status=200):
    return render(request, "reports/import_report.html", {
        "kind": kind, "spec": imports.KINDS[kind], "report": report, "name": name, "batch": batch,
        "refused": refused, "problems": report.problems[:500] if report else [],
    }, status=status)


@takes_photos  # an import file may be larger than a form's usual body; `imports` bounds it itself
@login_required
@require_POST
def import_upload(request, kind):
    if kind not in _import_kinds(request):
        raise Http404
    upload = request.FILES.get("file")
    if upload is None:
        messages.error(request, _("Choose the file to import."))
        return redirect("imports")
    name = upload.name or ""
    if upload.size > settings.IMPORT_MAX_BYTES:
        return _report_page(request, kind, None, name=name, status=400, refused=_(
            "The file is larger than %(size)s; split it into smaller files.") % {
                "size": filesizeformat(settings.IMPORT_MAX_BYTES)})
    content = upload.read()
    try:
        report = imports.run(request.user, kind, content)
    except imports.FileRefused as refusal:
        return _report_page(request, kind, None, name=name, refused=str(refusal), status=400)
    except Conflict as conflict:
        return _report_page(request, kind, None, name=name, refused=conflict.message, status=409)
    if report.problems:
        batch = imports.keep(request.user, kind, name, content) if report.valid_count else None
        return _report_page(request, kind, report, name=name, batch=batch, status=400)
    return _report_page(request, kind, report, name=name)


@login_required
@require_POST
def import_valid_rows(request, pk):
    """After reading the report: import the file's valid rows only."""
    try:
        batch = imports.batch_of(request.user, pk)
    except ImportBatch.DoesNotExist:
        raise Http404 from None
    if batch.kind not in _import_kinds(request):
        raise Http404
    try:
        report = imports.run_batch(request.user, batch)
    except imports.FileRefused as refusal:
        return _report_page(request, batch.kind, None, name=batch.name, refused=str(refusal), status=400)
    except Conflict as conflict:
        return _report_page(request, batch.kind, None, name=batch.name, refused=conflict.message, status=409)
    return _report_page(request, batch.kind, report, name=batch.name)
