-- depends: 0013.list-orderings

-- Expenses (projections/expenses.py). Approvals are JSON: they are read whole with their
-- expense; approvers are an array as well so that the inbox can leave out what you approved.
CREATE TABLE expenses (
    id uuid PRIMARY KEY,
    branch text NOT NULL,
    department text NOT NULL,
    category text NOT NULL,
    amount numeric NOT NULL,
    currency text NOT NULL,
    amount_cny numeric NOT NULL,
    vendor text NOT NULL,
    invoice_number text NOT NULL,
    incurred_on date NOT NULL,
    budget_id uuid NOT NULL,
    description text NOT NULL,
    status text NOT NULL,
    submitted_by uuid NOT NULL,
    submitted_at timestamptz NOT NULL,
    chain text[] NOT NULL,
    chain_matrix_version integer NOT NULL,
    attachments text[] NOT NULL DEFAULT '{}',
    approvals jsonb NOT NULL DEFAULT '[]',
    approvers uuid[] NOT NULL DEFAULT '{}',
    next_level text,
    over_budget boolean NOT NULL DEFAULT false,
    amendments integer NOT NULL DEFAULT 0,
    approved_at timestamptz,
    rejected_by uuid,
    rejected_at timestamptz,
    rejection_reason text,
    withdrawn_at timestamptz,
    paid_by uuid,
    paid_at timestamptz,
    payment_reference text,
    version bigint NOT NULL,
    position bigint NOT NULL
);
CREATE INDEX expenses_submitted_idx ON expenses (submitted_at, id);
CREATE INDEX expenses_branch_submitted_idx ON expenses (branch, submitted_at, id);
CREATE INDEX expenses_submitter_idx ON expenses (submitted_by, submitted_at, id);
CREATE INDEX expenses_budget_idx ON expenses (budget_id, status);
-- The approval inbox: what waits, by the step it waits for.
CREATE INDEX expenses_waiting_idx ON expenses (next_level, branch, submitted_at, id)
    WHERE status = 'submitted';

-- Budget lines (projections/budgets.py): committed and paid come from the line's own events.
CREATE TABLE budgets (
    id uuid PRIMARY KEY,
    branch text NOT NULL,
    department text NOT NULL,
    category text NOT NULL,
    kind text NOT NULL,
    period text NOT NULL,
    period_kind text NOT NULL,
    starts_on date NOT NULL,
    ends_on date NOT NULL,
    amount numeric NOT NULL,
    status text NOT NULL,
    set_by uuid NOT NULL,
    set_at timestamptz NOT NULL,
    committed numeric NOT NULL DEFAULT 0,
    paid numeric NOT NULL DEFAULT 0,
    revisions jsonb NOT NULL DEFAULT '[]',
    closed_at timestamptz,
    version bigint NOT NULL,
    position bigint NOT NULL
);
CREATE INDEX budgets_branch_period_idx ON budgets (branch, starts_on, ends_on);
CREATE INDEX budgets_period_idx ON budgets (starts_on, ends_on);

-- The authority matrix (projections/matrix.py), one row per version.
CREATE TABLE authority_matrix (
    version integer PRIMARY KEY,
    department_head_limit numeric NOT NULL,
    branch_manager_limit numeric NOT NULL,
    top_approvers integer NOT NULL,
    set_by uuid,
    set_at timestamptz,
    reason text,
    position bigint NOT NULL
);
