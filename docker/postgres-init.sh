#!/usr/bin/env bash
# Runs once when the postgres container initialises its data directory: the owner role (runs
# migrations) and the application role (serves requests; no SUPERUSER, no BYPASSRLS).
set -euo pipefail
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres <<SQL
CREATE ROLE smartcoop_owner LOGIN CREATEDB NOSUPERUSER NOBYPASSRLS PASSWORD '${SMARTCOOP_OWNER_DB_PASSWORD}';
CREATE ROLE smartcoop_app LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE PASSWORD '${SMARTCOOP_APP_DB_PASSWORD}';
CREATE DATABASE smartcoop OWNER smartcoop_owner;
SQL
