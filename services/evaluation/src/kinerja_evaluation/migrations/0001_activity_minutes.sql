-- Verified activity minutes per ASN per month (Table T1 quota, Table S1 inputs), from kinerja.activity.v1.
CREATE TABLE activity_minutes (
    asn_id     uuid    NOT NULL,
    month      date    NOT NULL,           -- first day of the month (Asia/Jakarta calendar)
    regency_id uuid    NOT NULL,
    minutes    bigint  NOT NULL,
    activities int     NOT NULL,
    PRIMARY KEY (asn_id, month)
);

ALTER TABLE activity_minutes ENABLE ROW LEVEL SECURITY;
ALTER TABLE activity_minutes FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON activity_minutes
    USING (kinerja_tenant_allows(regency_id)) WITH CHECK (kinerja_tenant_allows(regency_id));
