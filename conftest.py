"""Root conftest: pytest-django finds the project here."""
