//! Which digests went out: the claim a replica takes before sending a scheduled digest, so that
//! each scope, period and channel is sent once however many replicas run the schedule.

use super::codec::{Statement, Value};
use super::{Store, StoreError};
use crate::period::Period;

/// One digest to one channel: the scope (`None`: the organisation), its period, the channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DigestClaim {
    pub scope: Option<String>,
    pub period: Period,
    /// `slack` or `email`.
    pub channel: String,
}

impl DigestClaim {
    /// The organisation's row key: `*` is no slug (slugs are letters, digits, `-`, `_`, `.`).
    fn scope_key(&self) -> &str {
        self.scope.as_deref().unwrap_or("*")
    }
}

impl DigestClaim {
    /// The row's key columns, in the order the statements bind them.
    fn key(&self) -> Vec<Value> {
        vec![
            Value::text(self.scope_key()),
            Value::text(self.period.from.to_string()),
            Value::text(self.period.to.to_string()),
            Value::text(&self.channel),
        ]
    }
}

impl Store {
    /// Claims `claim` for this process: true when no one had (this process sends it), false when
    /// another replica (or an earlier run) already did. One insert-if-absent, so of replicas
    /// claiming at once exactly one wins.
    pub async fn claim_digest(&self, claim: &DigestClaim) -> Result<bool, StoreError> {
        let mut params = claim.key();
        params.push(Value::Int(Some(chrono::Utc::now().timestamp())));
        let affected = self
            .transaction(vec![Statement::new(
                "INSERT INTO digest_sent (scope, period_from, period_to, channel, claimed_at) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
                params,
            )])
            .await?;
        Ok(affected == [1])
    }

    /// Gives `claim` back after its delivery failed, so a later run tries again.
    pub async fn release_digest(&self, claim: &DigestClaim) -> Result<(), StoreError> {
        self.transaction(vec![Statement::new(
            "DELETE FROM digest_sent \
             WHERE scope = $1 AND period_from = $2 AND period_to = $3 AND channel = $4",
            claim.key(),
        )])
        .await?;
        Ok(())
    }
}
