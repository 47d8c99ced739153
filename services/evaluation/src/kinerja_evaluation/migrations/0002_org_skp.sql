-- Organisation master data (evaluation owns it), per-regency config, SKP plans, realisasi.
-- NIP lives only here (asn.nip); events, keys and logs carry asn_id.

-- Provinces and regencies are the catalogue of tenants: readable by every transaction, like org_regency.
CREATE TABLE province (
    province_id uuid PRIMARY KEY,
    name        text NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE regency (
    regency_id  uuid PRIMARY KEY,
    province_id uuid NOT NULL REFERENCES province,
    name        text NOT NULL,
    code        text NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- Per-regency configuration (DOMAIN.md **config** values); a row is created with the defaults.
CREATE TABLE regency_config (
    regency_id          uuid PRIMARY KEY REFERENCES regency,
    periodicity         text    NOT NULL DEFAULT 'quarterly' CHECK (periodicity IN ('monthly', 'quarterly')),
    skp_deadline_month  int     NOT NULL DEFAULT 1 CHECK (skp_deadline_month BETWEEN 1 AND 12),
    skp_deadline_day    int     NOT NULL DEFAULT 31 CHECK (skp_deadline_day BETWEEN 1 AND 31),
    capaian_cap         numeric NOT NULL DEFAULT 120 CHECK (capaian_cap >= 100),
    rating_above_from   numeric NOT NULL DEFAULT 110,
    rating_below_under  numeric NOT NULL DEFAULT 90,
    updated_at          timestamptz NOT NULL DEFAULT now(),
    CHECK (0 < rating_below_under AND rating_below_under <= rating_above_from)
);

CREATE TABLE unit (
    unit_id       uuid PRIMARY KEY,
    regency_id    uuid NOT NULL REFERENCES regency,
    parent_id     uuid REFERENCES unit,
    path          text NOT NULL,            -- "Dinas Kesehatan > Puskesmas Muara Tebo", as in the roster file
    name          text NOT NULL,
    kind          text NOT NULL,
    public_facing boolean NOT NULL DEFAULT false,
    head_asn_id   uuid,
    updated_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (regency_id, path)
);
CREATE INDEX unit_parent ON unit (parent_id);

CREATE TABLE asn (
    asn_id         uuid PRIMARY KEY,
    regency_id     uuid NOT NULL REFERENCES regency,
    nip            char(18) NOT NULL CHECK (nip ~ '^[0-9]{18}$'),
    name           text NOT NULL,
    email          text,
    unit_id        uuid NOT NULL REFERENCES unit,
    position_title text NOT NULL,
    position_class int  NOT NULL CHECK (position_class BETWEEN 1 AND 17),
    grade          text NOT NULL,
    gender         text NOT NULL CHECK (gender IN ('L', 'P')),
    location       text NOT NULL CHECK (location IN ('perkotaan', 'perdesaan')),
    superior_id    uuid REFERENCES asn DEFERRABLE INITIALLY DEFERRED,
    active         boolean NOT NULL DEFAULT true,
    updated_at     timestamptz NOT NULL DEFAULT now(),
    UNIQUE (regency_id, nip),
    CHECK (superior_id IS DISTINCT FROM asn_id)
);
CREATE INDEX asn_superior ON asn (superior_id);
CREATE INDEX asn_unit ON asn (unit_id);

-- Plt/Plh: an acting superior assesses the ASN between two dates (inclusive).
CREATE TABLE acting_superior (
    asn_id             uuid NOT NULL REFERENCES asn,
    acting_superior_id uuid NOT NULL REFERENCES asn,
    regency_id         uuid NOT NULL,
    valid_from         date NOT NULL,
    valid_until        date NOT NULL,
    PRIMARY KEY (asn_id, acting_superior_id, valid_from),
    CHECK (valid_until >= valid_from),
    CHECK (asn_id <> acting_superior_id)
);
CREATE INDEX acting_superior_by ON acting_superior (acting_superior_id);

-- Every roster import, accepted or rejected, with its validation report (the HR office's audit trail).
CREATE TABLE org_import (
    import_id   uuid PRIMARY KEY,
    regency_id  uuid NOT NULL,
    filename    text NOT NULL,
    imported_by text NOT NULL,
    imported_at timestamptz NOT NULL DEFAULT now(),
    accepted    boolean NOT NULL,
    rows        int NOT NULL,
    created     int NOT NULL DEFAULT 0,
    updated     int NOT NULL DEFAULT 0,
    unchanged   int NOT NULL DEFAULT 0,
    units_created int NOT NULL DEFAULT 0,
    errors      jsonb NOT NULL DEFAULT '[]'
);
CREATE INDEX org_import_recent ON org_import (regency_id, imported_at DESC);

-- SKP: one per ASN per year and version; a mid-year change is a new version, the old one kept.
CREATE TABLE skp (
    skp_id        uuid PRIMARY KEY,
    regency_id    uuid NOT NULL,
    asn_id        uuid NOT NULL REFERENCES asn,
    year          int  NOT NULL CHECK (year BETWEEN 2020 AND 2100),
    version       int  NOT NULL CHECK (version >= 1),
    status        text NOT NULL CHECK (status IN ('draft', 'submitted', 'revision_requested', 'approved', 'superseded')),
    period_start  date NOT NULL,
    period_end    date NOT NULL,
    change_reason text,                          -- why a later version was opened
    superior_id   uuid,                          -- the assessor it was submitted to
    submitted_at  timestamptz,
    decided_at    timestamptz,
    decided_by    uuid,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (asn_id, year, version)
);
CREATE INDEX skp_regency_year ON skp (regency_id, year);
-- at most one version of a year is being worked on at a time
CREATE UNIQUE INDEX skp_one_open ON skp (asn_id, year) WHERE status IN ('draft', 'submitted', 'revision_requested');

CREATE TABLE rhk (
    rhk_id        uuid PRIMARY KEY,
    skp_id        uuid NOT NULL REFERENCES skp ON DELETE CASCADE,
    regency_id    uuid NOT NULL,
    position      int  NOT NULL,
    kind          text NOT NULL CHECK (kind IN ('utama', 'tambahan')),
    description   text NOT NULL,
    parent_rhk_id uuid REFERENCES rhk,           -- the superior's RHK it supports ("RHK atasan yang diintervensi")
    origin_rhk_id uuid                           -- the same RHK in the previous version
);
CREATE INDEX rhk_skp ON rhk (skp_id);
CREATE INDEX rhk_parent ON rhk (parent_rhk_id);

CREATE TABLE indicator (
    indicator_id uuid PRIMARY KEY,
    rhk_id       uuid NOT NULL REFERENCES rhk ON DELETE CASCADE,
    skp_id       uuid NOT NULL,
    regency_id   uuid NOT NULL,
    position     int  NOT NULL,
    name         text NOT NULL,
    target       numeric NOT NULL CHECK (target >= 0),
    unit         text NOT NULL,
    aspect       text NOT NULL CHECK (aspect IN ('kuantitas', 'kualitas', 'waktu', 'biaya')),
    direction    text NOT NULL CHECK (direction IN ('higher', 'lower')),
    weight       numeric NOT NULL CHECK (weight > 0 AND weight <= 100)
);
CREATE INDEX indicator_rhk ON indicator (rhk_id);
CREATE INDEX indicator_skp ON indicator (skp_id);

-- BerAKHLAK expectations: the seven values, each with an optional ekspektasi khusus pimpinan.
CREATE TABLE skp_behavior (
    skp_id      uuid NOT NULL REFERENCES skp ON DELETE CASCADE,
    regency_id  uuid NOT NULL,
    value       text NOT NULL,
    expectation text NOT NULL DEFAULT '',
    PRIMARY KEY (skp_id, value)
);

-- What happened to an SKP, in order: created, submitted, approved, revision requested (with comment), revised.
CREATE TABLE skp_history (
    id         bigserial PRIMARY KEY,
    skp_id     uuid NOT NULL REFERENCES skp ON DELETE CASCADE,
    regency_id uuid NOT NULL,
    at         timestamptz NOT NULL,
    actor_id   uuid,
    actor_name text NOT NULL DEFAULT '',
    action     text NOT NULL,
    comment    text NOT NULL DEFAULT ''
);
CREATE INDEX skp_history_skp ON skp_history (skp_id, id);

CREATE TABLE realisasi (
    indicator_id   uuid NOT NULL REFERENCES indicator,
    period         text NOT NULL CHECK (period ~ '^\d{4}-(M(0[1-9]|1[0-2])|Q[1-4]|Y)$'),
    regency_id     uuid NOT NULL,
    asn_id         uuid NOT NULL,
    skp_id         uuid NOT NULL,
    value          numeric NOT NULL CHECK (value >= 0),
    evidence_links text[] NOT NULL DEFAULT '{}',
    note           text NOT NULL DEFAULT '',
    status         text NOT NULL CHECK (status IN ('reported', 'confirmed', 'returned')),
    capaian        numeric,                      -- Table P3, when confirmed
    reported_at    timestamptz NOT NULL,
    decided_at     timestamptz,
    decided_by     uuid,
    return_comment text NOT NULL DEFAULT '',
    PRIMARY KEY (indicator_id, period)
);
CREATE INDEX realisasi_skp ON realisasi (skp_id);

DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['regency_config', 'unit', 'asn', 'acting_superior', 'org_import', 'skp', 'rhk',
                             'indicator', 'skp_behavior', 'skp_history', 'realisasi'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY tenant ON %I USING (kinerja_tenant_allows(regency_id))'
                       ' WITH CHECK (kinerja_tenant_allows(regency_id))', t);
    END LOOP;
END $$;
