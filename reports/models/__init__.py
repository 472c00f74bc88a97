"""The app's models, one module per package (figures, oversight, excel); all importable from
`reports.models`, as the migrations (`reports.models.export_path`) and the other apps name them."""

from reports.models.excel import ExportJob, ImportBatch, export_path
from reports.models.figures import COUNTS, MemberCoverage, PendingChange, Refresh, Snapshot, Unit
from reports.models.oversight import AssessmentEvent, AssessmentResult, AssessmentRound, Inspection

__all__ = [
    "COUNTS", "AssessmentEvent", "AssessmentResult", "AssessmentRound", "ExportJob",
    "ImportBatch", "Inspection", "MemberCoverage", "PendingChange", "Refresh", "Snapshot", "Unit", "export_path",
]
