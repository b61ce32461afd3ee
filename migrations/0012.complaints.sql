-- depends: 0011.integrity

-- The complaint queue (projections/complaints.py): one row per complaint.
CREATE TABLE complaints (
    id uuid PRIMARY KEY,
    number text NOT NULL,
    branch text NOT NULL,
    month text NOT NULL,
    sequence integer NOT NULL,
    channel text NOT NULL,
    client_id uuid,
    complainant_name text,
    complainant_contact text,
    content text NOT NULL,
    category text NOT NULL,
    quality boolean NOT NULL,
    abroad boolean NOT NULL,
    received_at timestamptz NOT NULL,
    received_on date NOT NULL,
    first_responder uuid NOT NULL,
    owner uuid NOT NULL,
    status text NOT NULL,
    stage text NOT NULL,
    stage_due_on date,
    reply_due_on date NOT NULL,
    next_due_on date,
    policy_version integer NOT NULL,
    reply_days integer NOT NULL,
    cause text,
    department text,
    attributed_to uuid,
    assigned_by uuid,
    proposed_resolution text,
    proposed_by uuid,
    approved_resolution text,
    approved_by uuid,
    resolved_at_once boolean NOT NULL DEFAULT false,
    first_replied_on date,
    replied_within_deadline boolean,
    last_replied_on date,
    reply_content text,
    reply_channel text,
    satisfied boolean,
    fed_back_at timestamptz,
    closed_at timestamptz,
    reopened integer NOT NULL DEFAULT 0,
    notes integer NOT NULL DEFAULT 0,
    chased integer NOT NULL DEFAULT 0,
    last_chased_at timestamptz,
    version bigint NOT NULL,
    position bigint NOT NULL
);
-- Numbers are unique per branch (the counter aggregate guarantees it; this checks it).
CREATE UNIQUE INDEX complaints_number_idx ON complaints (branch, number);
CREATE INDEX complaints_received_idx ON complaints (received_at, id);
CREATE INDEX complaints_branch_idx ON complaints (branch, received_at, id);
CREATE INDEX complaints_client_idx ON complaints (client_id, received_at);
CREATE INDEX complaints_owner_idx ON complaints (owner, received_at);
CREATE INDEX complaints_status_idx ON complaints (status, received_at);
CREATE INDEX complaints_due_idx ON complaints (next_due_on) WHERE next_due_on IS NOT NULL;
CREATE INDEX complaints_replied_idx ON complaints (branch, first_replied_on);

-- Every event of a complaint: its timeline, and the dates of chases, replies and call-backs
-- for the analysis.
CREATE TABLE complaint_timeline (
    complaint_id uuid NOT NULL,
    version bigint NOT NULL,
    position bigint NOT NULL,
    event_type text NOT NULL,
    occurred_at timestamptz NOT NULL,
    actor uuid NOT NULL,
    actor_role text NOT NULL,
    reason text,
    details jsonb NOT NULL,
    PRIMARY KEY (complaint_id, version)
);
CREATE INDEX complaint_timeline_type_idx ON complaint_timeline (event_type, occurred_at);

-- The deadline terms in force (one row; none before head office first sets them).
CREATE TABLE complaint_policy (
    id uuid PRIMARY KEY,
    reply_days integer NOT NULL,
    reply_days_abroad integer NOT NULL,
    branch_days integer NOT NULL,
    marketing_days integer NOT NULL,
    department_days integer NOT NULL,
    analyst_role text NOT NULL,
    changed_at timestamptz NOT NULL,
    changed_by uuid NOT NULL,
    reason text,
    version bigint NOT NULL,
    position bigint NOT NULL
);
