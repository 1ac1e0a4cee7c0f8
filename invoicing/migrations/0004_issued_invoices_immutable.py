"""Issued invoices never change (GoBD; § 146 (4) AO; R6).

Hand-written triggers rather than django-pgtrigger's Protect: pgtrigger can be switched off per
session (`pgtrigger.ignore`), and the point is that nothing the application role sends — ORM
save, queryset update, bulk_update or raw SQL — can change or delete an issued invoice or its
lines. An invoice can only become issued with at least one line whose net amounts add up to
its net total. The SQLite triggers protect the demo database the same way.
"""

from django.db import migrations

POSTGRESQL = r"""
CREATE OR REPLACE FUNCTION invoicing_invoice_protect() RETURNS trigger AS $$
DECLARE
    line_total numeric;
    line_count integer;
BEGIN
    IF OLD.status = 'issued' THEN
        RAISE EXCEPTION 'invoice % is issued and cannot be changed or deleted', OLD.number_text
            USING ERRCODE = 'restrict_violation';
    END IF;
    IF TG_OP = 'UPDATE' AND NEW.status = 'issued' THEN
        SELECT coalesce(sum(net_amount), 0), count(*) INTO line_total, line_count
        FROM invoicing_invoiceline WHERE invoice_id = NEW.id;
        IF line_count = 0 OR line_total <> NEW.net_total
                OR NEW.gross_total <> NEW.net_total + NEW.vat_total THEN
            RAISE EXCEPTION 'invoice % cannot be issued: % lines summing to %, net total %',
                NEW.id, line_count, line_total, NEW.net_total
                USING ERRCODE = 'check_violation';
        END IF;
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION invoicing_invoiceline_protect() RETURNS trigger AS $$
DECLARE
    parent_status text;
BEGIN
    SELECT status INTO parent_status FROM invoicing_invoice
    WHERE id = CASE WHEN TG_OP = 'INSERT' THEN NEW.invoice_id ELSE OLD.invoice_id END;
    IF parent_status = 'issued' THEN
        RAISE EXCEPTION 'the lines of an issued invoice cannot be changed'
            USING ERRCODE = 'restrict_violation';
    END IF;
    IF TG_OP = 'UPDATE' AND NEW.invoice_id <> OLD.invoice_id THEN
        RAISE EXCEPTION 'an invoice line cannot move to another invoice'
            USING ERRCODE = 'restrict_violation';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

DROP TRIGGER IF EXISTS invoicing_invoice_protect ON invoicing_invoice;
CREATE TRIGGER invoicing_invoice_protect
    BEFORE UPDATE OR DELETE ON invoicing_invoice
    FOR EACH ROW EXECUTE FUNCTION invoicing_invoice_protect();

DROP TRIGGER IF EXISTS invoicing_invoiceline_protect ON invoicing_invoiceline;
CREATE TRIGGER invoicing_invoiceline_protect
    BEFORE INSERT OR UPDATE OR DELETE ON invoicing_invoiceline
    FOR EACH ROW EXECUTE FUNCTION invoicing_invoiceline_protect();

"""

POSTGRESQL_DROP = r"""
DROP TRIGGER IF EXISTS invoicing_invoice_protect ON invoicing_invoice;
DROP TRIGGER IF EXISTS invoicing_invoiceline_protect ON invoicing_invoiceline;
DROP FUNCTION IF EXISTS invoicing_invoice_protect();
DROP FUNCTION IF EXISTS invoicing_invoiceline_protect();
"""

SQLITE = [
    """CREATE TRIGGER IF NOT EXISTS invoicing_invoice_no_update BEFORE UPDATE ON invoicing_invoice
       WHEN OLD.status = 'issued'
       BEGIN SELECT RAISE(ABORT, 'an issued invoice cannot be changed'); END""",
    """CREATE TRIGGER IF NOT EXISTS invoicing_invoice_no_delete BEFORE DELETE ON invoicing_invoice
       WHEN OLD.status = 'issued'
       BEGIN SELECT RAISE(ABORT, 'an issued invoice cannot be deleted'); END""",
    """CREATE TRIGGER IF NOT EXISTS invoicing_line_no_insert BEFORE INSERT ON invoicing_invoiceline
       WHEN (SELECT status FROM invoicing_invoice WHERE id = NEW.invoice_id) = 'issued'
       BEGIN SELECT RAISE(ABORT, 'the lines of an issued invoice cannot be changed'); END""",
    """CREATE TRIGGER IF NOT EXISTS invoicing_line_no_update BEFORE UPDATE ON invoicing_invoiceline
       WHEN (SELECT status FROM invoicing_invoice WHERE id = OLD.invoice_id) = 'issued'
       BEGIN SELECT RAISE(ABORT, 'the lines of an issued invoice cannot be changed'); END""",
    """CREATE TRIGGER IF NOT EXISTS invoicing_line_no_delete BEFORE DELETE ON invoicing_invoiceline
       WHEN (SELECT status FROM invoicing_invoice WHERE id = OLD.invoice_id) = 'issued'
       BEGIN SELECT RAISE(ABORT, 'the lines of an issued invoice cannot be changed'); END""",
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS invoicing_invoice_no_update",
    "DROP TRIGGER IF EXISTS invoicing_invoice_no_delete",
    "DROP TRIGGER IF EXISTS invoicing_line_no_insert",
    "DROP TRIGGER IF EXISTS invoicing_line_no_update",
    "DROP TRIGGER IF EXISTS invoicing_line_no_delete",
]


def _install(postgresql, sqlite):
    def run(apps, schema_editor):
        vendor = schema_editor.connection.vendor
        if vendor == "postgresql":
            schema_editor.execute(postgresql, params=None)
        elif vendor == "sqlite":
            for statement in sqlite:
                schema_editor.execute(statement, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [("invoicing", "0003_invoices")]

    operations = [
        migrations.RunPython(
            _install(POSTGRESQL, SQLITE), _install(POSTGRESQL_DROP, SQLITE_DROP)
        )
    ]
