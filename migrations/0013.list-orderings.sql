-- depends: 0012.complaints

-- The sorts (`orderBy`) and range filters the lists offer (api/graphql, issue 15). Every list
-- of a branch's staff is filtered by branch, so each sort has an index with and without it.

-- Orders: the largest first (QUANTITY_DESC), and quantity ranges (minQuantity/maxQuantity).
-- Receipt-time ranges (receivedAtFrom/To) and RECEIVED_AT_DESC use orders_received_idx and
-- orders_branch_idx (read backwards for DESC).
CREATE INDEX orders_quantity_idx ON orders (quantity, id);
CREATE INDEX orders_branch_quantity_idx ON orders (branch, quantity, id);
-- flagStatus; awaitingRisk uses the partial orders_flag_idx.
CREATE INDEX orders_flag_status_idx ON orders (flag_status, received_at, id);

-- Clients: sorted by name (NAME), and due for reassessment (riskExpiresBefore). Registration
-- ranges (registeredFrom/To) use clients_registered_idx and clients_branch_registered_idx.
CREATE INDEX clients_sort_name_idx ON clients (name, id);
CREATE INDEX clients_branch_sort_name_idx ON clients (branch, name, id);
CREATE INDEX clients_risk_expiry_idx ON clients (risk_expires_on);
CREATE INDEX clients_branch_risk_expiry_idx ON clients (branch, risk_expires_on);

-- Staff: by registration (REGISTERED_AT).
CREATE INDEX staff_registered_idx ON staff (registered_at, id);
CREATE INDEX staff_branch_registered_idx ON staff (branch, registered_at, id);

-- Instruments: by name (NAME; CODE uses the unique index on code). The catalogue's other
-- filters (board, riskLevel, status, restricted) have no index on purpose: the whole
-- catalogue is a few thousand rows (the A-share market lists about 5,500), read in one
-- sequential scan faster than through an index on a column with a handful of values.
CREATE INDEX instruments_name_idx ON instruments (name, code);

-- The audit trail by business time (occurredFrom/occurredTo, `audit export --clock business`).
CREATE INDEX audit_log_occurred_idx ON audit_log (occurred_at);
