-- In-app inbox: one notification id gives at most one item (the primary key), whatever Kafka redelivers.
CREATE TABLE notification (
    notification_id uuid PRIMARY KEY,
    asn_id          uuid        NOT NULL,
    regency_id      uuid        NOT NULL,
    kind            text        NOT NULL,
    params          jsonb       NOT NULL,
    link            text,
    created_at      timestamptz NOT NULL,
    read_at         timestamptz
);
CREATE INDEX notification_unread ON notification (asn_id, created_at DESC) WHERE read_at IS NULL;

ALTER TABLE notification ENABLE ROW LEVEL SECURITY;
ALTER TABLE notification FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON notification
    USING (kinerja_tenant_allows(regency_id)) WITH CHECK (kinerja_tenant_allows(regency_id));
