"""RAI Audit engine: one ``run_audit`` computes one frozen ``AuditResult``; reports and the dashboard read it."""

from audits.config import AuditConfig, EmissionsConfig, Policy, ProtectedAttribute
from audits.context import AuditContext, build_context
from audits.errors import AuditInputError
from audits.explain import explain_rows
from audits.inputs import LoadedData, ModelAdapter, load_dataset, load_model
from audits.results import SCHEMA_VERSION, AuditResult, Finding, SectionResult, Severity, Status, Table
from audits.runner import SECTIONS, CancelledError, audit_context, run_audit

__all__ = [
    "SCHEMA_VERSION",
    "SECTIONS",
    "AuditConfig",
    "AuditContext",
    "AuditInputError",
    "AuditResult",
    "CancelledError",
    "EmissionsConfig",
    "Finding",
    "LoadedData",
    "ModelAdapter",
    "Policy",
    "ProtectedAttribute",
    "SectionResult",
    "Severity",
    "Status",
    "Table",
    "audit_context",
    "build_context",
    "explain_rows",
    "load_dataset",
    "load_model",
    "run_audit",
]
