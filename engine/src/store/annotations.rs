//! The stored annotations ([`crate::annotations`]): added, listed by date, removed. They shape
//! no figure, so writing one leaves [`Store::data_version`] alone (charts hash the annotations
//! they draw into their ETag instead).

use super::codec::{Statement, Value};
use super::{Store, StoreError};
use crate::annotations::{Annotation, NewAnnotation, Origin, Reach};
use chrono::{NaiveDate, Utc};

/// The columns every read decodes, in [`decode`]'s order.
const COLUMNS: &str = "id, day, title, team, inherit";

fn decode(row: &dyn super::codec::RowExt) -> Result<Annotation, StoreError> {
    let id = row.int("id")?;
    let day = row.text("day")?;
    let date = day
        .parse::<NaiveDate>()
        .map_err(|e| StoreError::corrupt("annotation date", &id.to_string(), e))?;
    Ok(Annotation {
        id: Some(id),
        date,
        title: row.text("title")?,
        team: row.opt_text("team")?,
        scope: if row.flag("inherit")? {
            Reach::Inherit
        } else {
            Reach::Own
        },
        source: Origin::Stored,
    })
}

impl Store {
    /// Stores `annotation` and answers it with its new id.
    pub async fn add_annotation(
        &self,
        annotation: &NewAnnotation,
    ) -> Result<Annotation, StoreError> {
        let inserted = self
            .fetch_optional(
                Statement::new(
                    "INSERT INTO annotation (day, title, team, inherit, created_at) \
                     VALUES ($1, $2, $3, $4, $5) RETURNING id, day, title, team, inherit",
                    vec![
                        Value::text(annotation.date.to_string()),
                        Value::text(&annotation.title),
                        Value::opt_text(annotation.team.as_deref()),
                        Value::Bool(annotation.scope == Reach::Inherit),
                        Value::int(Utc::now().timestamp()),
                    ],
                ),
                decode,
            )
            .await?;
        inserted.ok_or_else(|| StoreError::Invalid {
            what: "annotation",
            value: annotation.title.clone(),
            detail: "the database returned no row for the insert".to_string(),
        })
    }

    /// The stored annotations dated in `[from, to)`, by date then id, at most `limit`.
    pub async fn annotations(
        &self,
        from: NaiveDate,
        to: NaiveDate,
        limit: usize,
    ) -> Result<Vec<Annotation>, StoreError> {
        self.fetch_all(
            Statement::new(
                format!(
                    "SELECT {COLUMNS} FROM annotation WHERE day >= $1 AND day < $2 \
                     ORDER BY day, id LIMIT $3"
                ),
                vec![
                    Value::text(from.to_string()),
                    Value::text(to.to_string()),
                    Value::int(i64::try_from(limit).unwrap_or(i64::MAX)),
                ],
            ),
            decode,
        )
        .await
    }

    /// Removes the annotation `id`; false when there is none.
    pub async fn delete_annotation(&self, id: i64) -> Result<bool, StoreError> {
        let affected = self
            .transaction(vec![Statement::new(
                "DELETE FROM annotation WHERE id = $1",
                vec![Value::int(id)],
            )])
            .await?;
        Ok(affected.first().copied().unwrap_or(0) > 0)
    }
}
