-- depends: 0009.four-eyes-roles

-- Every time a read model stopped on an event it could not apply, and every time an
-- operator resumed it after releasing a fix: what, where, who and when
-- (projections/incidents.py). The newest row of a model says whether it is stopped.
-- Kept as a record, like the events: rows are appended, never changed or removed.
CREATE TABLE projection_incidents (
    id bigserial PRIMARY KEY,
    model text NOT NULL,
    kind text NOT NULL CHECK (kind IN ('failed', 'resumed')),
    -- The model's tracking position when it stopped (or when it was resumed).
    position bigint NOT NULL,
    -- The event it could not apply (failed only; null when it could not be singled out).
    notification_id bigint,
    error text,
    -- The runner (host and pid) that stopped, or the operator who resumed.
    recorded_by text NOT NULL,
    -- The operator's account of the fix (resumed only).
    note text,
    -- The installed release of the service that wrote the row.
    release text NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    CHECK (kind <> 'resumed' OR note IS NOT NULL)
);
CREATE INDEX projection_incidents_model_idx ON projection_incidents (model, id DESC);

CREATE FUNCTION projection_incidents_immutable() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'projection_incidents is append-only: % is not allowed', TG_OP
        USING ERRCODE = 'insufficient_privilege',
              HINT = 'Record a new incident (e.g. backoffice project resume) instead.';
END
$$;

CREATE TRIGGER projection_incidents_no_update_delete
    BEFORE UPDATE OR DELETE ON projection_incidents
    FOR EACH ROW EXECUTE FUNCTION projection_incidents_immutable();

CREATE TRIGGER projection_incidents_no_truncate
    BEFORE TRUNCATE ON projection_incidents
    FOR EACH STATEMENT EXECUTE FUNCTION projection_incidents_immutable();
