-- Tindak lanjut (issue 9): versioned rules per regency, annual rating and finalisation, unit ratings for the
-- curve (P2), keberatan, rewards with certificates, pembinaan and sanction cases, training (D1).
-- No foreign keys to issue 4's master-data tables: the scoring replay migrates 0100+ into a schema without them.

-- Every saved rule set is a new immutable version; a finalised result names the version it used.
CREATE TABLE rule_set (
    regency_id uuid NOT NULL,
    version    int  NOT NULL CHECK (version >= 1),
    rules      jsonb NOT NULL,
    note       text NOT NULL DEFAULT '',
    created_by text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (regency_id, version)
);

CREATE FUNCTION followup_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% rows are immutable; add a new version instead', TG_TABLE_NAME;
END $$;
CREATE TRIGGER rule_set_immutable BEFORE UPDATE OR DELETE ON rule_set
    FOR EACH ROW EXECUTE FUNCTION followup_immutable();

-- The pejabat penilai's annual rating (period YYYY-Y), with the proposal it started from.
CREATE TABLE annual_rating (
    asn_id          uuid NOT NULL,
    year            int  NOT NULL CHECK (year BETWEEN 2020 AND 2100),
    regency_id      uuid NOT NULL,
    hasil_rating    text NOT NULL,
    perilaku_rating text NOT NULL,
    predikat        text NOT NULL,
    proposed        jsonb NOT NULL DEFAULT '{}',
    note            text NOT NULL DEFAULT '',
    rated_by        uuid NOT NULL,
    rated_at        timestamptz NOT NULL,
    PRIMARY KEY (asn_id, year)
);
CREATE INDEX annual_rating_regency ON annual_rating (regency_id, year);

-- The organisation (unit) rating per period that picks the unit's curve (Table P2).
CREATE TABLE unit_rating (
    unit_id    uuid NOT NULL,
    period     text NOT NULL,
    regency_id uuid NOT NULL,
    rating     text NOT NULL CHECK (rating IN ('istimewa', 'baik', 'butuh_perbaikan', 'kurang', 'sangat_kurang')),
    set_by     text NOT NULL,
    set_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (unit_id, period)
);

-- One finalisation action (unit or whole regency) and what it did; re-runs are recorded with finalised = 0.
CREATE TABLE finalisation (
    run_id       uuid PRIMARY KEY,
    regency_id   uuid NOT NULL,
    period       text NOT NULL,
    unit_id      uuid,
    rule_version int  NOT NULL,
    finalised    int  NOT NULL,
    skipped      int  NOT NULL,
    violations   jsonb NOT NULL DEFAULT '[]',
    actor        text NOT NULL,
    at           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX finalisation_regency ON finalisation (regency_id, period, at DESC);

-- The final result per ASN and period: written once; only a decided keberatan changes the predikat (history in
-- keberatan). The score and unit are snapshots, so later rule or org changes leave a final result alone.
CREATE TABLE final_result (
    asn_id       uuid NOT NULL,
    period       text NOT NULL CHECK (period ~ '^\d{4}-(M(0[1-9]|1[0-2])|Q[1-4]|Y)$'),
    regency_id   uuid NOT NULL,
    unit_id      uuid NOT NULL,
    unit_kind    text NOT NULL,
    predikat     text NOT NULL,
    original_predikat text NOT NULL,
    score        numeric,
    rule_version int  NOT NULL,
    run_id       uuid NOT NULL,
    finalised_at timestamptz NOT NULL,
    changed_by_keberatan uuid,
    PRIMARY KEY (asn_id, period)
);
CREATE INDEX final_result_regency ON final_result (regency_id, period);
CREATE INDEX final_result_unit ON final_result (unit_id, period);

CREATE TABLE keberatan (
    keberatan_id   uuid PRIMARY KEY,
    regency_id     uuid NOT NULL,
    asn_id         uuid NOT NULL,
    period         text NOT NULL,
    reasons        text NOT NULL,
    evidence_links text[] NOT NULL DEFAULT '{}',
    filed_at       timestamptz NOT NULL,
    decide_by      timestamptz NOT NULL,
    status         text NOT NULL DEFAULT 'diajukan' CHECK (status IN ('diajukan', 'dikabulkan', 'ditolak')),
    decided_by     uuid,
    decided_at     timestamptz,
    decision_reason text NOT NULL DEFAULT '',
    old_predikat   text NOT NULL,
    new_predikat   text,
    UNIQUE (asn_id, period)
);
CREATE INDEX keberatan_regency ON keberatan (regency_id, status);

-- Rewards: award candidates (Table R1 award_candidate) → BKPSDM approval → piagam with a verification code.
CREATE TABLE award (
    award_id          uuid PRIMARY KEY,
    regency_id        uuid NOT NULL,
    asn_id            uuid NOT NULL,
    period            text NOT NULL,
    source            text NOT NULL,                -- notification id that nominated, or 'manual'
    status            text NOT NULL DEFAULT 'kandidat' CHECK (status IN ('kandidat', 'disetujui', 'ditolak')),
    title             text NOT NULL DEFAULT '',
    incentive         numeric CHECK (incentive IS NULL OR incentive >= 0),
    verification_code text UNIQUE,
    decided_by        text,
    decided_at        timestamptz,
    note              text NOT NULL DEFAULT '',
    created_at        timestamptz NOT NULL DEFAULT now(),
    UNIQUE (asn_id, period)
);

-- Pembinaan (mentoring_needed) and sanction review cases (sanction_review): opened, never acted on automatically.
CREATE TABLE pembinaan_plan (
    plan_id     uuid PRIMARY KEY,
    regency_id  uuid NOT NULL,
    asn_id      uuid NOT NULL,
    period      text NOT NULL,
    source      text NOT NULL,
    status      text NOT NULL DEFAULT 'dibuka' CHECK (status IN ('dibuka', 'berjalan', 'selesai')),
    mentor_id   uuid,
    goals       text NOT NULL DEFAULT '',
    closing_assessment text NOT NULL DEFAULT '',
    closing_result text CHECK (closing_result IS NULL OR closing_result IN ('membaik', 'tetap', 'memburuk')),
    opened_at   timestamptz NOT NULL DEFAULT now(),
    closed_at   timestamptz,
    UNIQUE (asn_id, period)
);

CREATE TABLE pembinaan_checkin (
    id         bigserial PRIMARY KEY,
    plan_id    uuid NOT NULL REFERENCES pembinaan_plan ON DELETE CASCADE,
    regency_id uuid NOT NULL,
    at         timestamptz NOT NULL,
    by_sub     text NOT NULL,
    note       text NOT NULL
);
CREATE INDEX pembinaan_checkin_plan ON pembinaan_checkin (plan_id, id);

CREATE TABLE sanction_case (
    case_id    uuid PRIMARY KEY,
    regency_id uuid NOT NULL,
    asn_id     uuid NOT NULL,
    period     text NOT NULL,
    source     text NOT NULL,
    status     text NOT NULL DEFAULT 'dibuka' CHECK (status IN ('dibuka', 'ditelaah', 'ditutup')),
    opened_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (asn_id, period)
);

CREATE TABLE sanction_history (
    id         bigserial PRIMARY KEY,
    case_id    uuid NOT NULL REFERENCES sanction_case ON DELETE CASCADE,
    regency_id uuid NOT NULL,
    at         timestamptz NOT NULL,
    by_sub     text NOT NULL,
    action     text NOT NULL,
    note       text NOT NULL DEFAULT ''
);
CREATE INDEX sanction_history_case ON sanction_history (case_id, id);

-- R1 opens the cases the moment the scoring engine stages its request, in the same transaction (exactly once,
-- replay-safe through the unique keys). Nothing else is automatic.
CREATE FUNCTION followup_open_cases() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.kind = 'mentoring_needed' THEN
        INSERT INTO pembinaan_plan (plan_id, regency_id, asn_id, period, source)
        VALUES (NEW.notification_id, NEW.regency_id, NEW.asn_id, NEW.period, NEW.kind || ':' || NEW.notification_id)
        ON CONFLICT (asn_id, period) DO NOTHING;
    ELSIF NEW.kind = 'award_candidate' THEN
        INSERT INTO award (award_id, regency_id, asn_id, period, source)
        VALUES (NEW.notification_id, NEW.regency_id, NEW.asn_id, NEW.period, NEW.kind || ':' || NEW.notification_id)
        ON CONFLICT (asn_id, period) DO NOTHING;
    ELSIF NEW.kind = 'sanction_review' THEN
        INSERT INTO sanction_case (case_id, regency_id, asn_id, period, source)
        VALUES (NEW.notification_id, NEW.regency_id, NEW.asn_id, NEW.period, NEW.kind || ':' || NEW.notification_id)
        ON CONFLICT (asn_id, period) DO NOTHING;
        INSERT INTO sanction_history (case_id, regency_id, at, by_sub, action, note)
        SELECT NEW.notification_id, NEW.regency_id, now(), 'system:evaluation', 'dibuka', 'Tabel R1 sanction_review'
        WHERE EXISTS (SELECT 1 FROM sanction_case WHERE case_id = NEW.notification_id);
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER followup_open_cases AFTER INSERT ON scoring_notification
    FOR EACH ROW EXECUTE FUNCTION followup_open_cases();

-- Training (Table D1): catalogue, enrolment with attendance and completion; JP count once completed.
CREATE TABLE course (
    course_id  uuid PRIMARY KEY,
    regency_id uuid NOT NULL,
    title      text NOT NULL,
    kind       text NOT NULL CHECK (kind IN ('klasikal', 'e_learning', 'coaching', 'mentoring')),
    jp         int  NOT NULL CHECK (jp BETWEEN 1 AND 200),
    sessions   int  NOT NULL DEFAULT 1 CHECK (sessions >= 1),
    topics     text[] NOT NULL DEFAULT '{}',   -- BerAKHLAK values and 'hasil_kerja' it addresses (recommendations)
    starts_on  date,
    active     boolean NOT NULL DEFAULT true,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE enrolment (
    course_id   uuid NOT NULL REFERENCES course,
    asn_id      uuid NOT NULL,
    regency_id  uuid NOT NULL,
    year        int  NOT NULL,
    enrolled_at timestamptz NOT NULL,
    attended    int  NOT NULL DEFAULT 0,
    status      text NOT NULL DEFAULT 'terdaftar' CHECK (status IN ('terdaftar', 'selesai', 'batal')),
    completed_at timestamptz,
    jp          int  NOT NULL DEFAULT 0,        -- JP earned (on completion)
    PRIMARY KEY (course_id, asn_id)
);
CREATE INDEX enrolment_asn ON enrolment (asn_id, year);

DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['rule_set', 'annual_rating', 'unit_rating', 'finalisation', 'final_result', 'keberatan',
                             'award', 'pembinaan_plan', 'pembinaan_checkin', 'sanction_case', 'sanction_history',
                             'course', 'enrolment'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY tenant ON %I USING (kinerja_tenant_allows(regency_id))'
                       ' WITH CHECK (kinerja_tenant_allows(regency_id))', t);
    END LOOP;
END $$;
