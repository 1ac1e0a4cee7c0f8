"""The two helper functions every django-pgtrigger and django-pghistory trigger calls, without
a subtransaction (ADR 0028).

As the libraries install them, both read a setting inside `BEGIN … EXCEPTION WHEN OTHERS`:
the setting is normally unset, so each call raises, and PostgreSQL rolls back a subtransaction.
Rolling one back walks the transaction's whole queue of pending after-trigger events (deferred
constraint checks, the statement's own history rows) — so a statement writing n tracked rows in
a transaction with m pending events costs n × (n + m). At 100,000 members that was minutes for
one INSERT; in a batch of 1,000 issued invoices it was the ledger's deferred balance checks
walked once per history row.

These versions read the setting with `current_setting(name, true)` (NULL when unset) and give
the same answers: not ignored, no context. pgtrigger re-creates its function whenever a
migration installs a trigger, so `install` runs after every `migrate` (post_migrate)."""

from __future__ import annotations

from django.conf import settings
from django.db import connections

SHOULD_IGNORE = """
CREATE OR REPLACE FUNCTION "public"._pgtrigger_should_ignore(trigger_name NAME)
RETURNS BOOLEAN AS $$
    DECLARE
        _ignore TEXT := current_setting('pgtrigger.ignore', true);
    BEGIN
        IF _ignore IS NULL OR _ignore = '' THEN
            RETURN FALSE;
        END IF;
        RETURN trigger_name = ANY(_ignore::TEXT[]);
    END;
$$ LANGUAGE plpgsql;
"""

ATTACH_CONTEXT = """
CREATE OR REPLACE FUNCTION _pgh_attach_context()
RETURNS pghistory_context.id%TYPE AS $$
    DECLARE
        _pgh_context_id UUID :=
            NULLIF(current_setting('pghistory.context_id', true), '')::UUID;
        _pgh_context_metadata JSONB :=
            NULLIF(current_setting('pghistory.context_metadata', true), '')::JSONB;
    BEGIN
        IF _pgh_context_id IS NOT NULL AND _pgh_context_metadata IS NOT NULL THEN
            INSERT INTO pghistory_context (id, metadata, created_at, updated_at)
                VALUES (_pgh_context_id, _pgh_context_metadata, NOW(), NOW())
                ON CONFLICT (id) DO UPDATE
                    SET metadata = EXCLUDED.metadata,
                        updated_at = EXCLUDED.updated_at
                    WHERE pghistory_context.metadata != EXCLUDED.metadata;
            RETURN _pgh_context_id;
        END IF;
        RETURN NULL;
    END;
$$ LANGUAGE plpgsql;
"""


def install(sender, using: str, **kwargs) -> None:
    """post_migrate handler: replace both functions once per migrate, as the owner."""
    if sender.name != "core":
        return
    connection = connections[using]
    if connection.vendor != "postgresql":
        return
    if "owner" in settings.DATABASES and using != "owner":
        return
    with connection.cursor() as cursor:
        cursor.execute(SHOULD_IGNORE)
        cursor.execute(ATTACH_CONTEXT)
