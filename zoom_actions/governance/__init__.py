"""Governed agents: per-agent policies, approval, dry runs and a tamper-evident audit trail."""

from .audit import AuditLog, describe_record
from .enforce import Governor, current_agent
from .policy import Decision, Policy, PolicyError, load_policy

__all__ = ["AuditLog", "Decision", "Governor", "Policy", "PolicyError", "current_agent", "describe_record",
           "load_policy"]
