-- Verified activity minutes per ASN per month (Table T1 quota, Table S1 inputs), from kinerja.activity.v1.
CREATE TABLE activity_minutes (
    asn_id     uuid    NOT NULL,
    month      date    NOT NULL,           -- first day of the month (Asia/Jakarta calendar)
    regency_id uuid    NOT NULL,
    minutes    bigint  NOT NULL,
    activities int     NOT NULL,
    PRIMARY KEY (asn_id, month)
);
