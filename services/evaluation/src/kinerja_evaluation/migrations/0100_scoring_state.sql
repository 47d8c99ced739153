-- The scoring engine (issue 7): period state per ASN built only from events (activity, evaluation, feedback, org
-- topics), so a replay from offset 0 rebuilds it; scores with their inputs; requested notifications; and the
-- pejabat penilai's periodic evaluations (the write model behind PeriodicEvaluationSubmitted).
-- Every fact table merges order-independently (latest version wins, flags only go up, sums are per event id via
-- the inbox), so out-of-order delivery ends in the same state.

-- Score weights and trigger thresholds per regency (DOMAIN.md S1 and R1 **config**); no row = the defaults.
CREATE TABLE scoring_config (
    regency_id       uuid PRIMARY KEY,
    w_hasil          numeric NOT NULL DEFAULT 50,
    w_perilaku       numeric NOT NULL DEFAULT 25,
    w_kehadiran      numeric NOT NULL DEFAULT 10,
    w_kepuasan       numeric NOT NULL DEFAULT 10,
    w_inovasi        numeric NOT NULL DEFAULT 5,
    at_risk_below    numeric NOT NULL DEFAULT 90,
    award_score_jump numeric NOT NULL DEFAULT 10,
    updated_at       timestamptz NOT NULL DEFAULT now(),
    CHECK (w_hasil + w_perilaku + w_kehadiran + w_kepuasan + w_inovasi = 100),
    CHECK (least(w_hasil, w_perilaku, w_kehadiran, w_kepuasan, w_inovasi) >= 0)
);

-- The approved SKP per ASN and year (SkpApproved; a later version replaces the indicators).
CREATE TABLE scoring_skp (
    asn_id     uuid NOT NULL,
    year       int  NOT NULL,
    regency_id uuid NOT NULL,
    skp_id     uuid NOT NULL,
    version    int  NOT NULL,
    PRIMARY KEY (asn_id, year)
);

CREATE TABLE scoring_indicator (
    indicator_id uuid PRIMARY KEY,
    asn_id       uuid NOT NULL,
    year         int  NOT NULL,
    regency_id   uuid NOT NULL,
    skp_id       uuid NOT NULL,
    version      int  NOT NULL,
    rhk_id       uuid NOT NULL,
    position     int  NOT NULL,
    name         text NOT NULL,
    target       numeric NOT NULL,
    unit         text NOT NULL,
    direction    text NOT NULL,
    weight       numeric NOT NULL
);
CREATE INDEX scoring_indicator_asn ON scoring_indicator (asn_id, year);

-- Realisasi per indicator and period (reported, returned, confirmed with capaian). A realisasi whose indicator is
-- not known yet waits here and counts once its SkpApproved arrives (see the scoring_waiting view).
CREATE TABLE scoring_realisasi (
    indicator_id uuid NOT NULL,
    period       text NOT NULL,
    asn_id       uuid NOT NULL,
    regency_id   uuid NOT NULL,
    reported     numeric,
    confirmed    boolean NOT NULL DEFAULT false,
    realisasi    numeric,
    capaian      numeric,
    PRIMARY KEY (indicator_id, period)
);
CREATE INDEX scoring_realisasi_asn ON scoring_realisasi (asn_id, period);

-- One row per activity, merged from reported / verified / rejected / overdue facts in any order.
CREATE TABLE scoring_activity (
    activity_id      uuid PRIMARY KEY,
    asn_id           uuid NOT NULL,
    regency_id       uuid NOT NULL,
    activity_date    date,
    period           text,
    year             int,
    indicator_id     uuid,
    minutes          int,
    quantity         numeric NOT NULL DEFAULT 0,
    revision         int NOT NULL DEFAULT 0,       -- highest revision reported (0: report not seen yet)
    rejections       int NOT NULL DEFAULT 0,       -- each rejection ends one revision
    verified         boolean NOT NULL DEFAULT false,
    verified_minutes int NOT NULL DEFAULT 0,
    overdue          boolean NOT NULL DEFAULT false
);
CREATE INDEX scoring_activity_asn ON scoring_activity (asn_id, period);

CREATE TABLE scoring_attendance (
    asn_id        uuid NOT NULL,
    work_date     date NOT NULL,
    regency_id    uuid NOT NULL,
    period        text NOT NULL,
    year          int  NOT NULL,
    status        text NOT NULL,
    late_minutes  int  NOT NULL,
    early_minutes int  NOT NULL,
    version       timestamptz NOT NULL,          -- occurred_at of the fact; the latest record of a day wins
    event_id      uuid NOT NULL,                 -- tie-break for equal versions
    PRIMARY KEY (asn_id, work_date)
);
CREATE INDEX scoring_attendance_asn ON scoring_attendance (asn_id, period);

-- The latest 360 aggregate per ASN and period (PeerFeedbackSummarized.version grows).
CREATE TABLE scoring_peer (
    asn_id     uuid NOT NULL,
    period     text NOT NULL,
    regency_id uuid NOT NULL,
    version    int  NOT NULL,
    raters     int  NOT NULL,
    points     numeric NOT NULL,                 -- mean of the seven values' S1 scores
    value_scores jsonb NOT NULL,                 -- {value: {score, di_atas, sesuai, di_bawah}}
    PRIMARY KEY (asn_id, period)
);

-- The latest submitted periodic evaluation per ASN and period, as the event told it.
CREATE TABLE scoring_assessment (
    asn_id            uuid NOT NULL,
    period            text NOT NULL,
    regency_id        uuid NOT NULL,
    evaluation_id     uuid NOT NULL,
    version           int  NOT NULL,
    assessor_id       uuid NOT NULL,
    hasil_rating      text NOT NULL,
    perilaku_rating   text NOT NULL,
    perilaku_points   numeric NOT NULL,
    predikat          text NOT NULL,
    integrity_finding boolean NOT NULL,
    submitted_at      timestamptz NOT NULL,
    PRIMARY KEY (asn_id, period)
);

CREATE TABLE scoring_innovation (
    innovation_id uuid PRIMARY KEY,
    asn_id        uuid NOT NULL,
    period        text NOT NULL,
    regency_id    uuid NOT NULL,
    title         text NOT NULL
);
CREATE INDEX scoring_innovation_asn ON scoring_innovation (asn_id, period);

-- SKM per unit and period: response count and the sum of each unsur's answers (Table Q1).
CREATE TABLE scoring_unit_survey (
    unit_id    uuid NOT NULL,
    period     text NOT NULL,
    regency_id uuid NOT NULL,
    responses  int  NOT NULL,
    sums       int[] NOT NULL,
    PRIMARY KEY (unit_id, period)
);

-- Complaint handling per complaint (Table C1), period from its filing; flags only ever go up.
CREATE TABLE scoring_complaint (
    complaint_id      uuid PRIMARY KEY,
    unit_id           uuid NOT NULL,
    regency_id        uuid NOT NULL,
    period            text,
    assigned_asn_id   uuid,
    responded         boolean NOT NULL DEFAULT false,
    responded_on_time boolean NOT NULL DEFAULT false,
    resolved          boolean NOT NULL DEFAULT false,
    resolved_on_time  boolean NOT NULL DEFAULT false,
    reopened          int NOT NULL DEFAULT 0,
    confirmed         boolean NOT NULL DEFAULT false
);
CREATE INDEX scoring_complaint_unit ON scoring_complaint (unit_id, period);

-- Period state per ASN: the aggregates the score and the pages read (recomputed for the keys a batch touched).
CREATE TABLE scoring_period (
    asn_id              uuid NOT NULL,
    period              text NOT NULL,
    regency_id          uuid NOT NULL,
    verified_minutes    bigint NOT NULL DEFAULT 0,
    verified_activities int NOT NULL DEFAULT 0,
    pending_activities  int NOT NULL DEFAULT 0,
    working_days        int NOT NULL DEFAULT 0,
    days_on_time        int NOT NULL DEFAULT 0,
    late_days           int NOT NULL DEFAULT 0,
    late_minutes        int NOT NULL DEFAULT 0,
    absent_days         int NOT NULL DEFAULT 0,
    excused_days        int NOT NULL DEFAULT 0,
    innovations         int NOT NULL DEFAULT 0,
    PRIMARY KEY (asn_id, period)
);

-- The score (Table S1) and predikat (P1) per ASN and period, with every input (explain()).
-- status: dihitung (computed) | menunggu_skp (no approved SKP for the year) | menunggu_pegawai (ASN not in org facts)
CREATE TABLE scoring_score (
    asn_id        uuid NOT NULL,
    period        text NOT NULL,
    regency_id    uuid NOT NULL,
    status        text NOT NULL,
    score         numeric,
    predikat      text,
    hasil_capaian numeric,
    inputs        jsonb NOT NULL DEFAULT '{}',
    detail        jsonb NOT NULL DEFAULT '{}',
    changes       int NOT NULL DEFAULT 0,        -- how many ScoreUpdated this key has published
    PRIMARY KEY (asn_id, period)
);
CREATE INDEX scoring_score_period ON scoring_score (regency_id, period);

-- Every NotificationRequested ever staged; the deterministic id makes a second request a no-op.
CREATE TABLE scoring_notification (
    notification_id uuid PRIMARY KEY,
    regency_id      uuid NOT NULL,
    asn_id          uuid NOT NULL,
    kind            text NOT NULL,
    period          text NOT NULL,
    subject         text NOT NULL DEFAULT '',
    params          jsonb NOT NULL DEFAULT '{}',
    requested_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX scoring_notification_asn ON scoring_notification (asn_id, period);

-- The pejabat penilai's submitted evaluations: immutable; a correction is a new version.
CREATE TABLE scoring_evaluation (
    evaluation_id     uuid PRIMARY KEY,
    regency_id        uuid NOT NULL,
    asn_id            uuid NOT NULL,
    period            text NOT NULL CHECK (period ~ '^\d{4}-(M(0[1-9]|1[0-2])|Q[1-4]|Y)$'),
    version           int  NOT NULL CHECK (version >= 1),
    assessor_id       uuid NOT NULL,
    assessor_name     text NOT NULL,
    rhk               jsonb NOT NULL,
    hasil_proposed    text,
    hasil_rating      text NOT NULL,
    hasil_reason      text NOT NULL DEFAULT '',
    ratings           jsonb NOT NULL,
    perilaku_proposed text NOT NULL,
    perilaku_rating   text NOT NULL,
    perilaku_reason   text NOT NULL DEFAULT '',
    predikat          text NOT NULL,
    integrity_finding boolean NOT NULL DEFAULT false,
    correction_reason text NOT NULL DEFAULT '',
    note              text NOT NULL DEFAULT '',
    submitted_at      timestamptz NOT NULL,
    UNIQUE (asn_id, period, version)
);

CREATE FUNCTION scoring_evaluation_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'a submitted evaluation is immutable; submit a correction (new version)';
END $$;
CREATE TRIGGER scoring_evaluation_immutable BEFORE UPDATE OR DELETE ON scoring_evaluation
    FOR EACH ROW EXECUTE FUNCTION scoring_evaluation_immutable();

-- Facts that wait for a prerequisite (shown to operators; they count as soon as it arrives).
CREATE VIEW scoring_waiting AS
    SELECT 'realisasi' AS kind, r.asn_id, r.period, r.indicator_id::text AS subject, r.regency_id,
           'indikator belum diketahui (SkpApproved belum diterima)' AS reason
    FROM scoring_realisasi r WHERE NOT EXISTS (SELECT 1 FROM scoring_indicator i WHERE i.indicator_id = r.indicator_id)
    UNION ALL
    SELECT 'activity', a.asn_id, a.period, a.activity_id::text, a.regency_id,
           'verifikasi diterima sebelum laporan kegiatan' FROM scoring_activity a WHERE a.verified AND a.revision = 0
    UNION ALL
    SELECT 'score', s.asn_id, s.period, '', s.regency_id, s.status FROM scoring_score s WHERE s.status <> 'dihitung';

DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['scoring_config', 'scoring_skp', 'scoring_indicator', 'scoring_realisasi',
                             'scoring_activity', 'scoring_attendance', 'scoring_peer', 'scoring_assessment',
                             'scoring_innovation', 'scoring_unit_survey', 'scoring_complaint', 'scoring_period',
                             'scoring_score', 'scoring_notification', 'scoring_evaluation'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY tenant ON %I USING (kinerja_tenant_allows(regency_id))'
                       ' WITH CHECK (kinerja_tenant_allows(regency_id))', t);
    END LOOP;
END $$;
ALTER VIEW scoring_waiting SET (security_invoker = true);
