"""The zero-sum invariant in PostgreSQL (after django-hordak's check_leg trigger).

A DEFERRABLE INITIALLY DEFERRED constraint trigger checks at commit that every transaction's
entries sum to zero and that there are at least two, however the rows were written (ORM, bulk,
raw SQL). The check sets the transaction-local tenant setting to the row's own cooperative for
its own query (row-level security would otherwise hide the entries when the commit happens
outside that cooperative's scope) and puts the previous value back.
"""

from django.db import migrations

CREATE = r"""
CREATE OR REPLACE FUNCTION ledger_check_balanced(tx_id bigint, coop_id bigint)
RETURNS void AS $$
DECLARE
    previous text := current_setting('app.cooperative_id', true);
    total numeric;
    lines integer;
BEGIN
    PERFORM set_config('app.cooperative_id', coop_id::text, true);
    SELECT coalesce(sum(amount), 0), count(*) INTO total, lines
    FROM ledger_entry WHERE transaction_id = tx_id;
    PERFORM set_config('app.cooperative_id', coalesce(previous, ''), true);
    IF total <> 0 THEN
        RAISE EXCEPTION 'ledger transaction % does not balance (sum of entries %)', tx_id, total
            USING ERRCODE = 'check_violation';
    END IF;
    IF lines < 2 THEN
        RAISE EXCEPTION 'ledger transaction % has % entries; at least two are needed', tx_id, lines
            USING ERRCODE = 'check_violation';
    END IF;
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION ledger_entry_balanced() RETURNS trigger AS $$
BEGIN
    PERFORM ledger_check_balanced(NEW.transaction_id, NEW.cooperative_id);
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION ledger_transaction_balanced() RETURNS trigger AS $$
BEGIN
    PERFORM ledger_check_balanced(NEW.id, NEW.cooperative_id);
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

DROP TRIGGER IF EXISTS ledger_entry_balanced ON ledger_entry;
CREATE CONSTRAINT TRIGGER ledger_entry_balanced
    AFTER INSERT ON ledger_entry DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION ledger_entry_balanced();

DROP TRIGGER IF EXISTS ledger_transaction_balanced ON ledger_transaction;
CREATE CONSTRAINT TRIGGER ledger_transaction_balanced
    AFTER INSERT ON ledger_transaction DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION ledger_transaction_balanced();
"""

DROP = r"""
DROP TRIGGER IF EXISTS ledger_entry_balanced ON ledger_entry;
DROP TRIGGER IF EXISTS ledger_transaction_balanced ON ledger_transaction;
DROP FUNCTION IF EXISTS ledger_entry_balanced();
DROP FUNCTION IF EXISTS ledger_transaction_balanced();
DROP FUNCTION IF EXISTS ledger_check_balanced(bigint, bigint);
"""


def _on_postgresql(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [("ledger", "0001_initial")]

    operations = [migrations.RunPython(_on_postgresql(CREATE), _on_postgresql(DROP))]
