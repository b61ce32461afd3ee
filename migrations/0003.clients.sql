-- depends: 0002.projections

-- Client directory and profile (projections/clients.py). Lists on the profile are JSON:
-- they are read whole with the client and never queried on their own.
CREATE TABLE clients (
    id uuid PRIMARY KEY,
    client_type text NOT NULL,
    name text NOT NULL,
    source_channel text NOT NULL,
    account_manager uuid NOT NULL,
    branch text NOT NULL,
    status text NOT NULL,
    identity_verified boolean NOT NULL DEFAULT false,
    document_type text,
    document_number text,
    birth_date date,
    risk_level text,
    risk_assessed_on date,
    risk_expires_on date,
    classification text,
    qualified boolean,
    account_number text,
    registered_at timestamptz NOT NULL,
    opened_at timestamptz,
    closed_on date,
    contact jsonb,
    beneficial_owners jsonb NOT NULL DEFAULT '[]',
    agreements jsonb NOT NULL DEFAULT '[]',
    pending_changes jsonb NOT NULL DEFAULT '[]',
    version bigint NOT NULL,
    position bigint NOT NULL
);
CREATE INDEX clients_registered_idx ON clients (registered_at, id);
CREATE INDEX clients_branch_registered_idx ON clients (branch, registered_at, id);
CREATE INDEX clients_manager_idx ON clients (account_manager, opened_at);
CREATE INDEX clients_name_idx ON clients (name text_pattern_ops);
CREATE UNIQUE INDEX clients_account_idx ON clients (branch, account_number)
    WHERE account_number IS NOT NULL;
