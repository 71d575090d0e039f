"""Entry point for `flask run` and gunicorn: builds the console application."""
from console import create_app

app = create_app()
