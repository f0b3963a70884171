from casebank import create_app

app = create_app()
