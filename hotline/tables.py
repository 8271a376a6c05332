"""Every table of the application, imported so ``SQLModel.metadata`` is whole (Alembic, tests).

Each feature owns its tables in its own ``models.py``; this module only gathers them.
"""

from hotline.intake.models import CatalogueVersion, DispatchRecord
from hotline.kb.models import KbEntry, KbEvent, KbStats, KbTerm
from hotline.linkage.models import InboxMessage, LinkedMatter, OutboxMessage
from hotline.notifications.models import Notification
from hotline.supervision.models import AnomalyAlert, Escalation, UnitDailyStat
from hotline.tickets.models import (
    ExtensionRequest,
    PersonalDataAccess,
    ReturnRecord,
    ReturnVisit,
    SupervisionOrder,
    Ticket,
    TicketCounter,
    TicketEvent,
    TicketUnit,
)
from hotline.units.models import Unit, User

TABLES = (CatalogueVersion, DispatchRecord, InboxMessage, LinkedMatter, OutboxMessage,
          Notification, AnomalyAlert, Escalation, UnitDailyStat, ExtensionRequest,
          PersonalDataAccess, ReturnRecord, ReturnVisit, SupervisionOrder, Ticket, TicketCounter,
          TicketEvent, TicketUnit, Unit, User, KbEntry, KbEvent, KbStats, KbTerm)
