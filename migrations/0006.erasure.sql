-- depends: 0005.audit

-- A client's erasure request during retention restricts processing (PIPL Art. 47).
ALTER TABLE clients ADD COLUMN processing_restricted boolean NOT NULL DEFAULT false;
