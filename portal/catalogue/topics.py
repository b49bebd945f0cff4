"""Topics reports are filed under, which administrators add, rename and remove, and which the
catalogue offers as a filter. Each writes its audit entry and flushes; the request commits."""

import re
import unicodedata
from collections.abc import Iterable

from sqlalchemy import func, select

from portal import audit
from portal.catalogue.models import Topic, report_topics
from portal.extensions import db

#: The longest topic name, as the column holds it.
MAX_NAME = 80


class TopicRefusal(ValueError):
    """A change to the topics that cannot be made; the message says why."""


def all_topics() -> list[tuple[Topic, int]]:
    """Every topic, by name, with the number of reports (published or not) filed under it."""
    filed = func.count(report_topics.c.report_id)
    return [
        (topic, count)
        for topic, count in db.session.execute(
            select(Topic, filed)
            .outerjoin(report_topics, report_topics.c.topic_id == Topic.id)
            .group_by(Topic.id)
            .order_by(func.lower(Topic.name), Topic.id)
        )
    ]


def topic_by_id(topic_id: int) -> Topic | None:
    return db.session.get(Topic, topic_id)


def by_ids(ids: Iterable[int]) -> list[Topic]:
    """The topics with these ids (ids of no topic are left out)."""
    wanted = set(ids)
    if not wanted:
        return []
    return list(db.session.scalars(select(Topic).where(Topic.id.in_(wanted))))


def topic_slug(name: str) -> str:
    """The topic's name as it appears in the catalogue's address: "Health & care" → health-care."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return "-".join(re.findall(r"[a-z0-9]+", plain.lower()))[:90]


def _checked_name(name: str, topic_id: int | None) -> tuple[str, str]:
    name = " ".join((name or "").split())
    if not name:
        raise TopicRefusal("Enter the topic's name")
    if len(name) > MAX_NAME:
        raise TopicRefusal(f"A topic's name must be {MAX_NAME} characters or fewer")
    slug = topic_slug(name)
    if not slug:
        raise TopicRefusal("A topic's name must have letters or numbers, like Housing")
    clash = db.session.scalar(
        select(Topic).where(
            (func.lower(Topic.name) == name.lower()) | (Topic.slug == slug),
            Topic.id != (topic_id or 0),
        )
    )
    if clash is not None:
        raise TopicRefusal(f"There is already a topic called {clash.name}")
    return name, slug


def add_topic(actor, name: str) -> Topic:
    """A new topic called ``name``; refused if empty, too long or another topic's name."""
    name, slug = _checked_name(name, None)
    topic = Topic(name=name, slug=slug)
    db.session.add(topic)
    db.session.flush()
    audit.record(actor, "topic.create", "topic", topic.id, after={"name": name})
    return topic


def rename_topic(actor, topic: Topic, name: str) -> Topic:
    """Call ``topic`` ``name`` (its reports stay filed under it)."""
    before = topic.name
    topic.name, topic.slug = _checked_name(name, topic.id)
    db.session.flush()
    audit.record(
        actor, "topic.rename", "topic", topic.id, before={"name": before}, after={"name": name}
    )
    return topic


def remove_topic(actor, topic: Topic) -> None:
    """Remove ``topic``; its reports stay in the catalogue, no longer filed under it."""
    audit.record(actor, "topic.remove", "topic", topic.id, before={"name": topic.name})
    db.session.delete(topic)
    db.session.flush()
