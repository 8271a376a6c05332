"""Tables of the hotline application (SQLModel); importing this registers them all."""

from hotline.intake.models import CatalogueVersion, DispatchRecord
from hotline.linkage.models import InboxMessage, LinkedMatter, OutboxMessage
from hotline.supervision.models import (
    STAGE_LABELS,
    AnomalyAlert,
    Escalation,
    Notification,
    Stage,
    UnitDailyStat,
)
from hotline.tickets.models import (
    REQUEST_TYPES,
    AssignmentRole,
    Channel,
    ExtensionRequest,
    PersonalDataAccess,
    ReturnRecord,
    ReturnVisit,
    SupervisionOrder,
    Ticket,
    TicketCounter,
    TicketEvent,
    TicketUnit,
    Urgency,
)
from hotline.units.models import ROLE_LABELS, UNIT_KIND_LABELS, Role, Unit, UnitKind, User

__all__ = [
    "REQUEST_TYPES",
    "ROLE_LABELS",
    "STAGE_LABELS",
    "UNIT_KIND_LABELS",
    "AnomalyAlert",
    "AssignmentRole",
    "CatalogueVersion",
    "Channel",
    "DispatchRecord",
    "Escalation",
    "ExtensionRequest",
    "InboxMessage",
    "LinkedMatter",
    "Notification",
    "OutboxMessage",
    "PersonalDataAccess",
    "ReturnRecord",
    "ReturnVisit",
    "Role",
    "Stage",
    "SupervisionOrder",
    "Ticket",
    "TicketCounter",
    "TicketEvent",
    "TicketUnit",
    "Unit",
    "UnitDailyStat",
    "UnitKind",
    "Urgency",
    "User",
]
