-- Plumbing every service database has: transactional outbox, consumer inbox, tenant helper for RLS.

CREATE TABLE outbox (
    id          bigserial PRIMARY KEY,
    event_id    uuid        NOT NULL UNIQUE,
    topic       text        NOT NULL,
    key         text        NOT NULL,
    headers     jsonb       NOT NULL,            -- CloudEvents attributes as [[name, value], ...]
    payload     bytea       NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    sent_at     timestamptz
);
-- the relay reads only unsent rows, in id order
CREATE INDEX outbox_unsent ON outbox (id) WHERE sent_at IS NULL;

CREATE FUNCTION outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('kinerja_outbox', '');
    RETURN NULL;
END $$;
-- one NOTIFY per statement (not per row) wakes the relay without flooding it
CREATE TRIGGER outbox_inserted AFTER INSERT ON outbox FOR EACH STATEMENT EXECUTE FUNCTION outbox_notify();

CREATE TABLE inbox (
    consumer     text        NOT NULL,
    event_id     uuid        NOT NULL,
    received_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, event_id)
);

-- RLS policies call this: the regencies the current transaction may touch ('*' = every one, trusted workers only)
CREATE FUNCTION kinerja_tenant_allows(regency uuid) RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT coalesce(current_setting('kinerja.regency_ids', true), '') = '*'
        OR regency::text = ANY (string_to_array(current_setting('kinerja.regency_ids', true), ','))
$$;
