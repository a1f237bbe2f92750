-- Make the audit trail append-only for the role the API connects as (Postgres only).
--
-- Run it as the owner of the tables (the role that runs `leergemeenschap migrate`), after
-- every migration that recreates audit_events and at least once per database:
--
--   psql "postgresql://OWNER@HOST:5432/leergemeenschap" \
--        -v ON_ERROR_STOP=1 -v app_role=leergemeenschap_app -f scripts/protect_audit.sql
--
-- Afterwards `app_role` may read and append audit events, never change or remove them
-- (UPDATE, DELETE and TRUNCATE are revoked). Running it again changes nothing.
-- It refuses a role that owns audit_events (or belongs to its owner) or is a superuser:
-- privileges do not bind those, so the API must run as a role of its own
-- (docs/operations.md, "The audit trail").

\set ON_ERROR_STOP on

\if :{?app_role}
\else
DO $$ BEGIN
    RAISE EXCEPTION 'name the role the API connects as: psql -v app_role=<role> -f scripts/protect_audit.sql';
END $$;
\endif

-- psql variables are not expanded inside a DO block; a setting carries the name in.
SELECT set_config('leergemeenschap.app_role', :'app_role', false) AS app_role;

DO $$
DECLARE
    app_role text := current_setting('leergemeenschap.app_role');
    audit regclass := to_regclass('audit_events');
    table_owner text;
    id_sequence text;
BEGIN
    IF audit IS NULL THEN
        RAISE EXCEPTION 'no table audit_events in the search path (%); run `leergemeenschap migrate` first',
            current_setting('search_path');
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = app_role) THEN
        RAISE EXCEPTION 'there is no role %', app_role;
    END IF;
    IF (SELECT rolsuper FROM pg_roles WHERE rolname = app_role) THEN
        RAISE EXCEPTION 'role % is a superuser: no privilege binds it. Run the API as a role of its own.', app_role;
    END IF;
    SELECT pg_get_userbyid(relowner) INTO table_owner FROM pg_class WHERE oid = audit;
    IF pg_has_role(app_role, table_owner, 'MEMBER') THEN
        RAISE EXCEPTION 'role % owns audit_events (its owner is %): an owner can grant itself anything back. Run the API as a role of its own.',
            app_role, table_owner;
    END IF;

    EXECUTE format('REVOKE UPDATE, DELETE, TRUNCATE ON TABLE %s FROM PUBLIC, %I', audit, app_role);
    EXECUTE format('GRANT SELECT, INSERT ON TABLE %s TO %I', audit, app_role);
    id_sequence := pg_get_serial_sequence(audit::text, 'id');
    IF id_sequence IS NOT NULL THEN
        EXECUTE format('GRANT USAGE ON SEQUENCE %s TO %I', id_sequence, app_role);
    END IF;

    -- A role it belongs to could still hold the privileges; then this protected nothing.
    IF has_table_privilege(app_role, audit, 'UPDATE')
       OR has_table_privilege(app_role, audit, 'DELETE')
       OR has_table_privilege(app_role, audit, 'TRUNCATE') THEN
        RAISE EXCEPTION 'role % may still change audit_events through a role it belongs to; revoke it there and run this again',
            app_role;
    END IF;
    RAISE NOTICE 'audit_events is append-only for %: SELECT and INSERT, no UPDATE, DELETE or TRUNCATE', app_role;
END $$;
