-- depends: 0015.filter-indexes

-- Snapshots of long-lived records (domain/snapshots.py, api/snapshots.py): the library's
-- snapshot rows (originator id, version, topic, state: the aggregate's attributes, encrypted
-- like events when CIPHER_KEY is set), plus what lets a snapshot be checked and used by asOf.
-- A snapshot is a cache, not the record: the service may SELECT, INSERT and DELETE here (an
-- erasure request discards a client's snapshots), never UPDATE; losing every row only makes
-- loading replay from the events. It is not hash-chained, backed up or verified as the record
-- is; instead each row is signed by the service's key and bound to the chain hash of the
-- event at its version, and a row that does not check is ignored.
CREATE TABLE backoffice_snapshots (
    originator_id uuid NOT NULL,
    originator_version bigint NOT NULL,
    topic text NOT NULL,
    state bytea NOT NULL,
    -- The latest recording and business time among the events up to this version: asOf a
    -- moment starts from the newest snapshot whose events all lie at or before it.
    recorded_upto timestamptz NOT NULL,
    occurred_upto timestamptz NOT NULL,
    key_id text NOT NULL,
    signature bytea NOT NULL,
    taken_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (originator_id, originator_version)
);
