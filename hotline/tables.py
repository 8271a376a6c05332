"""Every table of the application, imported so ``SQLModel.metadata`` is whole (Alembic, tests).

Each feature owns its tables in its own ``models.py``; this module only gathers them.
"""

from hotline.callers.models import CallerMessage
from hotline.intake.models import CallerFlag, CallerFlagEvent, CatalogueVersion, DispatchRecord
from hotline.kb.models import KbEntry, KbEvent, KbStats, KbTerm
from hotline.linkage.models import InboxMessage, LinkedMatter, OutboxMessage, PeerOutage
from hotline.notifications.models import Notification
from hotline.supervision.models import AnomalyAlert, Escalation, UnitDailyStat
from hotline.tickets.models import (
    EventChainHead,
    ExtensionRequest,
    IdempotencyKey,
    PersonalDataAccess,
    ReplyReview,
    ReturnRecord,
    ReturnVisit,
    SupervisionOrder,
    Ticket,
    TicketCounter,
    TicketDay,
    TicketEvent,
    TicketUnit,
)
from hotline.units.models import LoginAudit, Unit, User
from hotline.workers.models import JobRun

TABLES = (CatalogueVersion, DispatchRecord, InboxMessage, LinkedMatter, OutboxMessage, PeerOutage,
          Notification, AnomalyAlert, Escalation, UnitDailyStat, ExtensionRequest,
          PersonalDataAccess, ReturnRecord, ReturnVisit, SupervisionOrder, Ticket, TicketCounter,
          TicketDay, TicketEvent, TicketUnit, Unit, User, LoginAudit, EventChainHead, IdempotencyKey,
          CallerFlag, CallerFlagEvent, ReplyReview, CallerMessage, JobRun,
          KbEntry, KbEvent, KbStats, KbTerm)
