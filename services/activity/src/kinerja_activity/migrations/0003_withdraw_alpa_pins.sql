-- Withdrawn activities, the day-end alpa job's start date, and fingerprint-machine PIN → ASN mapping.

-- An ASN may withdraw (tarik) an activity while it waits for verification; the row stays (sync replays and
-- the audit trail still find it) but no longer counts or occupies time.
ALTER TABLE activity DROP CONSTRAINT activity_status_check;
ALTER TABLE activity ADD CONSTRAINT activity_status_check
    CHECK (status IN ('menunggu', 'diverifikasi', 'ditolak', 'ditarik'));
ALTER TABLE activity ADD COLUMN withdrawn_at timestamptz;

-- The first working day the day-end job may mark `alpa`; NULL = the regency does not record attendance in
-- Kinerja yet (marking everyone absent would cost them 3% TPP a day, Table T1).
ALTER TABLE activity_config ADD COLUMN alpa_start date;

-- Fingerprint machines export their own PIN; BKPSDM maps each PIN to an ASN (UUID; org_asn holds no NIP).
CREATE TABLE fingerprint_pin (
    regency_id uuid        NOT NULL,
    pin        text        NOT NULL CHECK (pin ~ '^[0-9A-Za-z_-]{1,32}$'),
    asn_id     uuid        NOT NULL,
    updated_at timestamptz NOT NULL,
    PRIMARY KEY (regency_id, pin)
);
CREATE INDEX fingerprint_pin_asn ON fingerprint_pin (asn_id);

ALTER TABLE fingerprint_pin ENABLE ROW LEVEL SECURITY;
ALTER TABLE fingerprint_pin FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON fingerprint_pin
    USING (kinerja_tenant_allows(regency_id)) WITH CHECK (kinerja_tenant_allows(regency_id));
