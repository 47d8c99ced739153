-- Channels: `notification` stays the record of each request (one row per notification id, whatever Kafka or
-- the producer repeats); who was told lives in inbox_item, what goes out by e-mail in email_delivery, and
-- what goes to agencies in webhook_delivery. Senders never run inside the consumer's transaction: the
-- consumer writes pending rows, a dispatcher in the worker claims and sends them.

DROP INDEX notification_unread;
ALTER TABLE notification DROP COLUMN read_at;
ALTER TABLE notification ADD COLUMN recipients int NOT NULL DEFAULT 0;

-- one row per (notification, recipient): the in-app inbox
CREATE TABLE inbox_item (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    notification_id uuid        NOT NULL,
    recipient_id    uuid        NOT NULL,  -- ASN UUID of the person told
    regency_id      uuid        NOT NULL,
    kind            text        NOT NULL,
    audience        text        NOT NULL,
    title           text        NOT NULL,
    body            text        NOT NULL,
    link            text        NOT NULL,
    created_at      timestamptz NOT NULL,
    read_at         timestamptz,
    UNIQUE (notification_id, recipient_id)
);
CREATE INDEX inbox_item_recipient ON inbox_item (recipient_id, created_at DESC, id);
CREATE INDEX inbox_item_unread ON inbox_item (recipient_id) WHERE read_at IS NULL;
ALTER TABLE inbox_item ENABLE ROW LEVEL SECURITY;
ALTER TABLE inbox_item FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON inbox_item USING (kinerja_tenant_allows(regency_id)) WITH CHECK (kinerja_tenant_allows(regency_id));

-- the live badge: API processes LISTEN and push the new unread count to that recipient's open pages
CREATE FUNCTION inbox_item_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('kinerja_inbox', NEW.recipient_id::text);  -- repeats within a transaction collapse
    RETURN NULL;
END $$;
CREATE TRIGGER inbox_item_changed AFTER INSERT OR UPDATE OF read_at ON inbox_item
    FOR EACH ROW EXECUTE FUNCTION inbox_item_changed();

-- who the regency's BKPSDM (HR) admins are, for the HR_ADMIN audience of Table R1; managed by admin_bkpsdm
CREATE TABLE hr_admin (
    regency_id uuid        NOT NULL,
    asn_id     uuid        NOT NULL,
    added_by   text        NOT NULL,
    added_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (regency_id, asn_id)
);
ALTER TABLE hr_admin ENABLE ROW LEVEL SECURITY;
ALTER TABLE hr_admin FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON hr_admin USING (kinerja_tenant_allows(regency_id)) WITH CHECK (kinerja_tenant_allows(regency_id));

-- e-mail channel per type: the user's choice, else the regency default, else Table R1's default (code)
CREATE TABLE preference (
    regency_id uuid NOT NULL,
    asn_id     uuid NOT NULL,
    kind       text NOT NULL,
    email_mode text NOT NULL CHECK (email_mode IN ('off', 'instant', 'digest')),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (asn_id, kind)
);
ALTER TABLE preference ENABLE ROW LEVEL SECURITY;
ALTER TABLE preference FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON preference USING (kinerja_tenant_allows(regency_id)) WITH CHECK (kinerja_tenant_allows(regency_id));

CREATE TABLE regency_default (
    regency_id uuid NOT NULL,
    kind       text NOT NULL,
    email_mode text NOT NULL CHECK (email_mode IN ('off', 'instant', 'digest')),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (regency_id, kind)
);
ALTER TABLE regency_default ENABLE ROW LEVEL SECURITY;
ALTER TABLE regency_default FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON regency_default
    USING (kinerja_tenant_allows(regency_id)) WITH CHECK (kinerja_tenant_allows(regency_id));

-- the e-mail send table, outbox-like: written pending by the consumer, claimed (status 'sending', attempt
-- counted, lease set) and committed BEFORE the SMTP conversation, marked sent/bounced/retry AFTER it.
CREATE TABLE email_delivery (
    id              uuid PRIMARY KEY,          -- also the Message-ID's local part
    regency_id      uuid        NOT NULL,
    notification_id uuid        NOT NULL,
    recipient_id    uuid        NOT NULL,
    address         text        NOT NULL,
    domain          text        NOT NULL,
    subject         text        NOT NULL,
    body_text       text        NOT NULL,
    body_html       text        NOT NULL,
    digest          boolean     NOT NULL DEFAULT false,
    status          text        NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'sending', 'sent', 'bounced', 'failed', 'suppressed')),
    attempts        int         NOT NULL DEFAULT 0,
    due_at          timestamptz NOT NULL,
    lease_until     timestamptz,
    sent_at         timestamptz,
    smtp_code       int,
    smtp_message    text,
    sent_as         text,                      -- Message-ID it went out under (a digest's, for digest rows)
    created_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (notification_id, recipient_id)
);
CREATE INDEX email_delivery_due ON email_delivery (due_at) WHERE status IN ('pending', 'sending');
CREATE INDEX email_delivery_recipient ON email_delivery (recipient_id, created_at DESC);
ALTER TABLE email_delivery ENABLE ROW LEVEL SECURITY;
ALTER TABLE email_delivery FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON email_delivery
    USING (kinerja_tenant_allows(regency_id)) WITH CHECK (kinerja_tenant_allows(regency_id));

-- bounces: refused at SMTP time (5xx: hard, suppresses the address) or reported later by the MTA
CREATE TABLE email_bounce (
    id          bigserial PRIMARY KEY,
    regency_id  uuid        NOT NULL,
    delivery_id uuid,
    address     text        NOT NULL,
    hard        boolean     NOT NULL,
    smtp_code   int,
    reason      text        NOT NULL,
    at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX email_bounce_address ON email_bounce (address);
ALTER TABLE email_bounce ENABLE ROW LEVEL SECURITY;
ALTER TABLE email_bounce FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON email_bounce USING (kinerja_tenant_allows(regency_id)) WITH CHECK (kinerja_tenant_allows(regency_id));

-- addresses not to mail again after a hard bounce (an address is not a tenant's: a catalogue, no RLS)
CREATE TABLE email_suppression (
    address    text PRIMARY KEY,
    reason     text        NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

-- Webhooks for other agencies. One deployment serves one province (DESIGN.md) and subscriptions are the
-- province's (admin_provinsi), filtered by regency inside: province-level catalogues, like org_regency.
CREATE TABLE webhook_subscription (
    id                   uuid PRIMARY KEY,
    url                  text        NOT NULL,
    description          text        NOT NULL DEFAULT '',
    event_types          text[]      NOT NULL,
    regency_ids          uuid[]      NOT NULL DEFAULT '{}',  -- empty: every regency
    secret               text        NOT NULL,               -- whsec_… (Standard Webhooks)
    active               boolean     NOT NULL DEFAULT true,
    consecutive_failures int         NOT NULL DEFAULT 0,
    paused_until         timestamptz,                        -- circuit open until then
    created_by           text        NOT NULL,
    created_at           timestamptz NOT NULL DEFAULT now()
);

-- one row per (subscription, public event): its id is the stable `webhook-id` receivers dedupe on
CREATE TABLE webhook_delivery (
    id              uuid PRIMARY KEY,
    subscription_id uuid        NOT NULL REFERENCES webhook_subscription ON DELETE CASCADE,
    event_id        uuid        NOT NULL,
    event_type      text        NOT NULL,
    regency_id      uuid        NOT NULL,
    payload         text        NOT NULL,  -- the exact signed body, the same on every attempt
    status          text        NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'delivering', 'delivered', 'dead')),
    attempts        int         NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    lease_until     timestamptz,
    last_status     int,
    last_error      text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    delivered_at    timestamptz,
    UNIQUE (subscription_id, event_id)
);
CREATE INDEX webhook_delivery_due ON webhook_delivery (next_attempt_at) WHERE status IN ('pending', 'delivering');
CREATE INDEX webhook_delivery_sub ON webhook_delivery (subscription_id, created_at DESC);

-- the delivery log: one row per attempt
CREATE TABLE webhook_attempt (
    id          bigserial PRIMARY KEY,
    delivery_id uuid        NOT NULL REFERENCES webhook_delivery ON DELETE CASCADE,
    attempt     int         NOT NULL,
    at          timestamptz NOT NULL,
    duration_ms int         NOT NULL,
    status_code int,
    error       text,
    response    text
);
CREATE INDEX webhook_attempt_delivery ON webhook_attempt (delivery_id, id);

-- wakes the dispatchers when the consumer (or a redeliver) adds work; they also poll
CREATE FUNCTION dispatch_wake() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('kinerja_dispatch', TG_TABLE_NAME);
    RETURN NULL;
END $$;
CREATE TRIGGER email_delivery_added AFTER INSERT ON email_delivery FOR EACH STATEMENT EXECUTE FUNCTION dispatch_wake();
CREATE TRIGGER webhook_delivery_added AFTER INSERT ON webhook_delivery
    FOR EACH STATEMENT EXECUTE FUNCTION dispatch_wake();
