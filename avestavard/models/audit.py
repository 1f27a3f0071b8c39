"""Append-only audit log: who viewed or changed which person, when. Never field values."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from avestavard.models.base import Base, UTCDateTime, utcnow


class AuditAction(enum.StrEnum):
    """Every action the application writes to the log; the value is what is stored."""

    VIEW = "view"
    VIEW_LIST = "view-list"
    VIEW_MATCHES = "view-matches"
    VIEW_AUDIT_LOG = "view-audit-log"
    SEARCH = "search"
    CREATE = "create"
    UPDATE = "update"
    ERASE = "erase"
    EXPORT = "export"
    EXPORT_HOSTS = "export-hosts"
    EXPORT_NEWCOMERS = "export-newcomers"
    EXPORT_MATCHES = "export-matches"
    EXPORT_LIST = "export-list"
    LOGIN = "login"
    SIGN_IN_LINK_SENT = "sign-in-link-sent"
    REGISTER = "register"
    REGISTER_AGAIN = "register-again"
    CONFIRM = "confirm"
    PAUSE = "pause"
    RESUME = "resume"
    CREATE_ACCOUNT = "create-account"
    IMPORT_CREATE = "import-create"
    IMPORT_UPDATE = "import-update"
    IMPORT_LEGACY = "import-legacy"
    IMPORT = "import"
    ACCOUNT_CREATE = "account-create"
    ACCOUNT_DEACTIVATE = "account-deactivate"
    ACCOUNT_REACTIVATE = "account-reactivate"
    # names of audit events, not passwords
    PASSWORD_RESET_LINK = "password-reset-link"  # noqa: S105
    PASSWORD_SET = "password-set"  # noqa: S105
    PASSWORD_CHANGE = "password-change"  # noqa: S105
    RECOMPUTE_PROPOSALS = "recompute"
    REJECT_PROPOSAL = "reject-proposal"
    APPROVE = "approve"
    UNDO_APPROVE = "undo-approve"
    NOTIFY_HOST = "notify-host"
    HOST_ACCEPT = "host-accept"
    HOST_DECLINE = "host-decline"
    INTRODUCE = "introduce"
    MET = "met"
    END = "end"
    FOLLOW_UP_SENT = "follow-up-sent"
    FOLLOW_UP_ANSWER = "follow-up-answer"
    DOWNLOAD_LETTER_BATCH = "download_letter_batch"
    LETTER_CREATED = "letter_created"
    EDIT_LETTER_TEXT = "edit_letter_text"
    RESET_LETTER_TEXT = "reset_letter_text"
    LINK_NEWCOMER = "link_newcomer"
    UNLINK_NEWCOMER = "unlink_newcomer"
    LINK_HOUSEHOLD = "link_household"
    UNSUBSCRIBE = "unsubscribe"
    OUTBOX_RETRY = "outbox_retry"
    OUTBOX_MARK_SENT = "outbox_mark_sent"
    OUTBOX_RESEND = "outbox_resend"
    OUTBOX_CANCEL = "outbox_cancel"
    RETENTION_PURGE = "retention-purge"
    SELF_VIEW = "self-view"
    SELF_LINK_REQUESTED = "self-link-requested"
    SELF_LINK_RENEWED = "self-link-renewed"
    SELF_UPDATE = "self-update"
    SELF_PAUSE = "self-pause"
    SELF_RESUME = "self-resume"
    WITHDRAW = "withdraw"
    NOTE_CREATE = "note-create"
    NOTE_UPDATE = "note-update"
    NOTE_VIEW = "note-view"
    TWO_FACTOR_ON = "two-factor-on"
    TWO_FACTOR_OFF = "two-factor-off"
    RECOVERY_CODES_NEW = "recovery-codes-new"
    RECOVERY_CODE_USED = "recovery-code-used"
    WEIGHTS_REFIT = "weights-refit"
    WEIGHTS_RESET = "weights-reset"
    VIEW_WEIGHTS = "view-weights"
    WORD_TAUGHT = "word-taught"
    WORD_FORGOTTEN = "word-forgotten"

    def label(self, locale: str = "sv") -> str:
        """What the action is called in the interface, in Swedish or English."""
        swedish, english = AUDIT_ACTION_LABELS[self]
        return english if locale.startswith("en") else swedish


# (Swedish, English) for every action; a test checks that none is missing.
AUDIT_ACTION_LABELS: dict[AuditAction, tuple[str, str]] = {
    AuditAction.VIEW: ("Visade", "Viewed"),
    AuditAction.VIEW_LIST: ("Visade listan", "Viewed the list"),
    AuditAction.VIEW_MATCHES: ("Visade matchningar", "Viewed matches"),
    AuditAction.VIEW_AUDIT_LOG: ("Läste loggen", "Read the log"),
    AuditAction.SEARCH: ("Sökte", "Searched"),
    AuditAction.CREATE: ("Skapade", "Created"),
    AuditAction.UPDATE: ("Ändrade", "Changed"),
    AuditAction.ERASE: ("Raderade", "Erased"),
    AuditAction.EXPORT: ("Tog ut registerutdrag", "Took a register extract"),
    AuditAction.EXPORT_HOSTS: ("Exporterade alla värdar", "Exported all hosts"),
    AuditAction.EXPORT_NEWCOMERS: ("Exporterade alla nyinflyttade", "Exported all newcomers"),
    AuditAction.EXPORT_MATCHES: ("Exporterade alla matchningar", "Exported all matches"),
    AuditAction.EXPORT_LIST: ("Exporterade en lista", "Exported a list"),
    AuditAction.LOGIN: ("Loggade in", "Logged in"),
    AuditAction.SIGN_IN_LINK_SENT: ("Skickade inloggningslänk", "Sent a sign-in link"),
    AuditAction.REGISTER: ("Anmälde sig", "Registered"),
    AuditAction.REGISTER_AGAIN: ("Anmälde sig igen", "Registered again"),
    AuditAction.CONFIRM: ("Bekräftade anmälan", "Confirmed the registration"),
    AuditAction.PAUSE: ("Pausade", "Paused"),
    AuditAction.RESUME: ("Återupptog", "Resumed"),
    AuditAction.CREATE_ACCOUNT: ("Skapade inloggning", "Created a login"),
    AuditAction.IMPORT_CREATE: ("Importerade (ny)", "Imported (new)"),
    AuditAction.IMPORT_UPDATE: ("Importerade (ändrad)", "Imported (changed)"),
    AuditAction.IMPORT_LEGACY: ("Importerade Excelfil", "Imported the Excel file"),
    AuditAction.IMPORT: ("Importerade", "Imported"),
    AuditAction.ACCOUNT_CREATE: ("Skapade konto", "Created an account"),
    AuditAction.ACCOUNT_DEACTIVATE: ("Stängde av konto", "Deactivated an account"),
    AuditAction.ACCOUNT_REACTIVATE: ("Aktiverade konto", "Reactivated an account"),
    AuditAction.PASSWORD_RESET_LINK: (
        "Skapade länk för nytt lösenord",
        "Created a set-password link",
    ),
    AuditAction.PASSWORD_SET: ("Valde lösenord med länk", "Set a password by link"),
    AuditAction.PASSWORD_CHANGE: ("Bytte lösenord", "Changed the password"),
    AuditAction.RECOMPUTE_PROPOSALS: ("Beräknade matchningsförslag", "Computed match proposals"),
    AuditAction.REJECT_PROPOSAL: ("Avvisade förslag", "Rejected a proposal"),
    AuditAction.APPROVE: ("Godkände matchning", "Approved a match"),
    AuditAction.UNDO_APPROVE: ("Ångrade godkännandet", "Undid the approval"),
    AuditAction.NOTIFY_HOST: ("Skickade förfrågan till värden", "Asked the host"),
    AuditAction.HOST_ACCEPT: ("Värden tackade ja", "The host accepted"),
    AuditAction.HOST_DECLINE: ("Värden tackade nej", "The host declined"),
    AuditAction.INTRODUCE: ("Presenterade", "Introduced"),
    AuditAction.MET: ("Har träffats", "Have met"),
    AuditAction.END: ("Avslutade matchning", "Ended a match"),
    AuditAction.FOLLOW_UP_SENT: ("Skickade uppföljning", "Sent the follow-up"),
    AuditAction.FOLLOW_UP_ANSWER: ("Svarade på uppföljning", "Answered the follow-up"),
    AuditAction.DOWNLOAD_LETTER_BATCH: ("Laddade ner brevomgång", "Downloaded a letter batch"),
    AuditAction.LETTER_CREATED: ("Skapade välkomstbrev", "Created a welcome letter"),
    AuditAction.EDIT_LETTER_TEXT: ("Ändrade brevtext", "Edited a letter text"),
    AuditAction.RESET_LETTER_TEXT: ("Återställde brevtext", "Reset a letter text"),
    AuditAction.LINK_NEWCOMER: ("Kopplade nyinflyttad", "Linked a newcomer"),
    AuditAction.UNLINK_NEWCOMER: ("Tog bort koppling till nyinflyttad", "Unlinked a newcomer"),
    AuditAction.LINK_HOUSEHOLD: ("Kopplade hushåll", "Linked a household"),
    AuditAction.UNSUBSCRIBE: ("Avbeställde brev", "Unsubscribed from letters"),
    AuditAction.OUTBOX_RETRY: ("Försökte skicka igen", "Retried sending"),
    AuditAction.OUTBOX_MARK_SENT: ("Markerade som skickat", "Marked as sent"),
    AuditAction.OUTBOX_RESEND: ("Skickade på nytt", "Sent again"),
    AuditAction.OUTBOX_CANCEL: ("Stoppade ett meddelande", "Stopped a message"),
    AuditAction.RETENTION_PURGE: ("Gallrade gamla uppgifter", "Purged old records"),
    AuditAction.SELF_VIEW: ("Visade sin anmälan", "Viewed their registration"),
    AuditAction.SELF_LINK_REQUESTED: ("Bad om länk till sin anmälan", "Asked for a link"),
    AuditAction.SELF_LINK_RENEWED: ("Fick en ny länk", "Got a new link"),
    AuditAction.SELF_UPDATE: ("Ändrade sin anmälan", "Changed their registration"),
    AuditAction.SELF_PAUSE: ("Pausade sin anmälan", "Paused their registration"),
    AuditAction.SELF_RESUME: ("Återupptog sin anmälan", "Resumed their registration"),
    AuditAction.WITHDRAW: ("Drog tillbaka sin anmälan", "Withdrew their registration"),
    AuditAction.NOTE_CREATE: ("Skrev anteckning", "Wrote a note"),
    AuditAction.NOTE_UPDATE: ("Ändrade anteckning", "Edited a note"),
    AuditAction.NOTE_VIEW: ("Läste anteckningar", "Read the notes"),
    AuditAction.TWO_FACTOR_ON: ("Slog på tvåstegsinloggning", "Turned on two-factor sign-in"),
    AuditAction.TWO_FACTOR_OFF: ("Stängde av tvåstegsinloggning", "Turned off two-factor sign-in"),
    AuditAction.RECOVERY_CODES_NEW: ("Skapade nya reservkoder", "Created new recovery codes"),
    AuditAction.RECOVERY_CODE_USED: (
        "Loggade in med en reservkod",
        "Signed in with a recovery code",
    ),
    AuditAction.WEIGHTS_REFIT: ("Lärde om matchningens vikter", "Relearned the matching weights"),
    AuditAction.WEIGHTS_RESET: (
        "Återställde matchningens vikter",
        "Reset the matching weights",
    ),
    AuditAction.VIEW_WEIGHTS: ("Visade matchningens vikter", "Viewed the matching weights"),
    AuditAction.WORD_TAUGHT: ("Lärde matchningen ett ord", "Taught the matcher a word"),
    AuditAction.WORD_FORGOTTEN: ("Tog bort ett inlärt ord", "Removed a taught word"),
}


def audit_action_label(action: str, locale: str = "sv") -> str:
    """The label of a stored action; an action no longer written is shown as stored."""
    try:
        return AuditAction(action.split(":", 1)[0]).label(locale)
    except ValueError:
        return action


class AuditEvent(Base):
    """One action on one person (or on the system when ``subject_type`` is empty)."""

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_subject", "subject_type", "subject_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    # The user is kept as a label too, so the log survives the account's erasure.
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    actor_label: Mapped[str] = mapped_column(String(254))
    action: Mapped[str] = mapped_column(String(60))
    subject_type: Mapped[str] = mapped_column(String(40), default="")
    subject_id: Mapped[int | None]
