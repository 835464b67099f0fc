# The app as it runs on Cloud Run: gunicorn in production mode, listening on $PORT (Cloud Run
# sets it; 8080 otherwise). Workers, threads and timeouts: gunicorn.conf.py and README.
FROM python:3.11-slim
ENV PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    GUNICORN_HOST=0.0.0.0 GCS_EMULATOR_DATA_DIR=/tmp/gcs-data \
    DATABASE_URL=sqlite:////tmp/db-data/gallery.sqlite3
WORKDIR /srv
# Dependencies first, in a layer of their own: a change to the code does not reinstall them.
COPY requirements.txt ./
RUN pip install -r requirements.txt && useradd --system --no-create-home gallery
# Then the code: the two packages (app, pages), and what they read at run time.
COPY pyproject.toml README.md gunicorn.conf.py ./
COPY app ./app
COPY pages ./pages
COPY bench/results ./bench/results
# --no-deps: only the project itself (app and pages); its egg-info goes to /srv, outside app/.
RUN pip install --no-deps -e .
USER gallery
CMD ["gunicorn", "app.main:app"]
