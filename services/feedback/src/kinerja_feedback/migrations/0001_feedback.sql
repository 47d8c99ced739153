-- Feedback service: SKM survey (Table Q1), complaints (Table C1), unit forum, 360 feedback (Table B1).
-- Every table is a tenant table (regency_id + forced RLS). Citizens' contact data and 360 raters stay here.

-- What a regency may set (DOMAIN.md "config"); a missing row means the defaults shown.
CREATE TABLE regency_config (
    regency_id      uuid PRIMARY KEY,
    survey_period   text NOT NULL DEFAULT 'Q' CHECK (survey_period IN ('M', 'Q', 'Y')),
    once_per_device boolean NOT NULL DEFAULT true,
    contact_mode    text NOT NULL DEFAULT 'opsional' CHECK (contact_mode IN ('tidak', 'opsional', 'wajib')),
    response_days   int NOT NULL DEFAULT 5 CHECK (response_days BETWEEN 1 AND 90),
    resolution_days int NOT NULL DEFAULT 14 CHECK (resolution_days BETWEEN 1 AND 90),
    peer_min_raters int NOT NULL DEFAULT 3 CHECK (peer_min_raters BETWEEN 1 AND 20),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    CHECK (response_days <= resolution_days)
);

CREATE TABLE holiday (
    regency_id uuid NOT NULL,
    day        date NOT NULL,
    name       text NOT NULL CHECK (length(name) BETWEEN 1 AND 120),
    PRIMARY KEY (regency_id, day)
);

-- Population served per unit, for the Krejcie–Morgan minimum (unset: the strictest, 384).
CREATE TABLE unit_survey_setting (
    unit_id    uuid PRIMARY KEY,
    regency_id uuid NOT NULL,
    population int CHECK (population > 0)
);

CREATE TABLE survey_response (
    response_id  uuid PRIMARY KEY,
    regency_id   uuid NOT NULL,
    unit_id      uuid NOT NULL,
    period       text NOT NULL,
    answers      smallint[] NOT NULL CHECK (cardinality(answers) = 9 AND 1 <= ALL (answers) AND 4 >= ALL (answers)),
    age_band     text,
    gender       text,
    education    text,
    service_used text,
    suggestion   text CHECK (length(suggestion) <= 2000),
    submitted_at timestamptz NOT NULL
);
CREATE INDEX survey_response_unit_period ON survey_response (unit_id, period);

-- One response per device (and per contact, when given) per unit per period: keyed hashes, never the raw token.
CREATE TABLE survey_guard (
    unit_id     uuid NOT NULL,
    period      text NOT NULL,
    kind        text NOT NULL CHECK (kind IN ('device', 'contact')),
    hash        bytea NOT NULL,
    regency_id  uuid NOT NULL,
    response_id uuid NOT NULL,
    PRIMARY KEY (unit_id, period, kind, hash)
);

CREATE TABLE complaint (
    complaint_id      uuid PRIMARY KEY,
    regency_id        uuid NOT NULL,
    unit_id           uuid NOT NULL,
    tracking_code     text NOT NULL UNIQUE,
    service_name      text NOT NULL DEFAULT '',
    subject           text NOT NULL,
    body              text NOT NULL,
    reporter_name     text NOT NULL DEFAULT '',
    reporter_contact  text NOT NULL DEFAULT '',  -- personal data: shown to the unit only, never in events
    filed_at          timestamptz NOT NULL,
    filed_on          date NOT NULL,             -- Jakarta calendar day the working days count from
    response_due      date NOT NULL,
    resolution_due    date NOT NULL,
    status            text NOT NULL CHECK (status IN ('diajukan', 'diproses', 'selesai', 'ditutup')),
    assigned_asn_id   uuid,
    first_response_at timestamptz,
    resolved_at       timestamptz,
    reopen_count      int NOT NULL DEFAULT 0,
    updated_at        timestamptz NOT NULL
);
CREATE INDEX complaint_unit ON complaint (unit_id, filed_at DESC);

-- The conversation and every step, kept for audit.
CREATE TABLE complaint_entry (
    entry_id      bigserial PRIMARY KEY,
    complaint_id  uuid NOT NULL REFERENCES complaint,
    regency_id    uuid NOT NULL,
    at            timestamptz NOT NULL,
    kind          text NOT NULL,
    author_asn_id uuid,
    body          text NOT NULL DEFAULT ''
);
CREATE INDEX complaint_entry_complaint ON complaint_entry (complaint_id, entry_id);

CREATE TABLE forum_thread (
    thread_id     uuid PRIMARY KEY,
    regency_id    uuid NOT NULL,
    unit_id       uuid NOT NULL,
    title         text NOT NULL,
    body          text NOT NULL,
    author_name   text NOT NULL,
    author_asn_id uuid,
    created_at    timestamptz NOT NULL,
    last_post_at  timestamptz NOT NULL,
    hidden_at     timestamptz,
    hidden_reason text,
    hidden_by     uuid
);
CREATE INDEX forum_thread_unit ON forum_thread (unit_id, last_post_at DESC);

CREATE TABLE forum_post (
    post_id       uuid PRIMARY KEY,
    thread_id     uuid NOT NULL REFERENCES forum_thread,
    regency_id    uuid NOT NULL,
    body          text NOT NULL,
    author_name   text NOT NULL,
    author_asn_id uuid,
    created_at    timestamptz NOT NULL,
    official      boolean NOT NULL DEFAULT false,
    marked_by     uuid,
    hidden_at     timestamptz,
    hidden_reason text,
    hidden_by     uuid
);
CREATE INDEX forum_post_thread ON forum_post (thread_id, created_at);
CREATE UNIQUE INDEX forum_post_one_official ON forum_post (thread_id) WHERE official;

-- 360: one round per ratee and period; invitations name raters, responses do not (anonymous by construction).
CREATE TABLE peer_round (
    request_id        uuid PRIMARY KEY,
    regency_id        uuid NOT NULL,
    asn_id            uuid NOT NULL,
    period            text NOT NULL,
    created_by        text NOT NULL,  -- principal sub of the superior or HR
    created_at        timestamptz NOT NULL,
    published_version int NOT NULL DEFAULT 0,
    UNIQUE (asn_id, period)
);

CREATE TABLE peer_invitation (
    invitation_id uuid PRIMARY KEY,
    request_id    uuid NOT NULL REFERENCES peer_round,
    regency_id    uuid NOT NULL,
    rater_asn_id  uuid NOT NULL,
    relation      text NOT NULL CHECK (relation IN ('rekan', 'bawahan', 'lainnya')),
    status        text NOT NULL DEFAULT 'terbuka' CHECK (status IN ('terbuka', 'dijawab')),
    invited_at    timestamptz NOT NULL,
    UNIQUE (request_id, rater_asn_id)
);
CREATE INDEX peer_invitation_rater ON peer_invitation (rater_asn_id, status);

CREATE TABLE peer_response (
    response_id  uuid PRIMARY KEY,
    request_id   uuid NOT NULL REFERENCES peer_round,
    regency_id   uuid NOT NULL,
    ratings      jsonb NOT NULL,
    comment      text NOT NULL DEFAULT '',
    submitted_on date NOT NULL  -- a day, not a time, so answer order cannot be matched to invitations
);
CREATE INDEX peer_response_round ON peer_response (request_id);

DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['regency_config', 'holiday', 'unit_survey_setting', 'survey_response', 'survey_guard',
                             'complaint', 'complaint_entry', 'forum_thread', 'forum_post', 'peer_round',
                             'peer_invitation', 'peer_response'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY tenant ON %I USING (kinerja_tenant_allows(regency_id)) '
                       'WITH CHECK (kinerja_tenant_allows(regency_id))', t);
    END LOOP;
END $$;
