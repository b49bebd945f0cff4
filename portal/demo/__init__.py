"""Demo data for a laptop: the sample catalogue, organisations and sign-ins (``seed.py``), the
sample report PDFs (``sample_pdf.py``) and the commands that load and list them (``cli.py``)."""
