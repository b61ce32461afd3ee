-- depends: 0006.erasure

-- The retention presets in force (projections/retention.py); one row.
CREATE TABLE retention_policy (
    id uuid PRIMARY KEY,
    presets text[] NOT NULL,
    changed_at timestamptz NOT NULL,
    changed_by uuid NOT NULL,
    reason text,
    version bigint NOT NULL,
    position bigint NOT NULL
);

-- Legal holds by subject (a client or any record).
CREATE TABLE legal_holds (
    subject_id uuid PRIMARY KEY,
    hold_id uuid NOT NULL UNIQUE,
    active boolean NOT NULL,
    placed_at timestamptz NOT NULL,
    placed_by uuid NOT NULL,
    reason text,
    lifted_at timestamptz,
    version bigint NOT NULL,
    position bigint NOT NULL
);
