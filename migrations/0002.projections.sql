-- depends: 0001.event-store

-- Positions of the read models: one row per projection, written in the same
-- transaction as the projection's rows. Layout of eventsourcing's single-row
-- tracking table; the '__migration__' row tells the library the table is current.
CREATE TABLE projection_tracking (
    application_name text PRIMARY KEY,
    notification_id bigint
);
INSERT INTO projection_tracking VALUES ('__migration__', 1);

-- Staff read model (projections/staff.py).
CREATE TABLE staff (
    id uuid PRIMARY KEY,
    name text NOT NULL,
    branch text NOT NULL,
    roles text[] NOT NULL DEFAULT '{}',
    active boolean NOT NULL DEFAULT true,
    registered_at timestamptz NOT NULL,
    deactivated_at timestamptz,
    version bigint NOT NULL,
    position bigint NOT NULL
);
CREATE INDEX staff_branch_name_idx ON staff (branch, name, id);
CREATE INDEX staff_name_idx ON staff (name, id);

-- Every grant and revocation, so "who was allowed to do this, then?" is a query.
CREATE TABLE staff_role_periods (
    staff_id uuid NOT NULL,
    role text NOT NULL,
    granted_at timestamptz NOT NULL,
    revoked_at timestamptz,
    PRIMARY KEY (staff_id, role, granted_at)
);

-- Bearer tokens, by SHA-256 only; the token itself is shown once, by the CLI.
CREATE TABLE staff_tokens (
    token_hash bytea PRIMARY KEY,
    staff_id uuid NOT NULL,
    issued_at timestamptz NOT NULL,
    revoked_at timestamptz
);
CREATE INDEX staff_tokens_staff_idx ON staff_tokens (staff_id);
