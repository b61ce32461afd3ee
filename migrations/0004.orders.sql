-- depends: 0003.clients

ALTER TABLE clients ADD COLUMN trading_permissions text[] NOT NULL DEFAULT '{}';

-- Instrument catalogue (projections/instruments.py).
CREATE TABLE instruments (
    id uuid PRIMARY KEY,
    code text NOT NULL UNIQUE,
    name text NOT NULL,
    board text NOT NULL,
    risk_level text NOT NULL,
    board_lot integer NOT NULL,
    status text NOT NULL,
    restricted boolean NOT NULL,
    version bigint NOT NULL,
    position bigint NOT NULL
);

-- Order blotter (projections/orders.py).
CREATE TABLE orders (
    id uuid PRIMARY KEY,
    client_id uuid NOT NULL,
    branch text,
    acting_person text,
    account_number text NOT NULL,
    instrument_code text NOT NULL,
    side text NOT NULL,
    quantity integer NOT NULL,
    order_type text NOT NULL,
    limit_price numeric,
    channel text NOT NULL,
    received_at timestamptz NOT NULL,
    received_on date NOT NULL,
    taken_by uuid NOT NULL,
    status text NOT NULL,
    flag_status text NOT NULL,
    flag_rules text[] NOT NULL DEFAULT '{}',
    risk_acknowledged boolean NOT NULL DEFAULT false,
    reviewed_by uuid,
    reviewed_at timestamptz,
    reason_codes text[] NOT NULL DEFAULT '{}',
    filled_quantity integer NOT NULL DEFAULT 0,
    filled_amount numeric NOT NULL DEFAULT 0,
    last_executed_at timestamptz,
    cancelled_quantity integer NOT NULL DEFAULT 0,
    cancel_cause text,
    fed_back_at timestamptz,
    feedback_channel text,
    archived_at timestamptz,
    version bigint NOT NULL,
    position bigint NOT NULL
);
CREATE INDEX orders_received_idx ON orders (received_at, id);
CREATE INDEX orders_client_idx ON orders (client_id, received_at);
CREATE INDEX orders_branch_idx ON orders (branch, received_at, id);
CREATE INDEX orders_instrument_idx ON orders (instrument_code, received_at);
CREATE INDEX orders_flag_idx ON orders (flag_status) WHERE flag_status IN ('open', 'escalated');

-- Every event of an order, for its lifecycle timeline.
CREATE TABLE order_timeline (
    order_id uuid NOT NULL,
    version bigint NOT NULL,
    position bigint NOT NULL,
    event_type text NOT NULL,
    occurred_at timestamptz NOT NULL,
    actor uuid NOT NULL,
    actor_role text NOT NULL,
    reason text,
    details jsonb NOT NULL,
    PRIMARY KEY (order_id, version)
);
