-- depends: 0004.orders

-- The audit trail: one row per stored event with its envelope, so auditors can filter the
-- whole log by type, actor, branch and time without decoding (or decrypting) every event.
-- Written by projections/audit.py; the events themselves stay the source of truth.
CREATE TABLE audit_log (
    notification_id bigint PRIMARY KEY,
    originator_id uuid NOT NULL,
    originator_version bigint NOT NULL,
    aggregate_type text NOT NULL,
    event_type text NOT NULL,
    actor uuid NOT NULL,
    actor_role text NOT NULL,
    branch text NOT NULL,
    occurred_at timestamptz NOT NULL,
    recorded_at timestamptz NOT NULL,
    reason text,
    correlation_id uuid NOT NULL,
    causation_id uuid NOT NULL
);
CREATE INDEX audit_log_originator_idx ON audit_log (originator_id, originator_version);
CREATE INDEX audit_log_actor_idx ON audit_log (actor, notification_id);
CREATE INDEX audit_log_branch_idx ON audit_log (branch, notification_id);
CREATE INDEX audit_log_type_idx ON audit_log (event_type, notification_id);
CREATE INDEX audit_log_recorded_idx ON audit_log (recorded_at);
