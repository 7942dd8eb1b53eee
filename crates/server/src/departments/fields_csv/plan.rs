//! Planning an import: the rows applied, in the order the spec gives, to an in-memory copy
//! of both hierarchies, which yields the steps to run in the database (or the errors that
//! stop them).

use std::collections::{BTreeMap, HashMap};

use crate::departments::fields_csv::{error, Operation, Problem, Row, RowError, MAX_ERRORS};
use crate::departments::service::ImportSummary;
use crate::departments::store::{Department, Fields, Tree, Usage};

/// An entry a step works on: one stored, or the `n`th one the plan creates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// A stored entry's id.
    Existing(i64),
    /// The entry created by the plan's `Add` with this number.
    New(usize),
}

/// One change to make, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Create an entry (numbered `new`).
    Add {
        /// Hierarchy.
        tree: Tree,
        /// Its number, for later steps.
        new: usize,
        /// Parent; none for the top level.
        parent: Option<Target>,
        /// Names, descriptions.
        fields: Fields,
    },
    /// Set an entry's place and fields (rename, move, restore, retire).
    Update {
        /// Hierarchy.
        tree: Tree,
        /// The entry.
        target: Target,
        /// Its parent afterwards.
        parent: Option<Target>,
        /// Its fields afterwards.
        fields: Fields,
    },
    /// Delete an entry nothing uses and nothing sits below.
    Delete {
        /// Hierarchy.
        tree: Tree,
        /// The entry.
        target: Target,
    },
}

/// The steps of an import, in order, and what they add up to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    /// Changes in order.
    pub steps: Vec<Step>,
    /// Counts.
    pub summary: ImportSummary,
}

#[derive(Debug, Clone)]
struct Node {
    target: Target,
    parent: Option<usize>,
    fields: Fields,
    used: bool,
}

/// One hierarchy as the rows change it.
#[derive(Debug, Clone, Default)]
struct Sim {
    nodes: Vec<Node>,
    /// Entries still there, by parent and Japanese name.
    by_name: BTreeMap<(Option<usize>, String), usize>,
}

impl Sim {
    fn new(entries: &[Department], usage: &Usage) -> Sim {
        let index: HashMap<i64, usize> =
            entries.iter().enumerate().map(|(i, e)| (e.id, i)).collect();
        let nodes: Vec<Node> = entries
            .iter()
            .map(|entry| Node {
                target: Target::Existing(entry.id),
                parent: entry.parent_id.and_then(|p| index.get(&p).copied()),
                fields: Fields {
                    name: entry.name.clone(),
                    name_en: entry.name_en.clone(),
                    description: entry.description.clone(),
                    description_en: entry.description_en.clone(),
                    retired: entry.retired,
                },
                used: usage.is_used(entry.id),
            })
            .collect();
        let by_name = nodes
            .iter()
            .enumerate()
            .map(|(i, node)| ((node.parent, node.fields.name.clone()), i))
            .collect();
        Sim { nodes, by_name }
    }

    /// The entry at a Japanese path; `Err(levels found)` when it is not there.
    fn find(&self, path: &[String]) -> Result<usize, usize> {
        let mut parent = None;
        for (depth, name) in path.iter().enumerate() {
            match self.by_name.get(&(parent, name.clone())) {
                Some(index) => parent = Some(*index),
                None => return Err(depth),
            }
        }
        parent.ok_or(0)
    }

    /// The parent of a path (none for a top-level path).
    fn find_parent(&self, path: &[String]) -> Result<Option<usize>, usize> {
        match path.split_last() {
            Some((_, [])) | None => Ok(None),
            Some((_, parent)) => self.find(parent).map(Some),
        }
    }

    fn children(&self, parent: Option<usize>) -> impl Iterator<Item = usize> + '_ {
        self.by_name
            .range((parent, String::new())..)
            .take_while(move |((p, _), _)| *p == parent)
            .map(|(_, index)| *index)
    }

    fn english_taken(&self, parent: Option<usize>, fields: &Fields, except: Option<usize>) -> bool {
        let wanted = english(fields);
        self.children(parent)
            .any(|i| Some(i) != except && english(&self.nodes[i].fields) == wanted)
    }

    /// Whether `index` is `ancestor` or below it.
    fn is_within(&self, index: usize, ancestor: usize) -> bool {
        let mut current = Some(index);
        for _ in 0..=self.nodes.len() {
            match current {
                Some(i) if i == ancestor => return true,
                Some(i) => current = self.nodes[i].parent,
                None => return false,
            }
        }
        false
    }

    fn target(&self, index: Option<usize>) -> Option<Target> {
        index.map(|i| self.nodes[i].target)
    }

    fn place(&mut self, index: usize, parent: Option<usize>, fields: Fields) {
        let node = &self.nodes[index];
        self.by_name
            .remove(&(node.parent, node.fields.name.clone()));
        self.by_name.insert((parent, fields.name.clone()), index);
        let node = &mut self.nodes[index];
        node.parent = parent;
        node.fields = fields;
    }
}

fn english(fields: &Fields) -> &str {
    if fields.name_en.is_empty() {
        &fields.name
    } else {
        &fields.name_en
    }
}

/// Both hierarchies as an import finds them, which the plan then changes row by row.
#[derive(Debug, Clone, Default)]
pub struct Trees {
    departments: Sim,
    locations: Sim,
    versions: HashMap<(Tree, i64), i64>,
}

impl Trees {
    /// Adds a hierarchy's stored entries and which of them records use.
    pub fn insert(&mut self, tree: Tree, entries: Vec<Department>, usage: &Usage) {
        for entry in &entries {
            self.versions.insert((tree, entry.id), entry.version);
        }
        *self.sim_mut(tree) = Sim::new(&entries, usage);
    }

    /// Each stored entry's version as read, for the updates' optimistic checks.
    pub fn versions(&self) -> HashMap<(Tree, i64), i64> {
        self.versions.clone()
    }

    fn sim_mut(&mut self, tree: Tree) -> &mut Sim {
        match tree {
            Tree::Departments => &mut self.departments,
            Tree::Locations => &mut self.locations,
        }
    }
}

/// Plans rows against the hierarchies: `A` rows shallow to deep, `U` rows in file order, `D`
/// rows deep to shallow, each checked against the trees as the rows before it left them.
/// A row in error adds to `errors` (up to [`MAX_ERRORS`]) and changes nothing; the plan is
/// to be applied only when `errors` stays empty.
pub fn plan(rows: &[Row], trees: &mut Trees, errors: &mut Vec<RowError>) -> Plan {
    let mut adds: Vec<&Row> = rows
        .iter()
        .filter(|r| r.operation == Operation::Add)
        .collect();
    adds.sort_by_key(|r| r.after.len());
    let updates = rows.iter().filter(|r| r.operation == Operation::Update);
    let mut deletes: Vec<&Row> = rows
        .iter()
        .filter(|r| r.operation == Operation::Delete)
        .collect();
    deletes.sort_by_key(|r| std::cmp::Reverse(r.before.len()));
    let mut plan = Plan::default();
    for row in adds.into_iter().chain(updates).chain(deletes) {
        if errors.len() >= MAX_ERRORS {
            break;
        }
        let sim = trees.sim_mut(row.tree);
        let result = match row.operation {
            Operation::Add => plan_add(sim, row, &mut plan),
            Operation::Update => plan_update(sim, row, &mut plan),
            Operation::Delete => plan_delete(sim, row, &mut plan),
        };
        if let Err(message) = result {
            errors.push(message);
        }
    }
    plan
}

fn row_fields(row: &Row, retired: bool) -> Fields {
    Fields {
        name: row.after.last().cloned().unwrap_or_default(),
        name_en: row.name_en.clone(),
        description: row.description.clone(),
        description_en: row.description_en.clone(),
        retired,
    }
}

fn not_found(row: &Row, path: &[String], found: usize, what: &str) -> RowError {
    error(
        row.line,
        Problem::NotFound,
        format!(
            "{what}: no {} \"{}\" (\"{}\" is not there)",
            row.tree.noun(),
            path[..=found.min(path.len() - 1)].join("/"),
            path[found.min(path.len() - 1)]
        ),
    )
}

fn english_taken(row: &Row) -> RowError {
    error(
        row.line,
        Problem::Exists,
        format!(
            "another {} under the same parent is called \"{}\" in English",
            row.tree.noun(),
            english(&row_fields(row, false))
        ),
    )
}

fn plan_add(sim: &mut Sim, row: &Row, plan: &mut Plan) -> Result<(), RowError> {
    let parent = sim
        .find_parent(&row.after)
        .map_err(|found| not_found(row, &row.after, found, "the parent of ja-value(after)"))?;
    if let Ok(index) = sim.find(&row.after) {
        if !sim.nodes[index].fields.retired {
            return Err(error(
                row.line,
                Problem::Exists,
                format!("the {} \"{}\" exists", row.tree.noun(), row.after.join("/")),
            ));
        }
        // A retired entry comes back into the definition, keeping its id and its records.
        let fields = row_fields(row, false);
        if sim.english_taken(parent, &fields, Some(index)) {
            return Err(english_taken(row));
        }
        sim.place(index, parent, fields.clone());
        plan.steps.push(Step::Update {
            tree: row.tree,
            target: sim.nodes[index].target,
            parent: sim.target(parent),
            fields,
        });
        plan.summary.restored += 1;
        return Ok(());
    }
    let fields = row_fields(row, false);
    if sim.english_taken(parent, &fields, None) {
        return Err(english_taken(row));
    }
    let new = plan.summary.added;
    plan.steps.push(Step::Add {
        tree: row.tree,
        new,
        parent: sim.target(parent),
        fields: fields.clone(),
    });
    sim.nodes.push(Node {
        target: Target::New(new),
        parent,
        fields: fields.clone(),
        used: false,
    });
    sim.by_name
        .insert((parent, fields.name), sim.nodes.len() - 1);
    plan.summary.added += 1;
    Ok(())
}

fn plan_update(sim: &mut Sim, row: &Row, plan: &mut Plan) -> Result<(), RowError> {
    let index = sim
        .find(&row.before)
        .map_err(|found| not_found(row, &row.before, found, "ja-value(before)"))?;
    let parent = sim
        .find_parent(&row.after)
        .map_err(|found| not_found(row, &row.after, found, "the parent of ja-value(after)"))?;
    if parent.is_some_and(|p| sim.is_within(p, index)) {
        return Err(error(
            row.line,
            Problem::Conflict,
            format!(
                "a {} cannot move under itself or what is below it",
                row.tree.noun()
            ),
        ));
    }
    let fields = row_fields(row, sim.nodes[index].fields.retired);
    if sim
        .by_name
        .get(&(parent, fields.name.clone()))
        .is_some_and(|other| *other != index)
    {
        return Err(error(
            row.line,
            Problem::Exists,
            format!("the {} \"{}\" exists", row.tree.noun(), row.after.join("/")),
        ));
    }
    if sim.english_taken(parent, &fields, Some(index)) {
        return Err(english_taken(row));
    }
    sim.place(index, parent, fields.clone());
    plan.steps.push(Step::Update {
        tree: row.tree,
        target: sim.nodes[index].target,
        parent: sim.target(parent),
        fields,
    });
    plan.summary.updated += 1;
    Ok(())
}

fn plan_delete(sim: &mut Sim, row: &Row, plan: &mut Plan) -> Result<(), RowError> {
    let index = sim
        .find(&row.before)
        .map_err(|found| not_found(row, &row.before, found, "ja-value(before)"))?;
    let below: Vec<usize> = sim.children(Some(index)).collect();
    if below.iter().any(|i| !sim.nodes[*i].fields.retired) {
        return Err(error(
            row.line,
            Problem::Conflict,
            format!(
                "entries below the {} \"{}\" stay in the definition; delete or move them too",
                row.tree.noun(),
                row.before.join("/")
            ),
        ));
    }
    let node = &sim.nodes[index];
    if node.used || !below.is_empty() {
        if !node.fields.retired {
            let mut fields = node.fields.clone();
            fields.retired = true;
            let parent = node.parent;
            plan.steps.push(Step::Update {
                tree: row.tree,
                target: node.target,
                parent: sim.target(parent),
                fields: fields.clone(),
            });
            sim.place(index, parent, fields);
        }
        plan.summary.retired += 1;
        return Ok(());
    }
    plan.steps.push(Step::Delete {
        tree: row.tree,
        target: node.target,
    });
    let key = (node.parent, node.fields.name.clone());
    sim.by_name.remove(&key);
    plan.summary.deleted += 1;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::departments::fields_csv::parse;
    use crate::departments::store::Use;

    fn entry(id: i64, parent_id: Option<i64>, name: &str, retired: bool) -> Department {
        Department {
            id,
            parent_id,
            name: name.into(),
            name_en: String::new(),
            description: String::new(),
            description_en: String::new(),
            retired,
            created_at: 0,
            updated_at: 0,
            version: 1,
        }
    }

    /// The departments below, `used` by records:
    /// 1 営業部 ─ 2 営業1課 (used), 3 営業2課; 4 総務部 (retired) ; 5 開発部 (used).
    fn trees(used: &[i64]) -> Trees {
        let mut trees = Trees::default();
        let usage = Usage(
            used.iter()
                .map(|id| {
                    (
                        *id,
                        Use {
                            records: 1,
                            scopes: 0,
                        },
                    )
                })
                .collect(),
        );
        trees.insert(
            Tree::Departments,
            vec![
                entry(1, None, "営業部", false),
                entry(2, Some(1), "営業1課", false),
                entry(3, Some(1), "営業2課", false),
                entry(4, None, "総務部", true),
                entry(5, None, "開発部", false),
            ],
            &usage,
        );
        trees
    }

    fn describe(step: &Step) -> String {
        let target = |t: &Target| match t {
            Target::Existing(id) => format!("#{id}"),
            Target::New(n) => format!("new{n}"),
        };
        let parent = |p: &Option<Target>| p.as_ref().map_or("top".to_string(), target);
        match step {
            Step::Add {
                new,
                parent: p,
                fields,
                ..
            } => format!("add new{new} {} under {}", fields.name, parent(p)),
            Step::Update {
                target: t,
                parent: p,
                fields,
                ..
            } => format!(
                "set {} {}{} under {}",
                target(t),
                fields.name,
                if fields.retired { " (retired)" } else { "" },
                parent(p)
            ),
            Step::Delete { target: t, .. } => format!("delete {}", target(t)),
        }
    }

    /// Plans the rows of `csv` (department rows, no header) against [`trees`] and compares
    /// the steps and the errors (`id line`).
    fn check(csv: &str, used: &[i64], steps: &[&str], errors: &[&str]) -> ImportSummary {
        let read = parse(csv);
        assert_eq!(read.errors, [], "the rows read cleanly");
        let mut found = Vec::new();
        let plan = plan(&read.rows, &mut trees(used), &mut found);
        let got: Vec<String> = plan.steps.iter().map(describe).collect();
        let got_errors: Vec<String> = found
            .iter()
            .map(|e| format!("{} {}", e.problem.id(), e.line))
            .collect();
        assert_eq!(got, steps);
        assert_eq!(got_errors, errors, "{found:?}");
        plan.summary
    }

    const ROW: &str = "common,ja,部署,ja";

    #[test]
    fn adds_run_shallow_to_deep_whatever_the_file_order() {
        let summary = check(
            &format!(
                "A,{ROW},,企画部/企画1課/第1係,,,,\nA,{ROW},,企画部,,,,\nA,{ROW},,企画部/企画1課,,,,\n"
            ),
            &[],
            &[
                "add new0 企画部 under top",
                "add new1 企画1課 under new0",
                "add new2 第1係 under new1",
            ],
            &[],
        );
        assert_eq!(summary.added, 3);
    }

    #[test]
    fn mixed_rows_run_adds_then_changes_in_file_order_then_deletes_deep_first() {
        let summary = check(
            &format!(
                "D,{ROW},営業部,,,,,\n\
                 U,{ROW},営業部/営業1課,開発部/営業課,,,,\n\
                 D,{ROW},営業部/営業2課,,,,,\n\
                 A,{ROW},,開発部/開発C課,,,,\n\
                 U,{ROW},開発部/営業課,開発部/販売課,,,,\n"
            ),
            &[],
            &[
                "add new0 開発C課 under #5",
                "set #2 営業課 under #5",
                "set #2 販売課 under #5",
                "delete #3",
                "delete #1",
            ],
            &[],
        );
        assert_eq!((summary.added, summary.updated, summary.deleted), (1, 2, 2));
    }

    #[test]
    fn deleting_what_records_use_retires_it_and_its_parent() {
        let summary = check(
            &format!(
                "D,{ROW},営業部,,,,,\nD,{ROW},営業部/営業1課,,,,,\nD,{ROW},営業部/営業2課,,,,,\n"
            ),
            &[2],
            &[
                "set #2 営業1課 (retired) under #1",
                "delete #3",
                "set #1 営業部 (retired) under top",
            ],
            &[],
        );
        assert_eq!((summary.retired, summary.deleted), (2, 1));
        // An entry already retired stays as it is; an unused one goes.
        check(&format!("D,{ROW},総務部,,,,,\n"), &[4], &[], &[]);
        check(&format!("D,{ROW},総務部,,,,,\n"), &[], &["delete #4"], &[]);
    }

    #[test]
    fn adding_a_retired_path_restores_it() {
        let summary = check(
            &format!("A,{ROW},,総務部,総務,,General Affairs,\n"),
            &[],
            &["set #4 総務部 under top"],
            &[],
        );
        assert_eq!(summary.restored, 1);
    }

    #[test]
    fn rows_that_cannot_apply_are_errors_and_the_rest_still_checked() {
        check(
            &format!(
                "A,{ROW},,営業部,,,,\n\
                 A,{ROW},,無い部/課,,,,\n\
                 U,{ROW},無い部,営業部,,,,\n\
                 U,{ROW},営業部,営業部/営業1課/下,,,,\n\
                 U,{ROW},営業部/営業2課,営業部/営業1課,,,,\n\
                 D,{ROW},営業部,,,,,\n\
                 A,{ROW},,開発部/開発A課,,,,\n"
            ),
            &[],
            &["add new0 開発A課 under #5"],
            &[
                "KNRI4387-E 1",
                "KNRI4386-E 2",
                "KNRI4386-E 3",
                "KNRI4388-E 4",
                "KNRI4387-E 5",
                "KNRI4388-E 6",
            ],
        );
    }

    #[test]
    fn english_names_are_unique_among_siblings_too() {
        check(
            &format!(
                "A,{ROW},,営業部/営業3課,,,営業部/営業1課,\n\
                 U,{ROW},営業部/営業2課,営業部/営業2課,,,Sales/Two,\n\
                 A,{ROW},,営業部/営業4課,,,Sales/Two,\n"
            ),
            &[],
            // Adds run first: 営業4課 takes "Two" before the change of line 2 asks for it.
            &["add new0 営業4課 under #1"],
            &["KNRI4387-E 1", "KNRI4387-E 2"],
        );
    }
}
