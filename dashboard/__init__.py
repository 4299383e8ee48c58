"""Streamlit dashboard of RAI Audit: thin pages over one AuditResult (run with ``make demo``)."""
