//! The category tree (each category stores its materialised path) and collections.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Category {
    pub id: i64,
    pub parent_id: Option<i64>,
    pub slug: String,
    pub name: String,
    pub path: CategoryPath,
    pub position: i32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Collection {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub description: String,
}

/// The ids from the root down to a category, written `/1/4/9/`: the descendants of a
/// category are exactly the categories whose path starts with its path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CategoryPath(String);

impl CategoryPath {
    pub fn root(id: i64) -> Self {
        Self(format!("/{id}/"))
    }

    pub fn child(&self, id: i64) -> Self {
        Self(format!("{}{id}/", self.0))
    }

    /// Reads a stored path back; the store is the only writer, so no validation.
    pub fn from_stored(path: String) -> Self {
        Self(path)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Ancestor ids, root first, without the category itself.
    pub fn ancestor_ids(&self) -> Vec<i64> {
        let mut ids: Vec<i64> = self
            .0
            .split('/')
            .filter_map(|part| part.parse().ok())
            .collect();
        ids.pop();
        ids
    }

    /// Whether `self` is `other` or lies below it (moving a category under itself is a cycle).
    pub fn is_within(&self, other: &Self) -> bool {
        self.0.starts_with(&other.0)
    }

    /// The path after moving the subtree at `old` to `new` (for each descendant of `old`).
    pub fn rebase(&self, old: &Self, new: &Self) -> Self {
        Self(format!("{}{}", new.0, &self.0[old.0.len()..]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_nest_and_rebase() {
        let root = CategoryPath::root(1);
        let child = root.child(4);
        let grandchild = child.child(9);
        assert_eq!(grandchild.as_str(), "/1/4/9/");
        assert_eq!(grandchild.ancestor_ids(), vec![1, 4]);
        assert!(grandchild.is_within(&child));
        assert!(!child.is_within(&grandchild));
        assert!(!CategoryPath::root(11).is_within(&root));
        let moved = grandchild.rebase(&child, &CategoryPath::root(7).child(4));
        assert_eq!(moved.as_str(), "/7/4/9/");
    }
}
