-- depends: 0014.expenses

-- An index for every filter the lists offer that had none (issue 14). Each is checked by
-- tests/integration/test_list_indexes.py, which asks PostgreSQL for the plan of every filter
-- and sort of every list on a store of tens of thousands of rows and fails on a sequential
-- scan of a large table. Equality filters lead, then the list's sort key, so that a page is
-- the first rows of one index range whether the value is common or rare.

-- The review queue: a branch's orders in one status (received), oldest first. Before this
-- the planner walked the branch's whole history (orders_branch_idx) or read the table.
CREATE INDEX orders_branch_status_idx ON orders (branch, status, received_at, id);
CREATE INDEX orders_status_idx ON orders (status, received_at, id);
-- flagged: true (any flag ever raised); flagStatus and awaitingRisk have theirs (0004, 0013).
CREATE INDEX orders_flagged_idx ON orders (received_at, id) WHERE flag_status <> 'none';

-- Complaints by the department they were assigned to and by category.
CREATE INDEX complaints_department_idx ON complaints (department, received_at, id);
CREATE INDEX complaints_category_idx ON complaints (category, received_at, id);

-- Expenses by status (a branch's, as the review queue), department and category; flagged
-- over budget.
CREATE INDEX expenses_branch_status_idx ON expenses (branch, status, submitted_at, id);
CREATE INDEX expenses_status_idx ON expenses (status, submitted_at, id);
CREATE INDEX expenses_department_idx ON expenses (department, submitted_at, id);
CREATE INDEX expenses_category_idx ON expenses (category, submitted_at, id);
CREATE INDEX expenses_over_budget_idx ON expenses (submitted_at, id) WHERE over_budget;

-- Budget lines by department, category and kind (the list is sorted by branch and period).
CREATE INDEX budgets_department_idx ON budgets (department, branch, starts_on);
CREATE INDEX budgets_category_idx ON budgets (category, branch, starts_on);
CREATE INDEX budgets_kind_idx ON budgets (kind, branch, starts_on);
-- A period filter keeps lines that start on or after its first day and end by its last:
-- budgets_period_idx (0014) narrows a recent period, this one an early period.
CREATE INDEX budgets_period_end_idx ON budgets (ends_on, starts_on);

-- The audit trail by kind of record (aggregateType), in notification order.
CREATE INDEX audit_log_aggregate_type_idx ON audit_log (aggregate_type, notification_id);

-- The clients whose processing is restricted: every blotter and complaint page asks which
-- of its clients they are (projections/clients.py::restricted_clients); a handful of rows.
CREATE INDEX clients_restricted_idx ON clients (id) WHERE processing_restricted;
