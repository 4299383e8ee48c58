"""Pages of the dashboard, one script each, listed in ``dashboard/app.py``."""
