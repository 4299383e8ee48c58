"""Renderers of an AuditResult: Markdown, PDF, HTML, JSON, and the model card. They only read the result."""
