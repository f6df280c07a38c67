"""The after-run report: facts from the session, plots, the HTML page."""
