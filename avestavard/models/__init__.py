"""All models, imported here so Alembic and the app see the whole schema."""

from avestavard.models import letters as letters  # welcome letters
from avestavard.models import matches as matches  # matches
from avestavard.models import notes as notes  # coordinators' notes on a person
from avestavard.models import search as search  # folded search keys
from avestavard.models import vocabulary as vocabulary  # words coordinators taught the matcher
from avestavard.models import weights as weights  # the matcher's weights
from avestavard.models.audit import AuditAction, AuditEvent
from avestavard.models.base import Base, utcnow
from avestavard.models.figures import FigureEvent, FigureKind, FigureMonth
from avestavard.models.jobs import JobRun, JobRunStatus
from avestavard.models.mail import OutboxAttempt, OutboxMessage, OutboxStatus
from avestavard.models.matches import FollowUpSide, MatchState, ProposalStatus
from avestavard.models.people import (
    Host,
    HostInterest,
    HostStatus,
    HouseholdType,
    Interest,
    Newcomer,
    NewcomerInterest,
    NewcomerStatus,
)
from avestavard.models.profiles import RegistrationConfirmation as RegistrationConfirmation
from avestavard.models.sign_in import SignInLink as SignInLink
from avestavard.models.two_factor import RecoveryCode as RecoveryCode
from avestavard.models.uploads import PendingUpload as PendingUpload
from avestavard.models.users import Role, User

__all__ = [
    "AuditAction",
    "AuditEvent",
    "Base",
    "FigureEvent",
    "FigureKind",
    "FigureMonth",
    "FollowUpSide",
    "Host",
    "HostInterest",
    "HostStatus",
    "HouseholdType",
    "Interest",
    "JobRun",
    "JobRunStatus",
    "MatchState",
    "Newcomer",
    "NewcomerInterest",
    "NewcomerStatus",
    "OutboxAttempt",
    "OutboxMessage",
    "OutboxStatus",
    "ProposalStatus",
    "Role",
    "User",
    "utcnow",
]
