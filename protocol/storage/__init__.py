"""What the runtime needs from storage, as small typing Protocols, one file each.

A backend under `server/storage/` implements them all (`Storage`); `actors/` and the
routes see only these. Filters cross the port as data (`protocol.filters.Filter`, JSON
containment dicts) and times that a backend compares as aware datetimes.
"""

from .assistants import AssistantStore
from .checkpoints import CheckpointAdmin, CheckpointReads
from .crons import CronStore
from .events import EventBatch, RunEventStore, StoredEvent
from .runs import RunReads, RunStore
from .storage import Storage
from .threads import ThreadReads, ThreadStore
from .unit import UnitOfWork

__all__ = [
    "AssistantStore", "CheckpointAdmin", "CheckpointReads", "CronStore", "EventBatch", "RunEventStore", "RunReads", "RunStore", "Storage", "StoredEvent",
    "ThreadReads", "ThreadStore", "UnitOfWork",
]
