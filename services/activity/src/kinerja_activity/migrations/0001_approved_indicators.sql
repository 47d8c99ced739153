-- Read model of approved SKP indicators (from kinerja.evaluation.v1): an activity may only link to one of
-- the ASN's indicators in the latest approved SKP version of that year.
CREATE TABLE approved_indicator (
    indicator_id uuid PRIMARY KEY,
    asn_id       uuid        NOT NULL,
    regency_id   uuid        NOT NULL,
    skp_id       uuid        NOT NULL,
    year         int         NOT NULL,
    skp_version  int         NOT NULL,
    rhk_id       uuid        NOT NULL,
    name         text        NOT NULL,
    unit         text        NOT NULL,
    target       numeric     NOT NULL,
    direction    text        NOT NULL,
    aspect       text        NOT NULL,
    weight       numeric     NOT NULL
);
CREATE INDEX approved_indicator_asn_year ON approved_indicator (asn_id, year);

ALTER TABLE approved_indicator ENABLE ROW LEVEL SECURITY;
ALTER TABLE approved_indicator FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON approved_indicator
    USING (kinerja_tenant_allows(regency_id)) WITH CHECK (kinerja_tenant_allows(regency_id));
