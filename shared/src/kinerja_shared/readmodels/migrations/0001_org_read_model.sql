-- Read model of kinerja.org.v1 (owned by evaluation), kept by services that need to know units and ASN.
-- `version` is the fact's occurred_at: an older fact never overwrites a newer one (compaction and replays).

CREATE TABLE org_regency (
    regency_id    uuid PRIMARY KEY,
    province_id   uuid NOT NULL,
    province_name text NOT NULL,
    name          text NOT NULL,
    code          text NOT NULL,
    version       timestamptz NOT NULL
);

CREATE TABLE org_unit (
    unit_id       uuid PRIMARY KEY,
    regency_id    uuid NOT NULL,
    parent_id     uuid,
    name          text NOT NULL,
    kind          text NOT NULL,
    public_facing boolean NOT NULL,
    head_asn_id   uuid,
    version       timestamptz NOT NULL
);
CREATE INDEX org_unit_regency ON org_unit (regency_id);

CREATE TABLE org_asn (
    asn_id         uuid PRIMARY KEY,
    regency_id     uuid NOT NULL,
    name           text NOT NULL,
    email          text,
    unit_id        uuid NOT NULL,
    position_title text NOT NULL,
    grade          text NOT NULL,
    position_class int NOT NULL,
    superior_id    uuid,
    gender         text NOT NULL,
    location       text NOT NULL,
    active         boolean NOT NULL,
    version        timestamptz NOT NULL
);
CREATE INDEX org_asn_superior ON org_asn (superior_id);
CREATE INDEX org_asn_unit ON org_asn (unit_id);

CREATE TABLE org_acting_superior (
    asn_id             uuid NOT NULL,
    acting_superior_id uuid NOT NULL,
    regency_id         uuid NOT NULL,
    valid_from         date NOT NULL,
    valid_until        date NOT NULL,
    PRIMARY KEY (asn_id, acting_superior_id, valid_from)
);

-- Tenant isolation: each row is visible only to transactions scoped to its regency (see set_tenant()).
ALTER TABLE org_unit ENABLE ROW LEVEL SECURITY;
ALTER TABLE org_unit FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON org_unit USING (kinerja_tenant_allows(regency_id)) WITH CHECK (kinerja_tenant_allows(regency_id));
ALTER TABLE org_asn ENABLE ROW LEVEL SECURITY;
ALTER TABLE org_asn FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON org_asn USING (kinerja_tenant_allows(regency_id)) WITH CHECK (kinerja_tenant_allows(regency_id));
ALTER TABLE org_acting_superior ENABLE ROW LEVEL SECURITY;
ALTER TABLE org_acting_superior FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON org_acting_superior
    USING (kinerja_tenant_allows(regency_id)) WITH CHECK (kinerja_tenant_allows(regency_id));
-- org_regency is the list of tenants itself: readable by all, like a catalogue
