-- Append-only, hash-chained audit log (issue 11): who viewed or changed SKPs, evaluations, predikat, TPP
-- and complaints. kinerja_shared.audit appends (record) and checks the chain (verify).

CREATE TABLE audit_log (
    seq             bigint      PRIMARY KEY CHECK (seq > 0),  -- chain position, gapless: a deleted row is a gap
    at              timestamptz NOT NULL,
    regency_id      uuid,                                     -- NULL: a province-wide action
    actor_sub       text        NOT NULL,
    actor_roles     text[]      NOT NULL,
    actor_asn_id    uuid,
    action          text        NOT NULL CHECK (action ~ '^[a-z][a-z_]*(\.[a-z][a-z_]*)+$'),
    subject_type    text        NOT NULL CHECK (subject_type ~ '^[a-z][a-z_]*$'),
    subject_id      uuid        NOT NULL,                     -- internal UUID, never a NIP
    detail          jsonb       NOT NULL DEFAULT '{}',
    prev_hash       text        NOT NULL CHECK (prev_hash ~ '^[0-9a-f]{64}$'),
    hash            text        NOT NULL UNIQUE CHECK (hash ~ '^[0-9a-f]{64}$')
);
CREATE INDEX audit_log_subject ON audit_log (subject_type, subject_id, seq);
CREATE INDEX audit_log_actor ON audit_log (actor_sub, seq);

-- the chain's end, so deleting the newest rows shows too (the log alone would just look shorter)
CREATE TABLE audit_head (
    id    boolean PRIMARY KEY DEFAULT true CHECK (id),
    seq   bigint  NOT NULL,
    hash  text    NOT NULL
);
INSERT INTO audit_head (seq, hash) VALUES (0, repeat('0', 64));

-- tenants read their own rows; province-wide rows (NULL) only with the '*' scope of trusted tools
ALTER TABLE audit_log ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_log FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON audit_log
    USING (kinerja_tenant_allows(regency_id))
    WITH CHECK (regency_id IS NULL OR kinerja_tenant_allows(regency_id));

-- append-only for everyone but a superuser: privileges first (the app role got UPDATE/DELETE from the
-- default privileges), triggers as belt and braces, for the owner too
DO $$
DECLARE
    grantee text;
BEGIN
    REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM PUBLIC;
    REVOKE DELETE, TRUNCATE ON audit_head FROM PUBLIC;
    FOR grantee IN
        SELECT DISTINCT pg_get_userbyid(a.grantee)
        FROM pg_class c, aclexplode(c.relacl) a
        WHERE c.oid IN ('audit_log'::regclass, 'audit_head'::regclass) AND a.grantee <> 0 AND a.grantee <> c.relowner
    LOOP
        EXECUTE format('REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM %I', grantee);
        EXECUTE format('REVOKE DELETE, TRUNCATE ON audit_head FROM %I', grantee);
    END LOOP;
END $$;

CREATE FUNCTION audit_log_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_immutable();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_immutable();

-- the head only moves forward, one step at a time, to the hash of the row just appended
CREATE FUNCTION audit_head_forward() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.seq <> OLD.seq + 1 THEN
        RAISE EXCEPTION 'audit_head moves one row forward at a time' USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER audit_head_forward BEFORE UPDATE ON audit_head FOR EACH ROW EXECUTE FUNCTION audit_head_forward();
CREATE TRIGGER audit_head_no_truncate BEFORE DELETE OR TRUNCATE ON audit_head
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_immutable();
