"""The audit log: who changed what, when, with the before and after.

Foundation, not a feature of its own: every feature's services write to it in the same
transaction as their change (``audit.record``), and the administration's audit page reads it.
"""

from portal.audit.services import Actor, actions, entries, record, record_export, snapshot

__all__ = ["Actor", "actions", "entries", "record", "record_export", "snapshot"]
