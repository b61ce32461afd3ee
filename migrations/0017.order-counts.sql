-- depends: 0016.snapshots

-- How many orders there are of each branch, status and flag status (projections/orders.py
-- keeps it in the same transaction as the rows it counts). The blotter's totalCount reads it
-- whenever its filter uses only these columns (branch, status, flagged, flagStatus,
-- awaitingRisk, or none at all), so the count stays exact without reading every matching
-- order: a few hundred rows whatever the size of the store (issue 14). Other filters count
-- the orders themselves. A branch may be null: NULLS NOT DISTINCT keeps one row for it.
CREATE TABLE order_counts (
    branch text,
    status text NOT NULL,
    flag_status text NOT NULL,
    n bigint NOT NULL,
    UNIQUE NULLS NOT DISTINCT (branch, status, flag_status)
);

INSERT INTO order_counts (branch, status, flag_status, n)
SELECT branch, status, flag_status, count(*) FROM orders GROUP BY branch, status, flag_status;
