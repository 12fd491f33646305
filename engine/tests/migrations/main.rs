//! Migrations that move what a previous version stored, on both backends: each module fills a
//! store migrated up to the version before its migration, opens it with the current version
//! and checks what it reads back ([`old_store`] does the filling and opening).

mod binary_shas;
mod case_names;
mod cause_repo;
mod change_keys;
mod commit_repository_ids;
mod delivery_keys;
mod links_by_repo;
mod old_store;
mod raw_log;
mod shipment_ids;
mod up_to_date;
