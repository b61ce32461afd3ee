"""Complaints: received and owned by a first responder, numbered per month, handled through
an approved resolution to the reply, the complainant's feedback and closure, on deadlines
computed from a recorded policy."""

from domain.complaints.aggregate import Complaint, ComplaintNumbering, ComplaintPolicy
from domain.complaints.commands import (
    AddInvestigationNote,
    AssignComplaint,
    ChaseComplaint,
    ReceiveComplaint,
    ResolveComplaintAtOnce,
    SetComplaintDeadlines,
    TakeComplaintIntoHandling,
    TransferComplaintOwnership,
)
from domain.complaints.handling import (
    ApproveResolution,
    CloseComplaint,
    ProposeResolution,
    RecordComplaintFeedback,
    ReopenComplaint,
    ReplyToComplaint,
    ReturnResolution,
)
from domain.complaints.rules import (
    DEFAULT_TERMS,
    POLICY_ID,
    ComplaintCategory,
    ComplaintCause,
    ComplaintChannel,
    ComplaintStage,
    ComplaintStatus,
    DeadlineTerms,
    ResponsibleDepartment,
    late_stages,
    numbering_id,
)

__all__ = [
    "DEFAULT_TERMS",
    "POLICY_ID",
    "AddInvestigationNote",
    "ApproveResolution",
    "AssignComplaint",
    "ChaseComplaint",
    "CloseComplaint",
    "Complaint",
    "ComplaintCategory",
    "ComplaintCause",
    "ComplaintChannel",
    "ComplaintNumbering",
    "ComplaintPolicy",
    "ComplaintStage",
    "ComplaintStatus",
    "DeadlineTerms",
    "ProposeResolution",
    "ReceiveComplaint",
    "RecordComplaintFeedback",
    "ReopenComplaint",
    "ReplyToComplaint",
    "ResolveComplaintAtOnce",
    "ResponsibleDepartment",
    "ReturnResolution",
    "SetComplaintDeadlines",
    "TakeComplaintIntoHandling",
    "TransferComplaintOwnership",
    "late_stages",
    "numbering_id",
]
