"""Administration of the catalogue: reports, their formats, the report PDF and the cover image."""

from flask import (
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user

from portal.admin.blueprint import bp
from portal.catalogue import admin_services as catalogue
from portal.catalogue import covers, report_pdf, topics
from portal.catalogue.admin_forms import CoverUploadForm, FormatForm, PdfUploadForm, ReportForm
from portal.catalogue.models import DEFAULT_MAX_COPIES_PER_ORDER, DEFAULT_PAGE_LIMIT
from portal.downloads import samples
from portal.extensions import db
from portal.orders.stock import stock_held
from portal.pricing import FormatKind
from portal.storage import get_storage

_COVER_TYPES = {"png": "image/png", "jpg": "image/jpeg"}


def _report_or_404(slug: str):
    report = catalogue.report_by_slug(slug)
    if report is None:
        abort(404)
    return report


def _kind_or_404(kind: str) -> FormatKind:
    try:
        return FormatKind(kind)
    except ValueError:
        abort(404)


def _details(form: ReportForm) -> catalogue.ReportDetails:
    return catalogue.ReportDetails(
        title=form.title.data,
        slug=form.slug.data,
        series=form.series.data or "",
        summary=form.summary.data,
        contents=form.contents.data or "",
        published_on=form.published_on.data,
        is_published=bool(form.is_published.data),
        sample_pages=int(form.sample_pages.data),
        authors=form.authors.data or "",
        isbn=form.isbn.data or None,
        edition=form.edition.data or "",
        topic_ids=tuple(form.topic_ids.data or ()),
    )


def _refused(form: ReportForm, refused: catalogue.CatalogueRefusal) -> None:
    """Show a refusal beside the field it concerns."""
    field = form.is_published if isinstance(refused, catalogue.PublishingRefusal) else form.slug
    field.errors.append(str(refused))


def _sample_made(report) -> bool:
    """Cut the report's sample again if its PDF or its number of pages changed; False (and the
    administrator is told why) when the PDF's pages could not be cut."""
    if report.sample_file_key or not report.pdf_file_key:
        return True
    if samples.refresh_sample(report):
        return True
    flash(samples.SAMPLE_FAILED, "error")
    return False


def _report_form(report=None) -> ReportForm:
    """The report form offering every topic; an existing report's values shown on a GET."""
    form = ReportForm(obj=report)
    form.offer_topics(topic for topic, _ in topics.all_topics())
    if report is not None and request.method == "GET":
        form.topic_ids.data = [topic.id for topic in report.topics]
    return form


@bp.route("/reports")
def reports():
    reports = catalogue.all_reports()
    return render_template(
        "admin/catalogue/reports.html",
        reports=reports,
        stock=stock_held([f for report in reports for f in report.formats]),
    )


@bp.route("/reports/new", methods=["GET", "POST"])
def report_new():
    form = _report_form()
    if form.validate_on_submit():
        try:
            report = catalogue.create_report(current_user, _details(form))
        except catalogue.CatalogueRefusal as refused:
            _refused(form, refused)
        else:
            db.session.commit()
            flash(
                f"Report “{report.title}” created. Add its formats and upload its PDF.", "success"
            )
            return redirect(url_for("admin.report_detail", slug=report.slug))
    return render_template("admin/catalogue/report_form.html", form=form, report=None)


@bp.route("/reports/<slug>")
def report_detail(slug: str):
    report = _report_or_404(slug)
    return _detail_page(report, PdfUploadForm(), CoverUploadForm())


def _detail_page(report, pdf_form: PdfUploadForm, cover_form: CoverUploadForm):
    storage = get_storage()
    return render_template(
        "admin/catalogue/report.html",
        report=report,
        formats={f.kind.value: f for f in report.formats},
        stock=stock_held(report.formats),
        kinds=list(FormatKind),
        pdf_form=pdf_form,
        cover_form=cover_form,
        pdf_stored=bool(report.pdf_file_key) and storage.exists(report.pdf_file_key),
        cover_stored=bool(report.cover_image_key) and storage.exists(report.cover_image_key),
        max_pdf_bytes=current_app.config["MAX_REPORT_PDF_BYTES"],
        max_pdf_pages=report_pdf.page_limit_of(report),
        publishing_problem=catalogue.publishing_problem(report),
        max_cover_bytes=current_app.config["MAX_COVER_IMAGE_BYTES"],
    )


@bp.route("/reports/<slug>/edit", methods=["GET", "POST"])
def report_edit(slug: str):
    report = _report_or_404(slug)
    form = _report_form(report)
    if form.validate_on_submit():
        try:
            catalogue.update_report(current_user, report, _details(form))
        except catalogue.CatalogueRefusal as refused:
            _refused(form, refused)
        else:
            sample_made = _sample_made(report)
            db.session.commit()
            if sample_made:
                flash("Report saved.", "success")
            return redirect(url_for("admin.report_detail", slug=report.slug))
    return render_template("admin/catalogue/report_form.html", form=form, report=report, slug=slug)


@bp.route("/reports/<slug>/formats/<kind>", methods=["GET", "POST"])
def report_format(slug: str, kind: str):
    """Edit a format, or add it when the report does not have one of this kind yet."""
    report = _report_or_404(slug)
    format_kind = _kind_or_404(kind)
    existing = catalogue.format_of(report, format_kind.value)
    form = FormatForm(kind=format_kind.value)
    if request.method == "GET":
        if existing is not None:
            form.fill_from(existing)
        else:
            form.subscriber_price.data, form.vat_rate.data = "0.00", "0"
            form.free_copies.data, form.stock.data = "1", "0"
            form.postage.data, form.download_limit.data = "0.00", "10"
            form.page_limit.data = str(DEFAULT_PAGE_LIMIT)
            form.max_copies.data = str(DEFAULT_MAX_COPIES_PER_ORDER)
    if form.validate_on_submit():
        details = catalogue.FormatDetails(**form.values())
        try:
            if existing is None:
                catalogue.add_format(current_user, report, format_kind, details)
            else:
                catalogue.update_format(current_user, existing, details)
        except catalogue.CatalogueRefusal as refused:
            form.price.errors.append(str(refused))
        else:
            db.session.commit()
            flash(f"{format_kind.label} format saved.", "success")
            return redirect(url_for("admin.report_detail", slug=report.slug))
    return render_template(
        "admin/catalogue/format_form.html",
        form=form,
        report=report,
        kind=format_kind,
        existing=existing,
    )


@bp.route("/reports/<slug>/formats/<kind>/remove", methods=["POST"])
def report_format_remove(slug: str, kind: str):
    report = _report_or_404(slug)
    existing = catalogue.format_of(report, _kind_or_404(kind).value)
    if existing is None:
        abort(404)
    label = existing.kind.label
    try:
        catalogue.remove_format(current_user, existing)
    except catalogue.CatalogueRefusal as refused:
        flash(str(refused), "error")
    else:
        db.session.commit()
        flash(f"{label} format removed.", "success")
    return redirect(url_for("admin.report_detail", slug=report.slug))


@bp.route("/reports/<slug>/pdf", methods=["POST"])
def report_upload_pdf(slug: str):
    report = _report_or_404(slug)
    form = PdfUploadForm()
    if form.validate_on_submit():
        upload = request.files.get(form.pdf.name)
        if upload is None:
            form.pdf.errors.append("Select a PDF file to upload")
        else:
            try:
                stored = report_pdf.store_report_pdf(
                    current_user,
                    report,
                    upload.stream,
                    current_app.config["MAX_REPORT_PDF_BYTES"],
                )
            except catalogue.CatalogueRefusal as refused:
                form.pdf.errors.append(str(refused))
            else:
                _sample_made(report)
                db.session.commit()
                removed = "; ".join(stored.removed)
                removed = f" Removed from it: {removed}." if removed else ""
                flash(
                    f"Report PDF uploaded.{removed} Copies already issued keep the old file.",
                    "success",
                )
                return redirect(url_for("admin.report_detail", slug=report.slug))
    return _detail_page(report, form, CoverUploadForm())


@bp.route("/reports/<slug>/cover", methods=["POST"])
def report_upload_cover(slug: str):
    report = _report_or_404(slug)
    form = CoverUploadForm()
    if form.validate_on_submit():
        upload = request.files.get(form.cover.name)
        limit = current_app.config["MAX_COVER_IMAGE_BYTES"]
        if upload is None:
            form.cover.errors.append("Select an image file to upload")
        else:
            # One byte over the limit is enough to know it is too large.
            data = upload.stream.read(limit + 1)
            try:
                covers.store_cover_image(current_user, report, data, limit)
            except covers.CoverRefusal as refused:
                form.cover.errors.append(str(refused))
            else:
                db.session.commit()
                flash("Cover image uploaded.", "success")
                return redirect(url_for("admin.report_detail", slug=report.slug))
    return _detail_page(report, PdfUploadForm(), form)


@bp.route("/reports/<slug>/cover", methods=["GET"])
def report_cover(slug: str):
    report = _report_or_404(slug)
    key = report.cover_image_key
    storage = get_storage()
    if not key or not storage.exists(key):
        abort(404)
    mimetype = _COVER_TYPES.get(key.rsplit(".", 1)[-1])
    if mimetype is None:
        abort(404)
    # Covers are small (a few MB at most), so they are read whole rather than streamed.
    with storage.open(key) as image:
        response = Response(image.read(), mimetype=mimetype)
    response.headers["Cache-Control"] = "private, no-cache"
    return response
