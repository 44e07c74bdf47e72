use std::path::Path;

use serde::Serialize;

use crate::consent::Category;

/// Upload order and eviction order in one number: lower goes first and is evicted last.
/// Essential processing (crash reports) 0, diagnostics 1, other categories 2, analytics 3.
pub fn priority(category: Category) -> u8 {
    match category {
        Category::Essential => 0,
        Category::Diagnostics => 1,
        Category::Analytics => 3,
        _ => 2,
    }
}

/// What the outbox knows about a batch, all from its file name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OutboxEntry {
    pub priority: u8,
    pub category: Category,
    /// Categories whose grants let fields into the batch's events.
    pub grants: Vec<Category>,
    pub created_ms: u64,
    pub events: u32,
    /// The batch id, hex.
    pub id: String,
    pub size: u64,
}

impl OutboxEntry {
    /// The file name without extension.
    pub fn file_name(&self) -> String {
        let grants = if self.grants.is_empty() {
            "none".to_owned()
        } else {
            self.grants
                .iter()
                .map(|c| c.name())
                .collect::<Vec<_>>()
                .join("+")
        };
        format!(
            "{}-{}-{}-{:016}-{}-{}",
            self.priority, self.category, grants, self.created_ms, self.events, self.id
        )
    }

    /// Parses a `.batch` file's name; `None` for anything else.
    pub fn from_path(path: &Path) -> Option<OutboxEntry> {
        let size = std::fs::metadata(path).ok()?.len();
        OutboxEntry::from_name(path.file_name()?.to_str()?, size)
    }

    /// Parses a `.batch` file's name (without its folder), for a file of `size` bytes; `None`
    /// for anything else.
    pub fn from_name(name: &str, size: u64) -> Option<OutboxEntry> {
        let stem = name.strip_suffix(".batch")?;
        let mut parts = stem.split('-');
        let priority = parts.next()?.parse().ok()?;
        let category = parts.next()?.parse().ok()?;
        let grants = match parts.next()? {
            "none" => Vec::new(),
            list => list
                .split('+')
                .map(|c| c.parse().ok())
                .collect::<Option<Vec<_>>>()?,
        };
        let created_ms = parts.next()?.parse().ok()?;
        let events = parts.next()?.parse().ok()?;
        let id = parts.next()?.to_owned();
        let valid_id = id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit());
        if parts.next().is_some() || !valid_id {
            return None;
        }
        Some(OutboxEntry {
            priority,
            category,
            grants,
            created_ms,
            events,
            id,
            size,
        })
    }

    /// Whether the batch holds data `category` allowed.
    pub fn holds(&self, category: Category) -> bool {
        self.category == category || self.grants.contains(&category)
    }
}
