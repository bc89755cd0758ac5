//! Staff records and their duties: [`doorstep_store::Staff`] over the `staff` and `duties`
//! tables.

use async_trait::async_trait;
use doorstep_core::staff::StaffFields;
use doorstep_core::{AreaKind, AreaPath, Duty, Phone, StaffKind};
use doorstep_store::*;
use sqlx::AssertSqlSafe;
use time::OffsetDateTime;

use super::SqlStore;
use super::rows::{AREA_COLS, AreaRow};
use super::util::{Conn, MAX_PARAMS, corrupt, db_err, list_clause, subtree_bounds};

const STAFF_COLS: &str = "s.id, s.area_id, sa.path AS area_path, s.name, s.phone, s.kind, s.skills, \
     s.availability, s.notes, s.active, s.user_id, s.created_at, s.updated_at";
const STAFF_FROM: &str = "staff s JOIN areas sa ON sa.id = s.area_id";

#[derive(sqlx::FromRow)]
struct StaffRow {
    id: i64,
    area_id: i64,
    area_path: String,
    name: String,
    phone: String,
    kind: String,
    skills: String,
    availability: String,
    notes: String,
    active: bool,
    user_id: Option<i64>,
    created_at: OffsetDateTime,
    updated_at: OffsetDateTime,
}

impl StaffRow {
    fn into_member(self) -> StoreResult<StaffMember> {
        Ok(StaffMember {
            id: self.id,
            area_id: self.area_id,
            area_path: AreaPath::from_stored(self.area_path),
            fields: StaffFields {
                name: self.name,
                phone: Phone::from_stored(self.phone),
                kind: StaffKind::from_stored(&self.kind)
                    .ok_or_else(|| corrupt("staff kind", &self.kind))?,
                skills: serde_json::from_str(&self.skills)
                    .map_err(|_| corrupt("staff skills", &self.skills))?,
                availability: self.availability,
                notes: self.notes,
            },
            active: self.active,
            user_id: self.user_id,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

const DUTY_COLS: &str = "d.id AS duty_id, d.duty, d.area_id AS duty_area_id, da.path AS duty_area_path, \
     da.kind AS duty_area_kind, d.created_by, d.created_at AS duty_created_at";
const DUTY_FROM: &str = "duties d JOIN areas da ON da.id = d.area_id JOIN staff s ON s.id = d.staff_id JOIN areas sa ON sa.id = s.area_id";

#[derive(sqlx::FromRow)]
struct DutyRow {
    duty_id: i64,
    duty: String,
    duty_area_id: i64,
    duty_area_path: String,
    duty_area_kind: String,
    created_by: String,
    duty_created_at: OffsetDateTime,
    #[sqlx(flatten)]
    staff: StaffRow,
}

impl DutyRow {
    fn into_assignment(self) -> StoreResult<DutyAssignment> {
        Ok(DutyAssignment {
            id: self.duty_id,
            duty: Duty::from_stored(&self.duty).ok_or_else(|| corrupt("duty", &self.duty))?,
            area_id: self.duty_area_id,
            area_path: AreaPath::from_stored(self.duty_area_path),
            area_kind: AreaKind::parse(&self.duty_area_kind)
                .map_err(|_| corrupt("area kind", &self.duty_area_kind))?,
            staff: self.staff.into_member()?,
            created_by: self.created_by,
            created_at: self.duty_created_at,
        })
    }
}

fn skills_json(f: &StaffFields) -> String {
    serde_json::Value::from(f.skills.clone()).to_string()
}

async fn member(conn: &mut Conn, id: Id) -> StoreResult<Option<StaffMember>> {
    member_as(conn, id, String::new()).await
}

/// A staff member read in the write that changes them, their row locked until the commit:
/// the audit's "before" is the row the change replaces, not one another change replaced
/// meanwhile.
async fn member_to_change(conn: &mut Conn, id: Id) -> StoreResult<Option<StaffMember>> {
    member_as(conn, id, crate::backend::for_update("s")).await
}

async fn member_as(conn: &mut Conn, id: Id, lock: String) -> StoreResult<Option<StaffMember>> {
    let sql = format!("SELECT {STAFF_COLS} FROM {STAFF_FROM} WHERE s.id = $1{lock}");
    sqlx::query_as::<_, StaffRow>(AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await
        .map_err(db_err)?
        .map(StaffRow::into_member)
        .transpose()
}

async fn insert_staff(conn: &mut Conn, new: &NewStaff) -> StoreResult<StaffMember> {
    let now = OffsetDateTime::now_utc();
    let f = &new.fields;
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO staff (area_id, name, phone, kind, skills, availability, notes, active, user_id, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, TRUE, $8, $9, $9) RETURNING id",
    )
    .bind(new.area_id)
    .bind(&f.name)
    .bind(f.phone.as_str())
    .bind(f.kind.code())
    .bind(skills_json(f))
    .bind(&f.availability)
    .bind(&f.notes)
    .bind(new.user_id)
    .bind(now)
    .fetch_one(&mut *conn)
    .await
    .map_err(db_err)?;
    member(conn, id)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("staff {id}")))
}

async fn change_staff(
    conn: &mut Conn,
    id: Id,
    fields: &StaffFields,
    active: bool,
    user_id: Option<Id>,
) -> StoreResult<()> {
    sqlx::query(
        "UPDATE staff SET name = $1, phone = $2, kind = $3, skills = $4, availability = $5, notes = $6, \
         active = $7, user_id = $8, updated_at = $9 WHERE id = $10",
    )
    .bind(&fields.name)
    .bind(fields.phone.as_str())
    .bind(fields.kind.code())
    .bind(skills_json(fields))
    .bind(&fields.availability)
    .bind(&fields.notes)
    .bind(active)
    .bind(user_id)
    .bind(OffsetDateTime::now_utc())
    .bind(id)
    .execute(&mut *conn)
    .await
    .map_err(db_err)?;
    Ok(())
}

async fn assignment(conn: &mut Conn, id: Id) -> StoreResult<Option<DutyAssignment>> {
    let sql = format!("SELECT {DUTY_COLS}, {STAFF_COLS} FROM {DUTY_FROM} WHERE d.id = $1");
    sqlx::query_as::<_, DutyRow>(AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await
        .map_err(db_err)?
        .map(DutyRow::into_assignment)
        .transpose()
}

fn assignments(rows: Vec<DutyRow>) -> StoreResult<Vec<DutyAssignment>> {
    rows.into_iter().map(DutyRow::into_assignment).collect()
}

#[async_trait]
impl Staff for SqlStore {
    async fn create_staff(
        &self,
        new: &NewStaff,
        audit: Audit<StaffMember>,
    ) -> StoreResult<StaffMember> {
        let new = new.clone();
        self.write(audit, move |c| {
            Box::pin(async move { insert_staff(c, &new).await })
        })
        .await
    }

    async fn update_staff(
        &self,
        id: Id,
        change: &StaffChange,
        audit: Audit<(StaffMember, StaffMember)>,
    ) -> StoreResult<StaffMember> {
        let change = change.clone();
        let (_, after) = self
            .write(audit, move |c| {
                Box::pin(async move {
                    let before = member_to_change(c, id)
                        .await?
                        .ok_or_else(|| StoreError::NotFound(format!("staff {id}")))?;
                    change_staff(c, id, &change.fields, change.active, change.user_id).await?;
                    let after = member(c, id)
                        .await?
                        .ok_or_else(|| StoreError::NotFound(format!("staff {id}")))?;
                    Ok((before, after))
                })
            })
            .await?;
        Ok(after)
    }

    async fn staff_member(&self, id: Id) -> StoreResult<Option<StaffMember>> {
        let mut c = self.pool().acquire().await.map_err(db_err)?;
        member(&mut c, id).await
    }

    async fn staff_by_phone(&self, phone: &str) -> StoreResult<Option<StaffMember>> {
        let sql = format!("SELECT {STAFF_COLS} FROM {STAFF_FROM} WHERE s.phone = $1");
        sqlx::query_as::<_, StaffRow>(AssertSqlSafe(sql))
            .bind(phone)
            .fetch_optional(self.pool())
            .await
            .map_err(db_err)?
            .map(StaffRow::into_member)
            .transpose()
    }

    async fn staff_of_user(&self, user_id: Id) -> StoreResult<Option<StaffMember>> {
        let sql = format!("SELECT {STAFF_COLS} FROM {STAFF_FROM} WHERE s.user_id = $1");
        sqlx::query_as::<_, StaffRow>(AssertSqlSafe(sql))
            .bind(user_id)
            .fetch_optional(self.pool())
            .await
            .map_err(db_err)?
            .map(StaffRow::into_member)
            .transpose()
    }

    async fn staff_list(&self, q: &StaffQuery) -> StoreResult<Page<StaffMember>> {
        let mut conds: Vec<String> = Vec::new();
        let mut binds: Vec<String> = Vec::new();
        if let Some(area) = &q.area {
            let (a, b, c) = subtree_bounds(area);
            let n = binds.len();
            let mut cond = format!(
                "sa.path = ${} OR (sa.path >= ${} AND sa.path < ${})",
                n + 1,
                n + 2,
                n + 3
            );
            binds.extend([a, b, c]);
            for p in &q.above {
                binds.push(p.to_string());
                cond += &format!(" OR sa.path = ${}", binds.len());
            }
            conds.push(format!("({cond})"));
        }
        if let Some(k) = q.kind {
            binds.push(k.code().to_string());
            conds.push(format!("s.kind = ${}", binds.len()));
        }
        match q.active {
            Some(true) => conds.push("s.active = TRUE".into()),
            Some(false) => conds.push("s.active = FALSE".into()),
            None => {}
        }
        if let Some(t) = q.text.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
            // Name contains, or phone ends with: the text is bound (LIKE's wildcards escaped),
            // never spliced.
            let escaped = t
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_");
            binds.push(format!("%{escaped}%"));
            binds.push(format!("%{escaped}"));
            let n = binds.len();
            conds.push(format!(
                "(s.name LIKE ${} ESCAPE '\\' OR s.phone LIKE ${n} ESCAPE '\\')",
                n - 1
            ));
        }
        let filter = if conds.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", conds.join(" AND "))
        };
        let count_sql = format!("SELECT COUNT(*) FROM {STAFF_FROM} {filter}");
        let mut cq = sqlx::query_as::<_, (i64,)>(AssertSqlSafe(count_sql));
        for b in &binds {
            cq = cq.bind(b);
        }
        let (total,) = cq.fetch_one(self.pool()).await.map_err(db_err)?;
        let sql = format!(
            "SELECT {STAFF_COLS} FROM {STAFF_FROM} {filter} ORDER BY s.name, s.id LIMIT {} OFFSET {}",
            q.page.limit, q.page.offset
        );
        let mut lq = sqlx::query_as::<_, StaffRow>(AssertSqlSafe(sql));
        for b in &binds {
            lq = lq.bind(b);
        }
        let rows = lq.fetch_all(self.pool()).await.map_err(db_err)?;
        Ok(Page {
            items: rows
                .into_iter()
                .map(StaffRow::into_member)
                .collect::<StoreResult<_>>()?,
            total,
        })
    }

    async fn import_staff(
        &self,
        area_id: Id,
        within: Option<&AreaPath>,
        rows: &[StaffFields],
        audit: Audit<StaffImport>,
    ) -> StoreResult<StaffImport> {
        let rows = rows.to_vec();
        let within = within.cloned();
        self.write(audit, move |c| {
            Box::pin(async move {
                let mut out = StaffImport::default();
                for (i, f) in rows.iter().enumerate() {
                    let sql = format!("SELECT {STAFF_COLS} FROM {STAFF_FROM} WHERE s.phone = $1");
                    let found = sqlx::query_as::<_, StaffRow>(AssertSqlSafe(sql))
                        .bind(f.phone.as_str())
                        .fetch_optional(&mut *c)
                        .await
                        .map_err(db_err)?
                        .map(StaffRow::into_member)
                        .transpose()?;
                    match found {
                        None => {
                            let new = NewStaff {
                                area_id,
                                fields: f.clone(),
                                user_id: None,
                            };
                            insert_staff(c, &new).await?;
                            out.created += 1;
                        }
                        Some(m) if within.as_ref().is_some_and(|w| !w.contains(&m.area_path)) => {
                            out.refused.push(i);
                        }
                        Some(m) if m.fields == *f && m.active => out.unchanged += 1,
                        Some(m) => {
                            // A row brings a record back to work and takes its details.
                            change_staff(c, m.id, f, true, m.user_id).await?;
                            out.updated += 1;
                        }
                    }
                }
                Ok(out)
            })
        })
        .await
    }

    async fn assign_duty(
        &self,
        staff_id: Id,
        area_id: Id,
        duty: Duty,
        by: &str,
        audit: Audit<DutyAssignment>,
    ) -> StoreResult<DutyAssignment> {
        let by = by.to_string();
        self.write(audit, move |c| {
            Box::pin(async move {
                sqlx::query(
                    "INSERT INTO duties (staff_id, area_id, duty, created_by, created_at) \
                     VALUES ($1, $2, $3, $4, $5) ON CONFLICT (staff_id, area_id, duty) DO NOTHING",
                )
                .bind(staff_id)
                .bind(area_id)
                .bind(duty.code())
                .bind(&by)
                .bind(OffsetDateTime::now_utc())
                .execute(&mut *c)
                .await
                .map_err(db_err)?;
                let sql = format!(
                    "SELECT {DUTY_COLS}, {STAFF_COLS} FROM {DUTY_FROM} \
                     WHERE d.staff_id = $1 AND d.area_id = $2 AND d.duty = $3"
                );
                sqlx::query_as::<_, DutyRow>(AssertSqlSafe(sql))
                    .bind(staff_id)
                    .bind(area_id)
                    .bind(duty.code())
                    .fetch_one(&mut *c)
                    .await
                    .map_err(db_err)?
                    .into_assignment()
            })
        })
        .await
    }

    async fn remove_duty(
        &self,
        id: Id,
        audit: Audit<DutyAssignment>,
    ) -> StoreResult<DutyAssignment> {
        self.write(audit, move |c| {
            Box::pin(async move {
                let a = assignment(c, id)
                    .await?
                    .ok_or_else(|| StoreError::NotFound(format!("duty {id}")))?;
                let gone = sqlx::query("DELETE FROM duties WHERE id = $1")
                    .bind(id)
                    .execute(&mut *c)
                    .await
                    .map_err(db_err)?
                    .rows_affected();
                // Removed by a write that committed after the read above (PostgreSQL):
                // not found, as it would be a moment later, and no second entry.
                if gone == 0 {
                    return Err(StoreError::NotFound(format!("duty {id}")));
                }
                Ok(a)
            })
        })
        .await
    }

    async fn duty(&self, id: Id) -> StoreResult<Option<DutyAssignment>> {
        let mut c = self.pool().acquire().await.map_err(db_err)?;
        assignment(&mut c, id).await
    }

    async fn duties_under(&self, area: &AreaPath) -> StoreResult<Vec<DutyAssignment>> {
        let (a, b, c) = subtree_bounds(area);
        let sql = format!(
            "SELECT {DUTY_COLS}, {STAFF_COLS} FROM {DUTY_FROM} \
             WHERE da.path = $1 OR (da.path >= $2 AND da.path < $3) ORDER BY da.path, d.duty, s.name, d.id"
        );
        let rows = sqlx::query_as::<_, DutyRow>(AssertSqlSafe(sql))
            .bind(a)
            .bind(b)
            .bind(c)
            .fetch_all(self.pool())
            .await
            .map_err(db_err)?;
        assignments(rows)
    }

    async fn duties_on(&self, paths: &[AreaPath]) -> StoreResult<Vec<DutyAssignment>> {
        let mut rows = Vec::new();
        for chunk in paths.chunks(MAX_PARAMS) {
            let sql = format!(
                "SELECT {DUTY_COLS}, {STAFF_COLS} FROM {DUTY_FROM} \
                 WHERE da.path IN ({}) ORDER BY da.path, d.duty, s.name, d.id",
                list_clause(chunk.len(), 1)
            );
            let mut q = sqlx::query_as::<_, DutyRow>(AssertSqlSafe(sql)).persistent(false);
            for p in chunk {
                q = q.bind(p.as_str());
            }
            rows.extend(q.fetch_all(self.pool()).await.map_err(db_err)?);
        }
        assignments(rows)
    }

    async fn duties_of(&self, staff_id: Id) -> StoreResult<Vec<DutyAssignment>> {
        let sql = format!(
            "SELECT {DUTY_COLS}, {STAFF_COLS} FROM {DUTY_FROM} WHERE d.staff_id = $1 ORDER BY da.path, d.duty"
        );
        let rows = sqlx::query_as::<_, DutyRow>(AssertSqlSafe(sql))
            .bind(staff_id)
            .fetch_all(self.pool())
            .await
            .map_err(db_err)?;
        assignments(rows)
    }

    async fn duty_gaps(
        &self,
        area: &AreaPath,
        kind: AreaKind,
        duty: Duty,
    ) -> StoreResult<Vec<Area>> {
        let (a, b, c) = subtree_bounds(area);
        // An owner on the area itself or on any area above it (its path a prefix, then '/').
        let sql = format!(
            "SELECT {AREA_COLS} FROM areas a WHERE a.kind = $4 AND (a.path = $1 OR (a.path >= $2 AND a.path < $3)) \
             AND NOT EXISTS (SELECT 1 FROM duties d JOIN areas da ON da.id = d.area_id JOIN staff s ON s.id = d.staff_id \
               WHERE d.duty = $5 AND s.active = TRUE \
               AND (da.path = a.path OR substr(a.path, 1, length(da.path) + 1) = da.path || '/')) \
             ORDER BY a.path"
        );
        let rows: Vec<AreaRow> = sqlx::query_as(AssertSqlSafe(sql))
            .bind(a)
            .bind(b)
            .bind(c)
            .bind(kind.code())
            .bind(duty.code())
            .fetch_all(self.pool())
            .await
            .map_err(db_err)?;
        rows.into_iter().map(AreaRow::into_area).collect()
    }
}
