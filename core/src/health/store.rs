//! The book on disk.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::Book;
use crate::storage::{read_if_present, remove_if_present, write_atomic, Storage};

/// One JSON file, replaced atomically on every save, so a crash leaves the book before or
/// after a change, never a mix. It holds counts and app versions, nothing that names anyone.
#[derive(Clone)]
pub struct HealthStore {
    storage: Arc<dyn Storage>,
    path: PathBuf,
}

impl HealthStore {
    pub const FILE_NAME: &'static str = "health.json";

    pub fn in_dir(storage: Arc<dyn Storage>, dir: &Path) -> HealthStore {
        HealthStore {
            storage,
            path: dir.join(Self::FILE_NAME),
        }
    }

    /// The book an earlier process saved, its open session now a previous one. A file that
    /// does not parse is counted as an error and replaced by an empty book at the next save:
    /// losing a day's counts is better than refusing to start.
    pub fn load(&self) -> io::Result<Result<Book, serde_json::Error>> {
        let Some(bytes) = read_if_present(self.storage.as_ref(), &self.path)? else {
            return Ok(Ok(Book::default()));
        };
        Ok(serde_json::from_slice::<Book>(&bytes).map(Book::restored))
    }

    pub fn save(&self, book: &Book) -> io::Result<()> {
        if *book == Book::default() {
            remove_if_present(self.storage.as_ref(), &self.path)?;
            return Ok(());
        }
        let json = serde_json::to_vec(book).map_err(io::Error::other)?;
        write_atomic(self.storage.as_ref(), &self.path, &json)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::Filesystem;

    #[test]
    fn a_saved_book_is_restored_with_its_session_left_open_and_damage_is_reported() {
        let tmp = tempfile::tempdir().unwrap();
        let store = HealthStore::in_dir(Filesystem::shared(), tmp.path());
        assert_eq!(store.load().unwrap().unwrap(), Book::default());
        let mut book = Book::default();
        book.foreground(5, "1.0", 3);
        store.save(&book).unwrap();
        let back = store.load().unwrap().unwrap();
        assert_eq!(back.previous.len(), 1);
        assert_eq!(back.tallies, book.tallies);
        store.save(&Book::default()).unwrap();
        assert!(!tmp.path().join(HealthStore::FILE_NAME).exists());
        std::fs::write(tmp.path().join(HealthStore::FILE_NAME), b"{torn").unwrap();
        assert!(store.load().unwrap().is_err());
    }
}
