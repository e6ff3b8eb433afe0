"""The web edge: thin routes over app.services."""
