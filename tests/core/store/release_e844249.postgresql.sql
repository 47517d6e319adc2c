-- The schema that release e844249 (before migrations) created on postgresql:
-- SQLModel.metadata.create_all, then install_history_guard. Generated from that
-- commit's models (tests/core/test_migrations.py explains how); do not edit.

CREATE TABLE appendix_item (
	id VARCHAR(60) NOT NULL,
	section VARCHAR(40) NOT NULL,
	position INTEGER NOT NULL,
	text TEXT NOT NULL,
	PRIMARY KEY (id)
);

CREATE TABLE flag (
	id SERIAL NOT NULL,
	subject_kind VARCHAR(20) NOT NULL,
	subject_id VARCHAR(160) NOT NULL,
	code VARCHAR(40) NOT NULL,
	reason TEXT NOT NULL,
	PRIMARY KEY (id),
	UNIQUE (subject_kind, subject_id, code)
);
CREATE INDEX ix_flag_subject_id ON flag (subject_id);

CREATE TABLE need (
	id VARCHAR(40) NOT NULL,
	label VARCHAR(120) NOT NULL,
	description TEXT NOT NULL,
	position INTEGER NOT NULL,
	PRIMARY KEY (id)
);

CREATE TABLE plan (
	id INTEGER NOT NULL,
	title VARCHAR NOT NULL,
	authors VARCHAR NOT NULL,
	published INTEGER NOT NULL,
	baseline_start DATE NOT NULL,
	first_year INTEGER NOT NULL,
	last_year INTEGER NOT NULL,
	timeline_note TEXT NOT NULL,
	PRIMARY KEY (id)
);

CREATE TABLE region (
	id VARCHAR(40) NOT NULL,
	name VARCHAR(120) NOT NULL,
	position INTEGER NOT NULL,
	report_labels JSON,
	survivors_served INTEGER,
	trafficking_mix JSON,
	trafficking_mix_as_written VARCHAR,
	top_needs JSON,
	summary TEXT NOT NULL,
	PRIMARY KEY (id)
);

CREATE TABLE sign_in_throttle (
	username VARCHAR(80) NOT NULL,
	failures JSON,
	locked_until TIMESTAMP WITH TIME ZONE,
	updated_at TIMESTAMP WITH TIME ZONE NOT NULL,
	PRIMARY KEY (username)
);
CREATE INDEX ix_sign_in_throttle_updated_at ON sign_in_throttle (updated_at);

CREATE TABLE user_account (
	id SERIAL NOT NULL,
	username VARCHAR(80) NOT NULL,
	display_name VARCHAR(120) NOT NULL,
	email VARCHAR(254),
	role VARCHAR(10) NOT NULL,
	password_hash VARCHAR(255),
	active BOOLEAN NOT NULL,
	created_at TIMESTAMP WITH TIME ZONE NOT NULL,
	PRIMARY KEY (id),
	CONSTRAINT ck_user_role CHECK (role IN ('viewer', 'lead', 'admin')),
	UNIQUE (email)
);
CREATE UNIQUE INDEX ix_user_account_username ON user_account (username);

CREATE TABLE logic_model (
	id VARCHAR(60) NOT NULL,
	region_id VARCHAR(40) NOT NULL,
	title TEXT NOT NULL,
	report_region_label VARCHAR(120) NOT NULL,
	position INTEGER NOT NULL,
	start_date DATE NOT NULL,
	retired BOOLEAN NOT NULL,
	PRIMARY KEY (id),
	FOREIGN KEY(region_id) REFERENCES region (id)
);
CREATE INDEX ix_logic_model_region_id ON logic_model (region_id);

CREATE TABLE strategy (
	id VARCHAR(120) NOT NULL,
	logic_model_id VARCHAR(60) NOT NULL,
	need_id VARCHAR(40) NOT NULL,
	label VARCHAR(200),
	title VARCHAR(300) NOT NULL,
	resources JSON,
	tasks JSON,
	ultimate_outcome TEXT NOT NULL,
	position INTEGER NOT NULL,
	retired BOOLEAN NOT NULL,
	PRIMARY KEY (id),
	FOREIGN KEY(logic_model_id) REFERENCES logic_model (id),
	FOREIGN KEY(need_id) REFERENCES need (id)
);
CREATE INDEX ix_strategy_logic_model_id ON strategy (logic_model_id);
CREATE INDEX ix_strategy_need_id ON strategy (need_id);

CREATE TABLE assignment (
	id SERIAL NOT NULL,
	user_id INTEGER NOT NULL,
	region_id VARCHAR(40),
	strategy_id VARCHAR(120),
	PRIMARY KEY (id),
	CONSTRAINT ck_assignment_one_scope CHECK ((region_id IS NULL) <> (strategy_id IS NULL)),
	UNIQUE (user_id, region_id),
	UNIQUE (user_id, strategy_id),
	FOREIGN KEY(user_id) REFERENCES user_account (id),
	FOREIGN KEY(region_id) REFERENCES region (id),
	FOREIGN KEY(strategy_id) REFERENCES strategy (id)
);
CREATE INDEX ix_assignment_user_id ON assignment (user_id);

CREATE TABLE outcome (
	id VARCHAR(160) NOT NULL,
	strategy_id VARCHAR(120) NOT NULL,
	term VARCHAR(10) NOT NULL,
	position INTEGER NOT NULL,
	number VARCHAR(10),
	text TEXT NOT NULL,
	date_as_written VARCHAR(40),
	due_date DATE NOT NULL,
	date_basis VARCHAR(20) NOT NULL,
	date_flag VARCHAR(30),
	date_note TEXT,
	baseline_due_date DATE NOT NULL,
	status VARCHAR(20) NOT NULL,
	version INTEGER NOT NULL,
	last_updated TIMESTAMP WITH TIME ZONE,
	last_updated_by VARCHAR(120),
	retired BOOLEAN NOT NULL,
	PRIMARY KEY (id),
	FOREIGN KEY(strategy_id) REFERENCES strategy (id)
);
CREATE INDEX ix_outcome_due_date ON outcome (due_date);
CREATE INDEX ix_outcome_status_due ON outcome (status, due_date);
CREATE INDEX ix_outcome_strategy_id ON outcome (strategy_id);

CREATE TABLE status_update (
	id SERIAL NOT NULL,
	outcome_id VARCHAR(160) NOT NULL,
	changed_at TIMESTAMP WITH TIME ZONE NOT NULL,
	changed_by VARCHAR(120) NOT NULL,
	old_status VARCHAR(20) NOT NULL,
	new_status VARCHAR(20) NOT NULL,
	note TEXT NOT NULL,
	evidence_url VARCHAR(2000),
	reverts_id INTEGER,
	PRIMARY KEY (id),
	FOREIGN KEY(outcome_id) REFERENCES outcome (id),
	FOREIGN KEY(reverts_id) REFERENCES status_update (id)
);
CREATE INDEX ix_status_update_changed_at ON status_update (changed_at);
CREATE INDEX ix_status_update_outcome_time ON status_update (outcome_id, changed_at);

CREATE OR REPLACE FUNCTION status_update_append_only() RETURNS trigger AS $$
       BEGIN RAISE EXCEPTION 'status history is append-only: rows cannot be % d', lower(TG_OP);
       END $$ LANGUAGE plpgsql;

DROP TRIGGER IF EXISTS status_update_append_only ON status_update;

CREATE TRIGGER status_update_append_only BEFORE UPDATE OR DELETE ON status_update
       FOR EACH ROW EXECUTE FUNCTION status_update_append_only();
