-- A request whose subject or recipients are not in the org read model yet waits here: kinerja.org.v1 and
-- kinerja.notification.v1 are separate topics, so a new ASN's notification can arrive before their org fact.
-- An arriving fact for an id in waiting_for releases it; after NOTIFY_PARK_MAX_S it goes out with what is known.
CREATE TABLE notification_parked (
    notification_id uuid PRIMARY KEY,
    regency_id      uuid        NOT NULL,
    asn_id          uuid        NOT NULL,
    request         jsonb       NOT NULL,
    waiting_for     uuid[]      NOT NULL,
    parked_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX notification_parked_waiting ON notification_parked USING gin (waiting_for);
CREATE INDEX notification_parked_age ON notification_parked (parked_at);

ALTER TABLE notification_parked ENABLE ROW LEVEL SECURITY;
ALTER TABLE notification_parked FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON notification_parked
    USING (kinerja_tenant_allows(regency_id)) WITH CHECK (kinerja_tenant_allows(regency_id));
