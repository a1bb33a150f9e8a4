# syntax=docker/dockerfile:1
# One image for web, worker and beat (see docker-compose.yml).

FROM python:3.11-slim-bookworm AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
RUN python -m venv /opt/venv
COPY requirements.lock pyproject.toml ./
RUN /opt/venv/bin/pip install -r requirements.lock

FROM python:3.11-slim-bookworm AS runtime
# The release id in page cache keys and ETags (e.g. --build-arg BUILD_ID=$(git rev-parse HEAD));
# left empty, the app hashes its templates and code instead.
ARG BUILD_ID=""
ENV BUILD_ID=$BUILD_ID \
    PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DJANGO_SETTINGS_MODULE=roadmap_site.settings
RUN useradd --create-home --uid 10001 app
WORKDIR /app
COPY --from=build /opt/venv /opt/venv
COPY --chown=app:app . .
# collectstatic needs settings but no real secret or database.
RUN SECRET_KEY=collectstatic-only python manage.py collectstatic --no-input -v0
USER app
EXPOSE 8000
CMD ["bin/web"]
