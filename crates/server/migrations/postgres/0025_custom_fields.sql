-- Custom fields of the ledger (追加管理項目, issue 4): per record kind (hardware, licence,
-- contract), text, selection or hierarchy, entered by administrators or by users. The data
-- type never changes after creation. Records keep their values in their `custom` JSON by
-- field id: text, or the id of an option.
CREATE TABLE custom_fields (
    id BIGSERIAL PRIMARY KEY,
    target TEXT NOT NULL,
    name TEXT NOT NULL,
    name_en TEXT NOT NULL DEFAULT '',
    data_type TEXT NOT NULL,
    input TEXT NOT NULL DEFAULT 'admin',
    position BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    version BIGINT NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX custom_fields_name ON custom_fields (target, name);

-- The choices of a selection field, or the nodes of a hierarchy field (parent_id).
CREATE TABLE custom_field_options (
    id BIGSERIAL PRIMARY KEY,
    field_id BIGINT NOT NULL REFERENCES custom_fields (id) ON DELETE CASCADE,
    parent_id BIGINT REFERENCES custom_field_options (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    name_en TEXT NOT NULL DEFAULT '',
    position BIGINT NOT NULL
);
CREATE UNIQUE INDEX custom_field_options_name ON custom_field_options (field_id, COALESCE(parent_id, 0), name);
