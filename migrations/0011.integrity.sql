-- depends: 0010.projection-incidents

-- Trust that does not rest on the database's own administrator (DESIGN §3, issue 13):
-- the service's role may only SELECT and INSERT what is below (grants are applied by
-- api/roles.py after every migration, because role names are the operator's), the
-- application signs every event with a key the database never holds, and signed
-- checkpoints are kept here and outside the database.

-- The EXCLUSIVE lock that serialises writers (and so keeps notification ids in commit
-- order) needs UPDATE, DELETE or TRUNCATE rights to take directly. The service's role has
-- none of them, so it takes the lock through this function, which runs as the owner and
-- does nothing else.
CREATE FUNCTION backoffice_lock_events() RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
    LOCK TABLE public.backoffice_events IN EXCLUSIVE MODE;
END
$$;

REVOKE ALL ON FUNCTION backoffice_lock_events() FROM PUBLIC;

-- The chain trigger, as in 0001, but taking the lock through the function above (it runs
-- as the inserting role) and with a pinned search path, so that no schema or temporary
-- table another role creates can stand in for the objects it uses.
CREATE OR REPLACE FUNCTION backoffice_events_chain() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    head_id bigint;
    head_hash bytea;
BEGIN
    PERFORM public.backoffice_lock_events();
    SELECT notification_id, chain_hash INTO head_id, head_hash
      FROM public.backoffice_events ORDER BY notification_id DESC LIMIT 1;
    IF head_id IS NOT NULL AND NEW.notification_id <= head_id THEN
        RAISE EXCEPTION 'backoffice_events is append-only: notification_id % is not after the head %',
            NEW.notification_id, head_id
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    NEW.chain_hash := public.backoffice_chain_hash(
        coalesce(head_hash, '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea),
        NEW.notification_id, NEW.originator_id, NEW.originator_version, NEW.topic, NEW.state);
    RETURN NEW;
END
$$;

CREATE OR REPLACE FUNCTION backoffice_events_immutable() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % is not allowed', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege',
              HINT = 'Records are never changed or removed; record a new event instead.';
END
$$;

-- 0001 left the idempotency rows open to TRUNCATE.
CREATE TRIGGER backoffice_commands_no_truncate
    BEFORE TRUNCATE ON backoffice_commands
    FOR EACH STATEMENT EXECUTE FUNCTION backoffice_events_immutable();

-- One Ed25519 signature per event, written by the application in the transaction that
-- inserts the event, right after the insert returns its notification id and chain hash
-- (both are only known then, and an UPDATE of the event row is refused by design). The
-- signed message covers the row's fields, its chain hash (and so every row before it) and,
-- for the event a keyed command ends with, that command's idempotency row: see
-- api/signing.py::event_message. Keyed by notification id; `verify` joins the two.
CREATE TABLE backoffice_event_signatures (
    notification_id bigint PRIMARY KEY,
    key_id text NOT NULL,
    signature bytea NOT NULL,
    idempotency_key text
);

CREATE INDEX backoffice_event_signatures_idempotency_key_idx
    ON backoffice_event_signatures (idempotency_key) WHERE idempotency_key IS NOT NULL;

-- Signed checkpoints (notification id, chain hash, time). A copy of each is also written
-- outside the database (api/checkpoints.py); `verify` proves the chain against both.
CREATE TABLE backoffice_checkpoints (
    notification_id bigint NOT NULL,
    chain_hash bytea NOT NULL,
    recorded_at timestamptz NOT NULL,
    key_id text NOT NULL,
    signature bytea NOT NULL,
    PRIMARY KEY (notification_id, recorded_at)
);

CREATE TRIGGER backoffice_event_signatures_no_update_delete
    BEFORE UPDATE OR DELETE ON backoffice_event_signatures
    FOR EACH ROW EXECUTE FUNCTION backoffice_events_immutable();

CREATE TRIGGER backoffice_event_signatures_no_truncate
    BEFORE TRUNCATE ON backoffice_event_signatures
    FOR EACH STATEMENT EXECUTE FUNCTION backoffice_events_immutable();

CREATE TRIGGER backoffice_checkpoints_no_update_delete
    BEFORE UPDATE OR DELETE ON backoffice_checkpoints
    FOR EACH ROW EXECUTE FUNCTION backoffice_events_immutable();

CREATE TRIGGER backoffice_checkpoints_no_truncate
    BEFORE TRUNCATE ON backoffice_checkpoints
    FOR EACH STATEMENT EXECUTE FUNCTION backoffice_events_immutable();
