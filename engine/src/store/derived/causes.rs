//! `incident.cause_repo` (migration 0025): the repository of the deployment an incident's cause
//! names, when that deployment is stored. A derivation finds through it the incidents of other
//! repositories that blame one of its deployments ([`super::repo_incidents`]). Every write of
//! incidents or deployments sets it again for what it wrote, in the same transaction: an incident
//! may be written before the deployment it names, and a deployment may move to another
//! repository.

use super::LIST;
use crate::store::codec::{self, Statement, Value};

/// Sets the column from the stored deployments, for the incidents the condition appended
/// selects (an `IN` list of keys, from `$1`).
const SET_CAUSE_REPO: &str = "UPDATE incident SET cause_repo = (SELECT d.repo FROM deployment d \
     WHERE d.key = incident.cause_ref AND incident.cause_kind = 'deployment') WHERE";

/// After incidents of these keys were written.
pub(crate) fn of_incidents(keys: &[&str]) -> Vec<Statement> {
    statements("key", keys)
}

/// After deployments of these keys were written: the incidents naming them.
pub(crate) fn naming_deployments(keys: &[&str]) -> Vec<Statement> {
    statements("cause_kind = 'deployment' AND cause_ref", keys)
}

fn statements(column: &str, keys: &[&str]) -> Vec<Statement> {
    keys.chunks(LIST)
        .map(|chunk| {
            Statement::new(
                format!(
                    "{SET_CAUSE_REPO} {column} IN ({})",
                    codec::placeholders(1, chunk.len())
                ),
                chunk.iter().map(|k| Value::text(*k)).collect(),
            )
        })
        .collect()
}
