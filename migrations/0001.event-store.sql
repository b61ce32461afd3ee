-- The event store, owned here rather than by the eventsourcing library
-- (the application runs with CREATE_TABLE=false). Column names and types are
-- exactly those eventsourcing 9.5 reads and writes for ORIGINATOR_ID_TYPE=uuid.

CREATE TYPE stored_event_uuid AS (
    originator_id uuid,
    originator_version bigint,
    topic text,
    state bytea
);

CREATE TABLE backoffice_events (
    originator_id uuid NOT NULL,
    originator_version bigint NOT NULL,
    topic text,
    state bytea,
    notification_id bigserial,
    -- SHA-256 over the previous row's chain_hash and this row (see
    -- backoffice_chain_hash below); filled in by the BEFORE INSERT trigger.
    chain_hash bytea NOT NULL,
    PRIMARY KEY (originator_id, originator_version)
) WITH (
    autovacuum_enabled = true,
    autovacuum_vacuum_threshold = 100000000,
    autovacuum_vacuum_scale_factor = 0.5,
    autovacuum_analyze_threshold = 1000,
    autovacuum_analyze_scale_factor = 0.01
);

CREATE UNIQUE INDEX backoffice_events_notification_id_idx
    ON backoffice_events (notification_id ASC);

-- The hash of one stored row given the previous hash. The byte layout is
-- mirrored by api.chain.row_hash, which `backoffice verify` uses to recompute the
-- chain independently of this function: change both or neither.
CREATE FUNCTION backoffice_chain_hash(
    previous bytea, notification_id bigint, originator_id uuid,
    originator_version bigint, topic text, state bytea
) RETURNS bytea LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT sha256(
        previous
        || int8send(notification_id)
        || uuid_send(originator_id)
        || int8send(originator_version)
        || int4send(octet_length(convert_to(topic, 'UTF8')))
        || convert_to(topic, 'UTF8')
        || int4send(octet_length(state))
        || state
    )
$$;

-- Chains every inserted row to the newest row before it. It runs inside the
-- inserting transaction, under the EXCLUSIVE table lock (taken here too, so an
-- insert that did not come through the library is serialised all the same), so
-- no event can exist unchained and no two rows can claim the same predecessor.
CREATE FUNCTION backoffice_events_chain() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
DECLARE
    head_id bigint;
    head_hash bytea;
BEGIN
    LOCK TABLE backoffice_events IN EXCLUSIVE MODE;
    SELECT notification_id, chain_hash INTO head_id, head_hash
      FROM backoffice_events ORDER BY notification_id DESC LIMIT 1;
    IF head_id IS NOT NULL AND NEW.notification_id <= head_id THEN
        RAISE EXCEPTION 'backoffice_events is append-only: notification_id % is not after the head %',
            NEW.notification_id, head_id
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    NEW.chain_hash := backoffice_chain_hash(
        coalesce(head_hash, '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea),
        NEW.notification_id, NEW.originator_id, NEW.originator_version, NEW.topic, NEW.state);
    RETURN NEW;
END
$$;

CREATE TRIGGER backoffice_events_chain
    BEFORE INSERT ON backoffice_events
    FOR EACH ROW EXECUTE FUNCTION backoffice_events_chain();

-- Records are kept, never changed or removed in place (DESIGN §1, §3).
CREATE FUNCTION backoffice_events_immutable() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'backoffice_events is append-only: % is not allowed', TG_OP
        USING ERRCODE = 'insufficient_privilege',
              HINT = 'Events are never changed or removed; record a new event instead.';
END
$$;

CREATE TRIGGER backoffice_events_no_update_delete
    BEFORE UPDATE OR DELETE ON backoffice_events
    FOR EACH ROW EXECUTE FUNCTION backoffice_events_immutable();

CREATE TRIGGER backoffice_events_no_truncate
    BEFORE TRUNCATE ON backoffice_events
    FOR EACH STATEMENT EXECUTE FUNCTION backoffice_events_immutable();

-- Idempotency: one row per command that carried a key, written in the same
-- transaction as the command's events (api.store.BackOfficeRecorder).
CREATE TABLE backoffice_commands (
    idempotency_key text PRIMARY KEY,
    command text NOT NULL,
    actor uuid,
    aggregate_id uuid NOT NULL,
    aggregate_version bigint NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT clock_timestamp()
);

CREATE TRIGGER backoffice_commands_no_update_delete
    BEFORE UPDATE OR DELETE ON backoffice_commands
    FOR EACH ROW EXECUTE FUNCTION backoffice_events_immutable();
