-- Daily activities (kegiatan harian), their evidence, attendance days, leave marks and per-regency config.
-- Every table is a tenant table: regency_id + FORCE ROW LEVEL SECURITY with the `tenant` policy.

-- Per-regency configuration; a regency without a row uses these defaults (DOMAIN.md: all **config**).
CREATE TABLE activity_config (
    regency_id            uuid PRIMARY KEY,
    monthly_quota_minutes int  NOT NULL DEFAULT 6750 CHECK (monthly_quota_minutes > 0),  -- Table T1
    report_grace_days     int  NOT NULL DEFAULT 5 CHECK (report_grace_days BETWEEN 0 AND 28),
    overdue_working_days  int  NOT NULL DEFAULT 2 CHECK (overdue_working_days >= 0),  -- Table R1
    office_start          time NOT NULL DEFAULT '07:30',
    office_end            time NOT NULL DEFAULT '16:00',
    friday_end            time NOT NULL DEFAULT '16:30',
    updated_at            timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE holiday (
    regency_id uuid NOT NULL,
    day        date NOT NULL,
    name       text NOT NULL,
    PRIMARY KEY (regency_id, day)
);

CREATE TABLE activity (
    activity_id        uuid PRIMARY KEY,          -- client-generated for offline sync
    regency_id         uuid        NOT NULL,
    asn_id             uuid        NOT NULL,
    activity_date      date        NOT NULL,
    start_time         time        NOT NULL,      -- wall clock, Asia/Jakarta
    end_time           time        NOT NULL,
    minutes            int         NOT NULL CHECK (minutes BETWEEN 1 AND 1440),
    description        text        NOT NULL,
    quantity           numeric     NOT NULL CHECK (quantity >= 0),
    output             text        NOT NULL,
    indicator_id       uuid        NOT NULL,
    status             text        NOT NULL DEFAULT 'menunggu' CHECK (status IN ('menunggu', 'diverifikasi', 'ditolak')),
    revision           int         NOT NULL DEFAULT 1,
    client_hash        text        NOT NULL,      -- of the first accepted content: a replay compares against it
    reported_at        timestamptz NOT NULL,
    updated_at         timestamptz NOT NULL,
    decided_by         uuid,
    decided_at         timestamptz,
    reject_reason      text,
    overdue_flagged_at timestamptz,               -- ActivityVerificationOverdue sent (once)
    CHECK (end_time > start_time)
);
CREATE INDEX activity_asn_date ON activity (asn_id, activity_date);
CREATE INDEX activity_pending ON activity (asn_id, reported_at) WHERE status = 'menunggu';
CREATE INDEX activity_overdue_scan ON activity (reported_at) WHERE status = 'menunggu' AND overdue_flagged_at IS NULL;

-- Evidence files live content-addressed on a volume (<dir>/ab/cd/<sha256>); rows say who may read them.
CREATE TABLE evidence (
    activity_id uuid        NOT NULL REFERENCES activity (activity_id),
    sha256      text        NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    regency_id  uuid        NOT NULL,
    kind        text        NOT NULL,
    size        int         NOT NULL,
    filename    text        NOT NULL,
    uploaded_at timestamptz NOT NULL,
    PRIMARY KEY (activity_id, sha256)
);
CREATE INDEX evidence_sha ON evidence (sha256);

CREATE TABLE leave_mark (
    leave_id    uuid PRIMARY KEY,
    regency_id  uuid        NOT NULL,
    asn_id      uuid        NOT NULL,
    status      text        NOT NULL CHECK (status IN ('cuti', 'dinas_luar', 'sakit')),
    start_date  date        NOT NULL,
    end_date    date        NOT NULL CHECK (end_date >= start_date),
    note        text        NOT NULL DEFAULT '',
    recorded_by uuid,
    recorded_at timestamptz NOT NULL
);
CREATE INDEX leave_mark_asn ON leave_mark (asn_id, start_date);

CREATE TABLE attendance_day (
    asn_id              uuid        NOT NULL,
    work_date           date        NOT NULL,
    regency_id          uuid        NOT NULL,
    status              text        NOT NULL CHECK (status IN ('hadir', 'cuti', 'dinas_luar', 'sakit', 'alpa')),
    check_in            timestamptz,
    check_out           timestamptz,
    check_in_lat        numeric(9, 6),
    check_in_lon        numeric(9, 6),
    check_out_lat       numeric(9, 6),
    check_out_lon       numeric(9, 6),
    apel_attended       boolean,
    late_minutes        int         NOT NULL DEFAULT 0,
    early_leave_minutes int         NOT NULL DEFAULT 0,
    source              text        NOT NULL,    -- aplikasi, mesin_sidik_jari, penandaan
    leave_id            uuid REFERENCES leave_mark (leave_id),
    updated_at          timestamptz NOT NULL,
    PRIMARY KEY (asn_id, work_date)
);
CREATE INDEX attendance_day_date ON attendance_day (regency_id, work_date);

DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['activity_config', 'holiday', 'activity', 'evidence', 'leave_mark', 'attendance_day'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY tenant ON %I USING (kinerja_tenant_allows(regency_id))'
                       ' WITH CHECK (kinerja_tenant_allows(regency_id))', t);
    END LOOP;
END $$;
