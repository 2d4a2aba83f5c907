-- 0002: store metadata. 'key_check' holds a box sealed with the kiosk key at creation, so a store opened
-- with another kiosk's key is refused at Open instead of mixing data under two keys.
CREATE TABLE meta (
    name  TEXT PRIMARY KEY,
    value BLOB NOT NULL
) WITHOUT ROWID;
