from layoffwatch.cli import app

app()
