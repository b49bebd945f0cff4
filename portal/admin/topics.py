"""Administration of topics: the subjects reports are filed under and the catalogue filters by."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from portal.admin.blueprint import bp
from portal.catalogue import topics
from portal.extensions import db


def _topic_or_404(topic_id: int):
    topic = topics.topic_by_id(topic_id)
    if topic is None:
        abort(404)
    return topic


def _topics_page(problem: str | None = None, entered: str = "", renaming: int | None = None):
    return render_template(
        "admin/catalogue/topics.html",
        topics=topics.all_topics(),
        problem=problem,
        entered=entered,
        renaming=renaming,
    ), (400 if problem else 200)


@bp.route("/topics")
def topics_list():
    return _topics_page()


def _name_topic(change, done: str, renaming: int | None = None):
    """Apply ``change`` (a topic service taking the name typed) and commit, or show the topics
    page again with the reason and the name as typed."""
    name = request.form.get("name", "")
    try:
        topic = change(name)
    except topics.TopicRefusal as refused:
        db.session.rollback()
        return _topics_page(str(refused), name[: topics.MAX_NAME * 2], renaming)
    db.session.commit()
    flash(done.format(name=topic.name), "success")
    return redirect(url_for("admin.topics_list"))


@bp.route("/topics", methods=["POST"])
def topic_add():
    return _name_topic(lambda name: topics.add_topic(current_user, name), "Topic “{name}” added.")


@bp.route("/topics/<int:topic_id>/rename", methods=["POST"])
def topic_rename(topic_id: int):
    topic = _topic_or_404(topic_id)
    return _name_topic(
        lambda name: topics.rename_topic(current_user, topic, name),
        "Topic renamed “{name}”.",
        renaming=topic_id,
    )


@bp.route("/topics/<int:topic_id>/remove", methods=["POST"])
def topic_remove(topic_id: int):
    topic = _topic_or_404(topic_id)
    name = topic.name
    topics.remove_topic(current_user, topic)
    db.session.commit()
    flash(f"Topic “{name}” removed. Its reports are still in the catalogue.", "success")
    return redirect(url_for("admin.topics_list"))
