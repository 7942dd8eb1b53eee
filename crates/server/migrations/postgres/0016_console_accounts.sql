-- Accounts for the console (issue 3): privileges, business divisions and department scope,
-- password expiry and history, lockout; the department hierarchy; console sessions; the
-- audit log; the account policy. Devices get a department, which scopes who sees them.

-- Privileges are two flags (system administration, user-account management). Business
-- divisions are a bit set: 1 security, 2 assets, 4 devices, 8 distribution (15 = all).
ALTER TABLE users ADD COLUMN time_zone TEXT NOT NULL DEFAULT 'Asia/Tokyo';
ALTER TABLE users ADD COLUMN system_admin BIGINT NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN account_admin BIGINT NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN divisions BIGINT NOT NULL DEFAULT 15;
ALTER TABLE users ADD COLUMN all_departments BIGINT NOT NULL DEFAULT 1;
ALTER TABLE users ADD COLUMN builtin BIGINT NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN password_changed_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN failed_logins BIGINT NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN locked_at BIGINT;
UPDATE users SET password_changed_at = created_at;
UPDATE users SET system_admin = 1, account_admin = 1, builtin = 1 WHERE login = 'admin';

CREATE TABLE departments (
    id BIGSERIAL PRIMARY KEY,
    parent_id BIGINT REFERENCES departments (id),
    name TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    version BIGINT NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX departments_sibling_name ON departments (COALESCE(parent_id, 0), name);
CREATE INDEX departments_parent ON departments (parent_id);

-- The roots of the department subtrees a scoped account manages.
CREATE TABLE user_departments (
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    department_id BIGINT NOT NULL REFERENCES departments (id) ON DELETE CASCADE,
    PRIMARY KEY (user_id, department_id)
);
CREATE INDEX user_departments_department ON user_departments (department_id);

CREATE TABLE password_history (
    id BIGSERIAL PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    password_hash TEXT NOT NULL,
    changed_at BIGINT NOT NULL
);
CREATE INDEX password_history_user ON password_history (user_id, changed_at);

-- A console session is known by the hash of its cookie; the CSRF token goes into every form.
CREATE TABLE console_sessions (
    token_hash TEXT PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf_token TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    ip TEXT NOT NULL DEFAULT ''
);
CREATE INDEX console_sessions_user ON console_sessions (user_id);

-- Who did what, when, from where, to which object, with which result (spec 001_E §7). No
-- statement of the product updates or deletes a row.
CREATE TABLE audit_log (
    id BIGSERIAL PRIMARY KEY,
    at BIGINT NOT NULL,
    category TEXT NOT NULL,
    op TEXT NOT NULL,
    object TEXT NOT NULL,
    object_id TEXT NOT NULL DEFAULT '',
    result TEXT NOT NULL,
    user_id BIGINT,
    login TEXT NOT NULL DEFAULT '',
    ip TEXT NOT NULL DEFAULT '',
    component TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_at ON audit_log (at);

-- One row: password rules, lockout and the console's idle timeout.
CREATE TABLE account_policy (
    id BIGINT PRIMARY KEY CHECK (id = 1),
    min_length BIGINT NOT NULL,
    classes_required BIGINT NOT NULL,
    expiry_days BIGINT NOT NULL,
    warn_days BIGINT NOT NULL,
    history_count BIGINT NOT NULL,
    lockout_threshold BIGINT NOT NULL,
    lockout_minutes BIGINT NOT NULL,
    idle_minutes BIGINT NOT NULL,
    version BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
INSERT INTO account_policy (id, min_length, classes_required, expiry_days, warn_days,
    history_count, lockout_threshold, lockout_minutes, idle_minutes, version, updated_at)
VALUES (1, 8, 3, 90, 7, 5, 5, 30, 60, 1, 0);

ALTER TABLE devices ADD COLUMN department_id BIGINT REFERENCES departments (id) ON DELETE SET NULL;
CREATE INDEX devices_department ON devices (department_id);
