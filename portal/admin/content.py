"""Administration of the content pages: the list, editing (with a preview), and every version."""

from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_login import current_user

from portal.admin.blueprint import bp
from portal.content import services as content
from portal.content.admin_forms import ContentPageForm
from portal.content.pages import ContentPage
from portal.content.rendering import BLOCK_INSERTS, INLINE_INSERTS, render_page
from portal.extensions import db

#: Told when the hidden version field was tampered with or lost.
_UNREADABLE = "This form could not be read. Open the page again and make your changes there."


def _page_or_404(page: str) -> ContentPage:
    try:
        return ContentPage(page)
    except ValueError:
        abort(404)


@bp.route("/pages")
def content_pages():
    current = content.current_versions(ContentPage)
    return render_template(
        "admin/content/pages.html",
        pages=list(ContentPage),
        current=current,
        author_name=content.author_name,
    )


@bp.route("/pages/<page>", methods=["GET", "POST"])
def content_page_edit(page: str):
    """Edit a page: "Preview" shows the text as it will look, "Publish" makes it the next
    version, refused if someone else published one since this form was opened."""
    kind = _page_or_404(page)
    current = content.current_version(kind)
    form = ContentPageForm()
    if not form.is_submitted() and current is not None:
        form.fill_from(current)
    preview, status = None, 200
    if form.validate_on_submit():
        try:
            draft = form.draft()
        except ValueError:
            form.body.errors.append(_UNREADABLE)
            status = 400
        else:
            for field, problem in content.problems(draft).items():
                form[field].errors.append(problem)
            if form.publish.data and not any(f.errors for f in form):
                try:
                    published = content.publish(current_user, kind, draft)
                except content.EditConflict as conflict:
                    db.session.rollback()
                    form.body.errors.append(str(conflict))
                    status = 409
                except content.ContentRefusal as refused:
                    form.body.errors.append(str(refused))
                else:
                    db.session.commit()
                    flash(
                        f"Version {published.number} of the {kind.in_text} is published.", "success"
                    )
                    return redirect(url_for("admin.content_page_versions", page=kind.value))
            elif not any(f.errors for f in form):
                preview = render_page(draft.body, current_app.config)
    return render_template(
        "admin/content/edit.html",
        form=form,
        page=kind,
        current=current,
        author_name=content.author_name,
        preview=preview,
        inline_inserts=INLINE_INSERTS,
        block_inserts=BLOCK_INSERTS,
    ), status


@bp.route("/pages/<page>/versions")
def content_page_versions(page: str):
    kind = _page_or_404(page)
    return render_template(
        "admin/content/versions.html",
        page=kind,
        versions=content.versions(kind),
        author_name=content.author_name,
    )


@bp.route("/pages/<page>/versions/<int:version_number>")
def content_page_version(page: str, version_number: int):
    kind = _page_or_404(page)
    shown = content.version(kind, version_number)
    if shown is None:
        abort(404)
    return render_template(
        "admin/content/version.html",
        page=kind,
        shown=shown,
        html=render_page(shown.body, current_app.config),
        author_name=content.author_name,
    )
