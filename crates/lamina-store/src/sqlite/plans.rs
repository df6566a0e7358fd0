//! Queries for migration plans: one JSON document per plan name. Checking a plan against
//! the others is the control layer's job; here a put simply replaces.

use lamina_model::environment::MigrationPlan;
use rusqlite::{Connection, OptionalExtension, params};

use super::{decode, encode};
use crate::StoreResult;

fn key(name: &str) -> String {
    format!("plan {name}")
}

pub(super) fn put(conn: &Connection, plan: &MigrationPlan) -> StoreResult<()> {
    conn.execute(
        "INSERT INTO migration_plans (name, doc) VALUES (?1, ?2)
         ON CONFLICT (name) DO UPDATE SET doc = excluded.doc",
        params![plan.name, encode(&key(&plan.name), plan)?],
    )?;
    Ok(())
}

pub(super) fn get(conn: &Connection, name: &str) -> StoreResult<Option<MigrationPlan>> {
    let doc: Option<String> = conn
        .query_row(
            "SELECT doc FROM migration_plans WHERE name = ?1",
            params![name],
            |r| r.get(0),
        )
        .optional()?;
    doc.map(|d| decode(&key(name), &d)).transpose()
}

pub(super) fn list(conn: &Connection) -> StoreResult<Vec<MigrationPlan>> {
    let mut stmt = conn.prepare("SELECT name, doc FROM migration_plans ORDER BY name")?;
    let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
    rows.map(|row| {
        let (name, doc) = row?;
        decode(&key(&name), &doc)
    })
    .collect()
}

pub(super) fn delete(conn: &Connection, name: &str) -> StoreResult<bool> {
    Ok(conn.execute("DELETE FROM migration_plans WHERE name = ?1", params![name])? > 0)
}
