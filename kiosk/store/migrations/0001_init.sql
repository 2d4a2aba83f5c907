-- 0001: the kiosk's local queue.
-- Only receipt numbers, states, kinds, sizes, hashes and times are stored in clear. Everything personal
-- (the application manifest, every material, error texts from delivery) is an AES-256-GCM box
-- (nonce || ciphertext || tag) sealed with the kiosk key and the receipt number as associated data.
-- Times are INTEGER Unix nanoseconds; 0 means "not set".

-- Per-kiosk, per-day receipt sequence counters (day = YYYY-MM-DD in Asia/Shanghai). Incremented in the
-- same transaction that inserts the application, so a rolled-back submit never consumes a number.
CREATE TABLE day_counters (
    kiosk INTEGER NOT NULL,
    day   TEXT    NOT NULL,
    seq   INTEGER NOT NULL,
    PRIMARY KEY (kiosk, day)
) WITHOUT ROWID;

CREATE TABLE applications (
    id          INTEGER PRIMARY KEY,
    receipt     TEXT    NOT NULL UNIQUE,
    kiosk       INTEGER NOT NULL,
    day         TEXT    NOT NULL,
    seq         INTEGER NOT NULL CHECK (seq BETWEEN 1 AND 9999),
    state       TEXT    NOT NULL,
    sealed      BLOB,                        -- sealed manifest (JSON); NULL once purged
    n_materials INTEGER NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    accepted_at INTEGER NOT NULL DEFAULT 0,
    due_at      INTEGER NOT NULL DEFAULT 0,
    decided_at  INTEGER NOT NULL DEFAULT 0,
    purge_after INTEGER NOT NULL DEFAULT 0,  -- 0: not scheduled
    purged_at   INTEGER NOT NULL DEFAULT 0,
    UNIQUE (kiosk, day, seq)
);
CREATE INDEX applications_purge ON applications (purge_after) WHERE purge_after > 0 AND purged_at = 0;

CREATE TABLE materials (
    id      INTEGER PRIMARY KEY,            -- a rowid table: the rows are large (overflow chains)
    app_id  INTEGER NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    idx     INTEGER NOT NULL,               -- position in the manifest's material list
    kind    TEXT    NOT NULL,
    page    INTEGER NOT NULL,
    size    INTEGER NOT NULL,
    sha256  TEXT    NOT NULL,
    data    BLOB    NOT NULL,               -- sealed bytes
    UNIQUE (app_id, idx)
);

CREATE TABLE outbox (
    id           INTEGER PRIMARY KEY,
    app_id       INTEGER NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    receipt      TEXT    NOT NULL,
    downstream   TEXT    NOT NULL,
    state        TEXT    NOT NULL CHECK (state IN ('pending', 'delivered', 'dead')),
    attempts     INTEGER NOT NULL DEFAULT 0,
    next_attempt INTEGER NOT NULL,
    lease_until  INTEGER NOT NULL DEFAULT 0,
    last_error   BLOB,                       -- sealed text
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    UNIQUE (receipt, downstream)
);
CREATE INDEX outbox_due ON outbox (downstream, state, next_attempt);

CREATE TABLE cursors (
    name  TEXT PRIMARY KEY,
    value INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE config (
    id       INTEGER PRIMARY KEY CHECK (id = 1),
    data     BLOB    NOT NULL,
    saved_at INTEGER NOT NULL
);

CREATE TABLE lockout (
    id           INTEGER PRIMARY KEY CHECK (id = 1),
    failures     INTEGER NOT NULL,
    locked_until INTEGER NOT NULL
);

-- Append-only audit log: each row carries the SHA-256 of the previous row (prev_hash) and its own (hash).
CREATE TABLE audit (
    id        INTEGER PRIMARY KEY,
    at        INTEGER NOT NULL,
    actor     TEXT    NOT NULL,
    action    TEXT    NOT NULL,
    receipt   TEXT    NOT NULL,
    detail    TEXT    NOT NULL,
    prev_hash TEXT    NOT NULL,
    hash      TEXT    NOT NULL
);
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
BEGIN
    SELECT RAISE(ABORT, 'audit log is append-only');
END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
BEGIN
    SELECT RAISE(ABORT, 'audit log is append-only');
END;
